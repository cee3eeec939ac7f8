//! The wire format of pveproxy (pve-http-server `PVE::APIServer::AnyEvent` and
//! `PVE::APIServer::Formatter::Standard`): how parameters are read from a request, and
//! how answers and errors are written.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::api::{Answer, ApiError, Data};

/// What the simulator answers.
#[derive(Debug)]
pub enum Reply {
    /// 200 with `{"data": …}` plus the answer's result attributes.
    Data(Answer),
    /// An error raised inside the API (PVE formats these): status, message as reason
    /// phrase, body `{"data": null, "message": "…\n"}` plus `errors` on 400.
    Api(ApiError),
    /// An error raised outside the formatter (authentication, proxying to an offline
    /// node, malformed requests): status and reason phrase with a plain-text body, often
    /// empty.
    Bare {
        status: u16,
        reason: String,
        body: String,
    },
}

impl Reply {
    pub fn bare(status: u16, reason: impl Into<String>) -> Self {
        Reply::Bare {
            status,
            reason: reason.into(),
            body: String::new(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Reply::Data(_) => 200,
            Reply::Api(e) => e.status,
            Reply::Bare { status, .. } => *status,
        }
    }

    pub fn into_response(self) -> Response {
        match self {
            Reply::Data(answer) => json_response(200, None, envelope(&answer)),
            Reply::Api(error) => {
                let mut message = error.message.clone();
                if !message.ends_with('\n') {
                    // PVE's messages are Perl `die` strings, which end in a newline.
                    message.push('\n');
                }
                let mut body = json!({ "data": null, "message": message });
                if !error.errors.is_empty() {
                    body["errors"] = serde_json::to_value(&error.errors).unwrap_or_default();
                }
                json_response(error.status, Some(&error.message), body.to_string())
            }
            Reply::Bare {
                status,
                reason,
                body,
            } => with_status(status, Some(&reason), Response::new(Body::from(body))),
        }
    }
}

/// `{"data": …}`, with `total` and `changes` beside it when set and truthy, as
/// `Formatter::Standard::prepare_response_data` writes them. Written as text so
/// pre-serialised data is copied in, not parsed again.
fn envelope(answer: &Answer) -> String {
    let data = match &answer.data {
        Data::Value(value) => &value.to_string(),
        Data::Serialized(json) => json.as_str(),
    };
    // Room for the attributes too, so a multi-megabyte listing is copied once.
    let attributes = answer.changes.as_ref().map_or(0, String::len) + 64;
    let mut body = String::with_capacity(data.len() + attributes);
    body.push_str("{\"data\":");
    body.push_str(data);
    if let Some(total) = answer.total.filter(|&t| t > 0) {
        body.push_str(&format!(",\"total\":{total}"));
    }
    if let Some(changes) = answer.changes.as_deref().filter(|c| !c.is_empty()) {
        body.push_str(",\"changes\":");
        body.push_str(&Value::from(changes).to_string());
    }
    body.push('}');
    body
}

fn json_response(status: u16, reason: Option<&str>, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    with_status(status, reason, response)
}

fn with_status(status: u16, reason: Option<&str>, mut response: Response) -> Response {
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(phrase) = reason.and_then(reason_phrase) {
        response.extensions_mut().insert(phrase);
    }
    response.headers_mut().insert(
        header::SERVER,
        HeaderValue::from_static("pve-api-daemon/3.0"),
    );
    response
}

/// The first line of a message as an HTTP reason phrase (PVE sends the first line;
/// control characters are not valid header text, so they become spaces).
fn reason_phrase(message: &str) -> Option<hyper::ext::ReasonPhrase> {
    let first_line = message.lines().next().unwrap_or("").trim_end();
    let cleaned: String = first_line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    hyper::ext::ReasonPhrase::try_from(cleaned.into_bytes()).ok()
}

/// `decode_urlencoded`: pairs split on `&` or `;`, `+` is a space, `%XX` decoded, a
/// repeated key collects its values into an array. Like Perl's `split(/=/, $kv)`, a value
/// ends at the next unescaped `=` and an empty value counts as absent — so a client that
/// forgets to escape `=` inside values fails here exactly as it would against PVE.
pub fn decode_urlencoded(text: &str, into: &mut Map<String, Value>) {
    for pair in text.split(['&', ';']) {
        let mut parts = pair.split('=');
        let key = decode_component(parts.next().unwrap_or(""));
        let Some(value) = parts.next().filter(|v| !v.is_empty()) else {
            continue;
        };
        let value = Value::String(decode_component(value));
        match into.get_mut(&key) {
            Some(Value::Array(values)) => values.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                into.insert(key, value);
            }
        }
    }
}

