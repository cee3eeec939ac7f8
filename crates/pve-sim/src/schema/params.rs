//! Checking a request's parameters against one method's `parameters` schema.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::{Additional, ParamSet, PropSchema, value_text};
use super::value::{Errors, check_param, check_value};
use crate::api::ApiError;

/// Highest valid index per collapsed `name[n]` prefix, from Proxmox's expanded API dump
/// (the reference validator's `MAX_INDEX`). Prefixes not listed accept any index.
const MAX_INDEX: &[(&str, u32)] = &[
    ("acmedomain", 5),
    ("dev", 255),
    ("hostpci", 15),
    ("ide", 3),
    ("ipconfig", 31),
    ("link", 7),
    ("mp", 255),
    ("net", 31),
    ("numa", 7),
    ("parallel", 2),
    ("sata", 5),
    ("scsi", 30),
    ("serial", 3),
    ("unused", 255),
    ("usb", 13),
    ("virtio", 15),
    ("virtiofs", 9),
];

const NOT_DEFINED: &str =
    "property is not defined in schema and the schema does not allow additional properties";
const MISSING: &str = "property is missing and it is not optional";
const URI_CONFLICT: &str = "duplicate parameter (already defined in URI) with conflicting values!";

/// Validates path values and merged query/body params; `Err` is PVE's 400.
pub(super) fn check(
    set: &ParamSet,
    path_values: &BTreeMap<String, String>,
    params: &Map<String, Value>,
) -> Result<(), ApiError> {
    // PVE::HTTPServer refuses a param that repeats a path value differently before it
    // validates anything, and reports only that.
    let conflicts: BTreeMap<String, String> = params
        .iter()
        .filter(|(name, value)| {
            path_values
                .get(*name)
                .is_some_and(|path_value| &param_text(value) != path_value)
        })
        .map(|(name, _)| (name.clone(), URI_CONFLICT.to_string()))
        .collect();
    if !conflicts.is_empty() {
        return Err(ApiError::params(conflicts));
    }

    let mut errors = Errors::default();
    for (name, value) in path_values {
        if let Some(schema) = set.props.get(name) {
            check_value(name, &Value::String(value.clone()), schema, &mut errors);
        }
    }
    for (name, value) in params {
        if path_values.contains_key(name) {
            continue; // same value as the path, already checked above
        }
        match lookup(set, name) {
            Lookup::Found(schema) => {
                check_param(name, value, schema, &mut errors);
                if let Some(required) = &schema.requires {
                    let present =
                        params.contains_key(required) || path_values.contains_key(required);
                    if !present {
                        errors.add(required, format!("missing property required by '{name}'"));
                    }
                }
            }
            // Outside PVE's expanded `net0..net31` names even where extras are allowed.
            Lookup::OutOfRange => errors.add(name, NOT_DEFINED),
            Lookup::Unknown if set.additional == Additional::Rejected => {
                errors.add(name, NOT_DEFINED)
            }
            Lookup::Unknown => {}
        }
    }
    for name in &set.required {
        if !params.contains_key(name) && !path_values.contains_key(name) {
            errors.add(name, MISSING);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::params(errors.0))
    }
}

enum Lookup<'s> {
    Found(&'s PropSchema),
    /// An indexed name beyond the prefix's range (`net32`) or zero-padded (`net01`): PVE's
    /// expanded schema has no such property.
    OutOfRange,
    Unknown,
}

/// The schema of a param name: a plain property, or `net0` → `net[n]`.
fn lookup<'s>(set: &'s ParamSet, name: &str) -> Lookup<'s> {
    if let Some(schema) = set.props.get(name) {
        return Lookup::Found(schema);
    }
    let digits_at = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, digits) = name.split_at(digits_at);
    let Some(schema) = set.indexed.get(prefix).filter(|_| !digits.is_empty()) else {
        return Lookup::Unknown;
    };
    let index = digits
        .parse::<u32>()
        .ok()
        .filter(|_| !digits.starts_with('0') || digits == "0");
    let max = MAX_INDEX
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|&(_, max)| max);
    match (index, max) {
        (Some(index), Some(max)) if index > max => Lookup::OutOfRange,
        (Some(_), _) => Lookup::Found(schema),
        (None, _) => Lookup::OutOfRange,
    }
}

/// A param as PVE's string comparison sees it (JSON booleans stringify as 1/0 in Perl).
fn param_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        other => value_text(other),
    }
}
