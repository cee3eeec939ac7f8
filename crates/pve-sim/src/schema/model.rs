//! The schema tree compiled into plain structs, so checking a request never walks JSON.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::SchemaError;
use crate::api::Method;

/// One path template with the methods defined on it.
#[derive(Debug)]
pub(super) struct Endpoint {
    pub template: String,
    /// Indexed by [`method_slot`].
    methods: [Option<MethodInfo>; 4],
}

impl Endpoint {
    pub fn method(&self, method: Method) -> Option<&MethodInfo> {
        self.methods[method_slot(method)].as_ref()
    }

    pub fn methods(&self) -> impl Iterator<Item = Method> + '_ {
        ALL_METHODS
            .into_iter()
            .filter(|&m| self.methods[method_slot(m)].is_some())
    }
}

const ALL_METHODS: [Method; 4] = [Method::Get, Method::Post, Method::Put, Method::Delete];

fn method_slot(method: Method) -> usize {
    match method {
        Method::Get => 0,
        Method::Post => 1,
        Method::Put => 2,
        Method::Delete => 3,
    }
}

#[derive(Debug)]
pub(super) struct MethodInfo {
    pub allowtoken: bool,
    pub parameters: ParamSet,
}

/// The `parameters` object of one method.
#[derive(Debug, Default)]
pub(super) struct ParamSet {
    /// Plain names, e.g. `memory`.
    pub props: HashMap<String, PropSchema>,
    /// Collapsed indexed names by prefix: `net[n]` is stored under `net`.
    pub indexed: HashMap<String, PropSchema>,
    /// Names of the non-optional plain properties (path placeholders included).
    pub required: Vec<String>,
    pub additional: Additional,
}

/// `additionalProperties`: PVE rejects unknown params only when it is defined and false.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Additional {
    #[default]
    Allowed,
    Rejected,
}

/// The JSON-schema types PVE's `check_type` knows; others are not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Type {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Other,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Integer => "integer",
            Type::Number => "number",
            Type::Boolean => "boolean",
            Type::Array => "array",
            Type::Object => "object",
            Type::Other => "any",
        }
    }
}

/// A numeric bound with the text PVE prints in its message.
#[derive(Debug, Clone)]
pub(super) struct Bound {
    pub value: f64,
    pub text: String,
}

#[derive(Debug, Clone)]
pub(super) enum Format {
    /// A registered format such as `pve-vmid` or `pve-configid-list`.
    Named(String),
    /// A property string whose keys are described inline (e.g. lxc `net[n]`).
    Object(HashMap<String, PropSchema>),
}

/// One property's schema, reduced to what validation needs.
#[derive(Debug, Clone, Default)]
pub(super) struct PropSchema {
    pub ty: Option<Type>,
    pub optional: bool,
    pub format: Option<Format>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub enumeration: Option<Vec<String>>,
    /// Another property that must be present when this one is.
    pub requires: Option<String>,
    /// Schema of array elements (only when it names a type, like the reference validator).
    pub items: Option<Box<PropSchema>>,
    /// Inside property strings: the key a value without `key=` belongs to.
    pub default_key: bool,
    /// Inside property strings: this key is another name for `alias`.
    pub alias: Option<String>,
    /// Inside property strings: an alias key also sets this key to the alias's own name.
    pub key_alias: Option<String>,
}

impl PropSchema {
    /// `-list` formats accept an array, which PVE joins with ','.
    pub fn has_list_format(&self) -> bool {
        matches!(&self.format, Some(Format::Named(name)) if name.ends_with("-list"))
    }
}

/// Parses the schema text (plain JSON array or apidoc.js) into endpoints sorted by template.
pub(super) fn parse_endpoints(text: &str) -> Result<Vec<Endpoint>, SchemaError> {
    let tree = parse_tree(text)?;
    let mut endpoints = Vec::new();
    let mut stack: Vec<&Value> = tree.iter().collect();
    while let Some(node) = stack.pop() {
        if let Some(children) = node.get("children").and_then(Value::as_array) {
            stack.extend(children);
        }
        let Some(info) = node.get("info").and_then(Value::as_object) else {
            continue;
        };
        if info.is_empty() {
            continue;
        }
        let template = node
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| SchemaError::Invalid("tree node without 'path'".into()))?;
        endpoints.push(compile_endpoint(template, info)?);
    }
    endpoints.sort_by(|a, b| a.template.cmp(&b.template));
    Ok(endpoints)
}