fn decode_component(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parameters of a request as `extract_params` merges them: the body (JSON when the
/// content type says so, form-encoded otherwise) for POST/PUT, then the query string on
/// top. `_dc` (ExtJS cache buster) is dropped.
pub fn extract_params(
    has_body_method: bool,
    content_type: Option<&str>,
    body: &[u8],
    query: Option<&str>,
) -> Result<Map<String, Value>, Reply> {
    let mut params = Map::new();
    if has_body_method && !body.is_empty() {
        let is_json = content_type
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
        if is_json {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => params = map,
                Ok(_) => {
                    return Err(Reply::Api(ApiError::internal(
                        "JSON request body must be an object",
                    )));
                }
                Err(e) => {
                    return Err(Reply::Api(ApiError::internal(format!(
                        "malformed JSON string: {e}"
                    ))));
                }
            }
        } else {
            decode_urlencoded(&String::from_utf8_lossy(body), &mut params);
        }
    }
    if let Some(query) = query {
        let mut from_query = Map::new();
        decode_urlencoded(query, &mut from_query);
        params.extend(from_query);
    }
    params.remove("_dc");
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: String) -> Value {
        serde_json::from_str(&text).expect("the envelope is JSON")
    }

    fn decoded(text: &str) -> Value {
        let mut map = Map::new();
        decode_urlencoded(text, &mut map);
        Value::Object(map)
    }

    #[test]
    fn form_values_decode_like_pveproxy() {
        assert_eq!(
            decoded("net0=name%3Deth0%2Cbridge%3Dvmbr0&hostname=a+b;x=%C3%A9"),
            json!({"net0": "name=eth0,bridge=vmbr0", "hostname": "a b", "x": "é"})
        );
        assert_eq!(decoded("a=1&a=2&a=3"), json!({"a": ["1", "2", "3"]}));
        // Unescaped '=' truncates, an empty value is absent — as in Perl's split.
        assert_eq!(
            decoded("net0=name=eth0&empty=&flag"),
            json!({"net0": "name"})
        );
    }

    #[test]
    fn query_overrides_body_and_json_bodies_keep_types() {
        let params = extract_params(
            true,
            Some("application/json; charset=utf-8"),
            br#"{"vmid": 100, "start": true, "_dc": 1}"#,
            Some("vmid=101"),
        )
        .unwrap();
        assert_eq!(Value::Object(params), json!({"vmid": "101", "start": true}));
        let ignored_body = extract_params(false, None, b"a=1", None).unwrap();
        assert!(ignored_body.is_empty());
    }

    #[test]
    fn result_attributes_sit_beside_data_only_when_truthy() {
        let answer = Answer {
            total: Some(3),
            changes: Some("--- a\n+++ b\n".into()),
            ..Answer::from(json!([{"iface": "vmbr1"}]))
        };
        assert_eq!(
            parsed(envelope(&answer)),
            json!({"data": [{"iface": "vmbr1"}], "total": 3, "changes": "--- a\n+++ b\n"})
        );
        // Perl's formatter tests truthiness: a zero total or empty diff is left out.
        let falsy = Answer {
            total: Some(0),
            changes: Some(String::new()),
            ..Answer::from(json!([]))
        };
        assert_eq!(parsed(envelope(&falsy)), json!({"data": []}));
        assert_eq!(envelope(&Answer::from(json!(null))), r#"{"data":null}"#);
    }

    #[test]
    fn serialised_data_is_copied_into_the_envelope() {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            id: &'a str,
            vmid: u32,
        }
        let rows = [Row {
            id: "qemu/100",
            vmid: 100,
        }];
        let answer = Answer {
            data: Data::serialize(&rows).unwrap(),
            ..Answer::default()
        };
        assert_eq!(
            envelope(&answer),
            r#"{"data":[{"id":"qemu/100","vmid":100}]}"#
        );
        assert_eq!(
            answer.data.into_value(),
            json!([{"id": "qemu/100", "vmid": 100}])
        );
    }

    #[test]
    fn errors_carry_the_message_in_reason_and_body() {
        let mut error = ApiError::param("vmid", "type check ('integer') failed - got 'x'");
        error.message = "Parameter verification failed.".into();
        let response = Reply::Api(error).into_response();
        assert_eq!(response.status(), 400);
        let phrase = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .unwrap();
        assert_eq!(phrase.as_bytes(), b"Parameter verification failed.");
    }

    #[test]
    fn reason_phrases_are_first_lines_without_control_characters() {
        let phrase = reason_phrase("VM 100 is locked (backup)\nmore detail").unwrap();
        assert_eq!(phrase.as_bytes(), b"VM 100 is locked (backup)");
        let phrase = reason_phrase("tab\there").unwrap();
        assert_eq!(phrase.as_bytes(), b"tab here");
        assert!(reason_phrase("\n").is_none());
    }
}
