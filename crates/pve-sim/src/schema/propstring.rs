//! Property strings such as `name=eth0,bridge=vmbr0,ip=dhcp`, checked like
//! `PVE::JSONSchema::parse_property_string` followed by `check_object` with additional
//! properties refused.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::model::{PropSchema, Type};
use super::value::{Errors, check_value};

const MISSING: &str = "property is missing and it is not optional";
const NOT_DEFINED: &str =
    "property is not defined in schema and the schema does not allow additional properties";

/// `Err` is PVE's `die` text (newline-terminated): a parse error, or "format error" followed
/// by one `key: message` line per failing key (sorted; PVE prints them in hash order).
pub(super) fn check(
    format: &HashMap<String, PropSchema>,
    text: &str,
    path: &str,
) -> Result<(), String> {
    let parsed = parse(format, text).map_err(|reason| format!("{reason}\n"))?;
    let mut errors = Errors::default();
    check_object(format, &parsed, path, &mut errors);
    if errors.is_empty() {
        return Ok(());
    }
    let mut message = String::from("format error\n");
    for (key, error) in &errors.0 {
        message.push_str(&format!("{key}: {error}\n"));
    }
    Err(message)
}

/// Splits into keys and values, resolving aliases and the default key.
fn parse(
    format: &HashMap<String, PropSchema>,
    text: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut parsed = BTreeMap::new();
    let mut default_key: Option<&str> = None;
    for part in text.split(',') {
        if part.chars().all(char::is_whitespace) {
            continue;
        }
        if let Some((key, value)) = split_key_value(part) {
            if parsed.contains_key(key) {
                return Err(format!(
                    "duplicate key in comma-separated list property: {key}"
                ));
            }
            let (key, schema) = resolve_alias(format, key, &mut parsed)?;
            let value = normalize_boolean(schema, value);
            parsed.insert(key, value);
        } else if !part.contains('=') {
            if let Some(key) = default_key {
                return Err(format!(
                    "duplicate key in comma-separated list property: {key}"
                ));
            }
            let (key, schema) = format
                .iter()
                .find(|(_, schema)| schema.default_key)
                .ok_or("value without key, but schema does not define a default key")?;
            default_key = Some(key);
            // `if (!$res->{$default_key})`: an earlier explicit value wins unless Perl-false.
            if parsed.get(key).is_some_and(|v| !v.is_empty() && v != "0") {
                return Err(format!(
                    "duplicate key in comma-separated list property: {key}"
                ));
            }
            parsed.insert(key.clone(), normalize_boolean(Some(schema), part));
        } else {
            return Err("missing key in comma-separated list property".into());
        }
    }
    Ok(parsed)
}

/// `/^([^=]+)=(.+)$/`: a non-empty key, a non-empty single-line value (Perl's `$` allows
/// one final newline, which is not part of the value).
fn split_key_value(part: &str) -> Option<(&str, &str)> {
    let (key, value) = part.split_once('=')?;
    let value = value.strip_suffix('\n').unwrap_or(value);
    let valid = !key.is_empty() && !value.is_empty() && !value.contains('\n');
    valid.then_some((key, value))
}

/// Maps an alias key to its target; `keyAlias` also records the alias name itself
/// (qemu `net0: virtio=MAC` means `model=virtio,macaddr=MAC`).
fn resolve_alias<'f>(
    format: &'f HashMap<String, PropSchema>,
    key: &str,
    parsed: &mut BTreeMap<String, String>,
) -> Result<(String, Option<&'f PropSchema>), String> {
    let schema = format.get(key);
    let Some(alias) = schema.and_then(|s| s.alias.as_deref()) else {
        return match schema {
            Some(_) => Ok((key.to_string(), schema)),
            None => Err(format!(
                "invalid key in comma-separated list property: {key}"
            )),
        };
    };
    if let Some(key_alias) = schema.and_then(|s| s.key_alias.as_deref()) {
        if parsed.contains_key(key_alias) {
            return Err(format!("key alias '{key_alias}' is already defined"));
        }
        parsed.insert(key_alias.to_string(), key.to_string());
    }
    if parsed.contains_key(alias) {
        return Err(format!("key '{alias}' is already defined (via alias)"));
    }
    match format.get(alias) {
        Some(target) => Ok((alias.to_string(), Some(target))),
        None => Err(format!(
            "invalid key in comma-separated list property: {alias}"
        )),
    }
}

/// `parse_boolean($v) // $v` for boolean keys: on/yes/true → 1, off/no/false → 0.
fn normalize_boolean(schema: Option<&PropSchema>, value: &str) -> String {
    if schema.and_then(|s| s.ty) != Some(Type::Boolean) {
        return value.to_string();
    }
    let word = value
        .strip_suffix('\n')
        .unwrap_or(value)
        .to_ascii_lowercase();
    match word.as_str() {
        "1" | "on" | "yes" | "true" => "1".into(),
        "0" | "off" | "no" | "false" => "0".into(),
        _ => value.to_string(),
    }
}

/// `check_object` with `additionalProperties => 0` over the parsed keys.
fn check_object(
    format: &HashMap<String, PropSchema>,
    parsed: &BTreeMap<String, String>,
    path: &str,
    errors: &mut Errors,
) {
    for (key, schema) in format {
        if schema.alias.is_some() {
            continue; // aliases are remapped and never validated themselves
        }
        let key_path = format!("{path}.{key}");
        match parsed.get(key) {
            Some(value) => check_value(&key_path, &Value::String(value.clone()), schema, errors),
            None if !schema.optional => errors.add(&key_path, MISSING),
            None => {}
        }
    }
    for key in parsed.keys() {
        let Some(schema) = format.get(key) else {
            // Only a `keyAlias` naming a key outside the format can get here.
            errors.add(&format!("{path}.{key}"), NOT_DEFINED);
            continue;
        };
        let Some(required) = schema.requires.as_deref() else {
            continue;
        };
        if !parsed.contains_key(required) {
            errors.add(
                &format!("{path}.{required}"),
                format!("missing property required by '{path}.{key}'"),
            );
        }
    }
}
