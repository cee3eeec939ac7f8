//! The contract between the HTTP layer and the handlers: one parsed, schema-checked
//! request in, one JSON value or one PVE-shaped error out.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// HTTP methods PVE's API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PUT" => Some(Method::Put),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }
}

/// A request after authentication and schema validation.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    /// The schema path template that matched, e.g. `/nodes/{node}/lxc/{vmid}/config`.
    pub template: String,
    /// Values of the template's placeholders, e.g. `node -> pve1`, `vmid -> 101`.
    pub path: BTreeMap<String, String>,
    /// Query and body parameters merged. Form values arrive as strings, JSON bodies keep their types.
    pub params: Map<String, Value>,
    /// The authenticated principal: `root@pam` for tickets, `root@pam!ci` for API tokens.
    pub user: String,
}

impl Req {
    /// A path placeholder; the schema guarantees it is present for the matched template.
    pub fn path(&self, name: &str) -> Result<&str, ApiError> {
        self.path
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ApiError::internal(format!("path parameter '{name}' missing")))
    }

    pub fn node(&self) -> Result<&str, ApiError> {
        self.path("node")
    }

    pub fn vmid(&self) -> Result<u32, ApiError> {
        let raw = self.path("vmid")?;
        raw.parse()
            .map_err(|_| ApiError::param("vmid", "type check ('integer') failed"))
    }

    /// A parameter as text, whatever its JSON type.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.params.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
            other => Some(other.to_string()),
        }
    }

    pub fn required_str(&self, name: &str) -> Result<String, ApiError> {
        self.str(name)
            .ok_or_else(|| ApiError::param(name, "property is missing and it is not optional"))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.str(name) {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::param(name, "type check ('integer') failed")),
        }
    }

    /// PVE booleans: 0/1 on the wire; JSON true/false also accepted.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.str(name).as_deref() {
            None => Ok(None),
            Some("1") => Ok(Some(true)),
            Some("0") => Ok(Some(false)),
            Some(_) => Err(ApiError::param(name, "type check ('boolean') failed")),
        }
    }

    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        Ok(self.bool(name)?.unwrap_or(false))
    }
}

/// An error the way PVE reports it. `status` goes on the HTTP status line and `message`
/// into the reason phrase as well as the body (proxmoxer reads the reason phrase).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {message}")]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    /// Per-parameter messages, sent as the body's `errors` object on 400.
    pub errors: BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            errors: BTreeMap::new(),
        }
    }

    /// 400 "Parameter verification failed." with one field message.
    pub fn param(name: &str, message: impl Into<String>) -> Self {
        let mut errors = BTreeMap::new();
        errors.insert(name.to_string(), message.into());
        Self::params(errors)
    }

    pub fn params(errors: BTreeMap<String, String>) -> Self {
        Self {
            status: 400,
            message: "Parameter verification failed.".to_string(),
            errors,
        }
    }

    /// PVE reports most operational failures (missing config, wrong state, locks) as 500.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "authentication failure")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    pub fn not_implemented(method: Method, template: &str) -> Self {
        Self::new(
            501,
            format!(
                "Method '{} {}' not implemented by the simulator",
                method.as_str(),
                template
            ),
        )
    }
}

pub type ApiResult = Result<Value, ApiError>;

/// A successful answer: `data` plus the result attributes pveproxy's formatter puts
/// beside it (`PVE::RESTEnvironment::set_result_attrib`, emitted by
/// `PVE::APIServer::Formatter::Standard` only when truthy): `total` on paged lists
/// (task lists and logs), `changes` — the pending diff — on the node network list.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub data: Data,
    pub total: Option<u64>,
    pub changes: Option<String>,
}

impl From<Value> for Answer {
    fn from(data: Value) -> Self {
        Self {
            data: Data::Value(data),
            ..Self::default()
        }
    }
}

/// The `data` of an answer.
#[derive(Debug, Clone)]
pub enum Data {
    Value(Value),
    /// Already serialised from typed rows: a listing as large as `/cluster/resources`
    /// at 10,000 guests would otherwise build (and free) a map per row and a string
    /// per key on every call.
    Serialized(SerializedJson),
}

impl Default for Data {
    fn default() -> Self {
        Data::Value(Value::Null)
    }
}

impl Data {
    /// Serialise typed data once, straight to JSON text.
    pub fn serialize<T: serde::Serialize + ?Sized>(data: &T) -> Result<Self, ApiError> {
        serde_json::to_string(data)
            .map(|text| Data::Serialized(SerializedJson(text)))
            .map_err(|e| ApiError::internal(format!("cannot serialise the answer: {e}")))
    }

    /// The data as a JSON value (tests and callers that inspect answers).
    pub fn into_value(self) -> Value {
        match self {
            Data::Value(value) => value,
            Data::Serialized(json) => serde_json::from_str(&json.0)
                .expect("serialised answers are JSON: Data::serialize made them"),
        }
    }
}

/// JSON text that only [`Data::serialize`] makes, so it is always valid JSON.
#[derive(Debug, Clone)]
pub struct SerializedJson(String);

impl SerializedJson {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub type AnswerResult = Result<Answer, ApiError>;

/// A request handler. Handlers are synchronous: they mutate the in-memory cluster
/// under its lock and hand long work to the task engine.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Answers with a JSON value as `data`, as nearly every PVE endpoint does.
    Value(fn(&crate::Sim, &Req) -> ApiResult),
    /// Answers with an [`Answer`]: result attributes or pre-serialised data.
    Answer(fn(&crate::Sim, &Req) -> AnswerResult),
}

impl Handler {
    pub fn call(self, sim: &crate::Sim, req: &Req) -> AnswerResult {
        match self {
            Handler::Value(handler) => handler(sim, req).map(Answer::from),
            Handler::Answer(handler) => handler(sim, req),
        }
    }
}

/// One entry of the dispatch table: method and schema template.
pub struct Route {
    pub method: Method,
    pub template: &'static str,
    pub handler: Handler,
}

/// Shorthand for building route tables in handler modules.
pub const fn route(
    method: Method,
    template: &'static str,
    handler: fn(&crate::Sim, &Req) -> ApiResult,
) -> Route {
    Route {
        method,
        template,
        handler: Handler::Value(handler),
    }
}

/// A route whose handler answers an [`Answer`] (result attributes such as `total` and
/// `changes`, or pre-serialised data).
pub const fn answer_route(
    method: Method,
    template: &'static str,
    handler: fn(&crate::Sim, &Req) -> AnswerResult,
) -> Route {
    Route {
        method,
        template,
        handler: Handler::Answer(handler),
    }
}
