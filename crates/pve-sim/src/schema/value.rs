//! Checking one value against one property schema, in the order and with the wording of
//! `PVE::JSONSchema::check_prop`: type, format, pattern, length, range, enumeration.

use std::collections::BTreeMap;

use serde_json::Value;

use super::formats;
use super::model::{PropSchema, Type, value_text};

/// Per-key messages; a second message for the same key is appended the way PVE's
/// `add_error` does it (joined with a literal `\n`, PVE uses a single-quoted '\n').
#[derive(Debug, Default)]
pub(super) struct Errors(pub BTreeMap<String, String>);

impl Errors {
    pub fn add(&mut self, key: &str, message: impl Into<String>) {
        let message = message.into();
        self.0
            .entry(key.to_string())
            .and_modify(|existing| {
                existing.push_str("\\n");
                existing.push_str(&message);
            })
            .or_insert(message);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Checks a top-level request parameter (after PVE's legacy form normalisation).
pub(super) fn check_param(key: &str, value: &Value, schema: &PropSchema, errors: &mut Errors) {
    if value.is_null() {
        // PVE would treat an explicit JSON null as absent; the reference validator rejects
        // it, and a client has no business sending one.
        errors.add(key, "null is not a valid value");
        return;
    }
    match normalize_legacy(value, schema) {
        Normalized::Joined(text) => check_value(key, &Value::String(text), schema, errors),
        Normalized::Wrapped => check_items(key, std::slice::from_ref(value), schema, errors),
        Normalized::Unchanged => check_value(key, value, schema, errors),
    }
}

enum Normalized {
    Unchanged,
    /// An array for a string with a `-list` format, joined with ','.
    Joined(String),
    /// A scalar for an array-typed param (a form can only send scalars).
    Wrapped,
}

/// `RESTHandler::normalize_legacy_param_formats`: only for Perl-true values.
fn normalize_legacy(value: &Value, schema: &PropSchema) -> Normalized {
    match value {
        Value::Array(items) if schema.ty == Some(Type::String) && schema.has_list_format() => {
            Normalized::Joined(items.iter().map(value_text).collect::<Vec<_>>().join(","))
        }
        Value::Array(_) | Value::Object(_) => Normalized::Unchanged,
        scalar if schema.ty == Some(Type::Array) && perl_true(scalar) => Normalized::Wrapped,
        _ => Normalized::Unchanged,
    }
}

fn perl_true(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty() && s != "0",
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `check_prop` for a defined value.
pub(super) fn check_value(key: &str, value: &Value, schema: &PropSchema, errors: &mut Errors) {
    if let Err(message) = check_type(value, schema.ty) {
        errors.add(key, message);
        return;
    }
    match value {
        Value::Array(items) => check_items(key, items, schema, errors),
        // Only reachable for `object`/untyped params, which the official schema lacks.
        Value::Object(_) => {}
        Value::Bool(_) => {}
        scalar => {
            if schema.ty == Some(Type::Boolean) {
                // Booleans are exactly 0 or 1; nothing else applies to them.
                return;
            }
            if let Err(message) = check_scalar(key, &value_text(scalar), schema) {
                errors.add(key, message);
            }
        }
    }
}

fn check_items(key: &str, items: &[Value], schema: &PropSchema, errors: &mut Errors) {
    let Some(item_schema) = &schema.items else {
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let item_key = format!("{key}[{index}]");
        if item.is_null() {
            errors.add(&item_key, "null is not a valid value");
        } else {
            check_value(&item_key, item, item_schema, errors);
        }
    }
}

/// `check_type` with PVE's messages. JSON booleans are Perl `JSON::PP::Boolean` objects.
fn check_type(value: &Value, ty: Option<Type>) -> Result<(), String> {
    // Untyped values are treated like the reference validator does: any scalar passes.
    let ty = ty.unwrap_or(Type::Other);
    let name = ty.name();
    let failed = |got: &str| Err(format!("type check ('{name}') failed{got}"));
    match (ty, value) {
        (Type::Array, Value::Array(_)) | (Type::Object, Value::Object(_)) => Ok(()),
        (Type::Array | Type::Object, _) => failed(""),
        (_, Value::Array(_)) => failed(" - got ARRAY"),
        (_, Value::Object(_)) => failed(" - got HASH"),
        (Type::Boolean, Value::Bool(_)) => Ok(()),
        (_, Value::Bool(_)) => failed(" - got JSON::PP::Boolean"),
        (Type::String | Type::Other, _) => Ok(()),
        (Type::Boolean, Value::Number(n)) if matches!(n.as_f64(), Some(v) if v == 0.0 || v == 1.0) => {
            Ok(())
        }
        (Type::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        (Type::Number, Value::Number(_)) => Ok(()),
        (_, scalar) => {
            let text = value_text(scalar);
            let ok = match (ty, scalar) {
                (Type::Boolean, Value::String(s)) => s == "0" || s == "1",
                (Type::Integer, Value::String(s)) => is_integer(s),
                (Type::Number, Value::String(s)) => is_number(s),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                failed(&format!(" - got '{text}'"))
            }
        }
    }
}

/// Format, length, range and enumeration checks of a scalar (`check_prop`), first failure
/// wins. `key` is the error path, the prefix of nested property-string keys.
fn check_scalar(key: &str, text: &str, schema: &PropSchema) -> Result<(), String> {
    if let Some(format) = &schema.format {
        formats::check(format, text, key).map_err(|reason| format!("invalid format - {reason}"))?;
    }
    let length = text.chars().count();
    if let Some(max) = schema.max_length
        && length > max
    {
        return Err(format!("value may only be {max} characters long"));
    }
    if let Some(min) = schema.min_length
        && length < min
    {
        return Err(format!("value must be at least {min} characters long"));
    }
    if is_number(text) {
        let number = parse_number(text);
        if let Some(max) = &schema.maximum
            && number > max.value
        {
            return Err(format!("value must have a maximum value of {}", max.text));
        }
        if let Some(min) = &schema.minimum
            && number < min.value
        {
            return Err(format!("value must have a minimum value of {}", min.text));
        }
    }
    if let Some(allowed) = &schema.enumeration
        && !allowed.iter().any(|a| a == text)
    {
        return Err(format!(
            "value '{text}' does not have a value in the enumeration '{}'",
            allowed.join(", ")
        ));
    }
    Ok(())
}

/// Perl's `$` also matches before one trailing newline; PVE's regexes inherit that.
fn strip_final_newline(text: &str) -> &str {
    text.strip_suffix('\n').unwrap_or(text)
}

fn strip_sign(text: &str) -> &str {
    text.strip_prefix(['+', '-']).unwrap_or(text)
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `PVE::JSONSchema::is_integer`: `/^[+-]?\d+$/`.
pub(super) fn is_integer(text: &str) -> bool {
    all_digits(strip_sign(strip_final_newline(text)))
}

/// `PVE::JSONSchema::is_number`: `/^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$/`.
pub(super) fn is_number(text: &str) -> bool {
    let body = strip_sign(strip_final_newline(text));
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (all_digits(int) || int.is_empty())
                && (all_digits(frac) || frac.is_empty())
                && !(int.is_empty() && frac.is_empty())
        }
        None => all_digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(|e| all_digits(strip_sign(e)))
}

/// The numeric value of text that passed [`is_number`] ("1." and ".5" included).
fn parse_number(text: &str) -> f64 {
    let trimmed = strip_final_newline(text);
    let (sign, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], &body[at..]),
        None => (body, ""),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let int = if int.is_empty() { "0" } else { int };
    let frac = if frac.is_empty() { "0" } else { frac };
    format!("{int}.{frac}{exponent}")
        .parse::<f64>()
        .map_or(f64::NAN, |n| sign * n)
}