fn parse_tree(text: &str) -> Result<Vec<Value>, SchemaError> {
    if text.trim_start().starts_with('[') {
        return Ok(serde_json::from_str(text)?);
    }
    // apidoc.js: "const apiSchema = [ ... ];" followed by the viewer's JavaScript.
    let start = text
        .find('[')
        .ok_or_else(|| SchemaError::Invalid("no JSON array found".into()))?;
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Vec<Value>>();
    match stream.next() {
        Some(tree) => Ok(tree?),
        None => Err(SchemaError::Invalid("no JSON array found".into())),
    }
}

fn compile_endpoint(template: &str, info: &Map<String, Value>) -> Result<Endpoint, SchemaError> {
    let mut methods: [Option<MethodInfo>; 4] = Default::default();
    for (name, method_info) in info {
        let method = Method::parse(name).ok_or_else(|| {
            SchemaError::Invalid(format!("unknown method '{name}' on {template}"))
        })?;
        methods[method_slot(method)] = Some(MethodInfo {
            allowtoken: truthy(method_info.get("allowtoken")),
            parameters: compile_params(method_info.get("parameters")),
        });
    }
    Ok(Endpoint {
        template: template.to_string(),
        methods,
    })
}

fn compile_params(parameters: Option<&Value>) -> ParamSet {
    let mut set = ParamSet::default();
    let Some(parameters) = parameters else {
        return set;
    };
    set.additional = match parameters.get("additionalProperties") {
        Some(v) if !v.is_null() && !truthy(Some(v)) => Additional::Rejected,
        _ => Additional::Allowed,
    };
    let props = parameters.get("properties").and_then(Value::as_object);
    for (name, schema) in props.into_iter().flatten() {
        let compiled = compile_prop(schema);
        match name.strip_suffix("[n]") {
            Some(prefix) => set.indexed.insert(prefix.to_string(), compiled),
            None => set.props.insert(name.clone(), compiled),
        };
    }
    set.required = set
        .props
        .iter()
        .filter(|(_, schema)| !schema.optional)
        .map(|(name, _)| name.clone())
        .collect();
    set
}

pub(super) fn compile_prop(schema: &Value) -> PropSchema {
    let get = |key: &str| schema.get(key);
    let text_of = |key: &str| get(key).and_then(Value::as_str).map(str::to_string);
    PropSchema {
        ty: text_of("type").map(|t| parse_type(&t)),
        // Same notion of "optional" as check_prop (plus the reference validator's
        // instance-types rule for SDN fabric params flattened out of oneOf schemas).
        optional: truthy(get("optional"))
            || truthy(get("alias"))
            || truthy(get("group"))
            || get("instance-types").is_some(),
        format: get("format").and_then(compile_format),
        min_length: get("minLength").and_then(as_usize),
        max_length: get("maxLength").and_then(as_usize),
        minimum: get("minimum").and_then(bound),
        maximum: get("maximum").and_then(bound),
        enumeration: get("enum")
            .and_then(Value::as_array)
            .map(|values| values.iter().map(value_text).collect()),
        requires: text_of("requires"),
        items: get("items")
            .filter(|items| items.get("type").is_some())
            .map(|items| Box::new(compile_prop(items))),
        default_key: truthy(get("default_key")),
        alias: text_of("alias"),
        key_alias: text_of("keyAlias"),
    }
}

fn compile_format(format: &Value) -> Option<Format> {
    match format {
        Value::String(name) => Some(Format::Named(name.clone())),
        Value::Object(keys) => Some(Format::Object(
            keys.iter()
                .map(|(key, schema)| (key.clone(), compile_prop(schema)))
                .collect(),
        )),
        _ => None,
    }
}

fn parse_type(name: &str) -> Type {
    match name {
        "string" => Type::String,
        "integer" => Type::Integer,
        "number" => Type::Number,
        "boolean" => Type::Boolean,
        "array" => Type::Array,
        "object" => Type::Object,
        _ => Type::Other,
    }
}

fn bound(value: &Value) -> Option<Bound> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    Some(Bound {
        value: number,
        text: value_text(value),
    })
}

fn as_usize(value: &Value) -> Option<usize> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Perl truthiness of a schema flag (`1`, `"1"`, `true`).
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty() && s != "0",
        Some(_) => true,
    }
}

/// A scalar as Perl would print it (strings bare, numbers as JSON).
pub(super) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
