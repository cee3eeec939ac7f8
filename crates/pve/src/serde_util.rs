//! Lenient deserialisers for PVE responses. PVE is written in Perl: numbers arrive as
//! JSON numbers or strings depending on the code path, booleans as `0`/`1`, `"0"`/`"1"`
//! or JSON booleans. Every helper returns `Option` and maps `null` to `None`; use them
//! with `#[serde(default, deserialize_with = "…")]`.

use serde::Deserialize;
use serde::de::{Deserializer, Error};
use serde_json::Value;

fn number_from(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// An unsigned integer sent as a number or a string (floats are truncated: PVE sends
/// e.g. `maxmem` as `2147483648.0` in some code paths).
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) if n.is_u64() => Ok(n.as_u64()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        other => match number_from(&other) {
            Some(f) if f >= 0.0 && f.is_finite() => Ok(Some(f as u64)),
            _ => Err(D::Error::custom(format!(
                "expected an unsigned integer, got {other}"
            ))),
        },
    }
}

/// A signed integer sent as a number or a string.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) if n.is_i64() => Ok(n.as_i64()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        other => match number_from(&other) {
            Some(f) if f.is_finite() => Ok(Some(f as i64)),
            _ => Err(D::Error::custom(format!(
                "expected an integer, got {other}"
            ))),
        },
    }
}

/// A fractional number sent as a number or a string.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        other => number_from(&other)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a number, got {other}"))),
    }
}

/// A boolean as PVE sends it: `true`/`false`, `0`/`1`, `"0"`/`"1"`, and the
/// `yes`/`no`, `on`/`off` spellings found in some config values.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::Number(n) => Ok(Some(n.as_f64().is_some_and(|f| f != 0.0))),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            other => Err(D::Error::custom(format!(
                "expected a boolean, got '{other}'"
            ))),
        },
        other => Err(D::Error::custom(format!("expected a boolean, got {other}"))),
    }
}

/// Text that PVE sometimes sends as a number (ids, tags, versions).
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(if b { "1" } else { "0" }.to_string())),
        other => Err(D::Error::custom(format!("expected text, got {other}"))),
    }
}

/// A list PVE sends either as a JSON array or as one comma/semicolon separated string
/// (e.g. a user's `groups`, a zone's `nodes`).
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(s
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()),
        Value::Array(items) => Ok(items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect()),
        other => Err(D::Error::custom(format!("expected a list, got {other}"))),
    }
}

/// Reads a field of a free-form JSON object (guest configs) as text, whatever its type.
pub fn value_as_string(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Sample {
        #[serde(deserialize_with = "opt_u64")]
        count: Option<u64>,
        #[serde(deserialize_with = "opt_i64")]
        offset: Option<i64>,
        #[serde(deserialize_with = "opt_f64")]
        cpu: Option<f64>,
        #[serde(deserialize_with = "opt_bool")]
        enabled: Option<bool>,
        #[serde(deserialize_with = "opt_string")]
        id: Option<String>,
        #[serde(deserialize_with = "string_list")]
        groups: Vec<String>,
    }

    fn sample(json: &str) -> Sample {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn integers_arrive_as_numbers_strings_or_floats() {
        assert_eq!(sample(r#"{"count": 42}"#).count, Some(42));
        assert_eq!(sample(r#"{"count": "42"}"#).count, Some(42));
        assert_eq!(
            sample(r#"{"count": 2147483648.0}"#).count,
            Some(2_147_483_648)
        );
        assert_eq!(sample(r#"{"offset": "-3"}"#).offset, Some(-3));
        assert_eq!(sample(r#"{"count": null}"#).count, None);
        assert_eq!(sample("{}").count, None);
        assert!(serde_json::from_str::<Sample>(r#"{"count": "lots"}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"count": -1}"#).is_err());
    }

    #[test]
    fn booleans_arrive_in_every_perl_spelling() {
        for (json, expected) in [
            (r#"{"enabled": 1}"#, Some(true)),
            (r#"{"enabled": 0}"#, Some(false)),
            (r#"{"enabled": "1"}"#, Some(true)),
            (r#"{"enabled": "0"}"#, Some(false)),
            (r#"{"enabled": true}"#, Some(true)),
            (r#"{"enabled": "no"}"#, Some(false)),
            (r#"{"enabled": null}"#, None),
        ] {
            assert_eq!(sample(json).enabled, expected, "{json}");
        }
        assert!(serde_json::from_str::<Sample>(r#"{"enabled": "maybe"}"#).is_err());
    }

    #[test]
    fn numbers_text_and_lists_are_tolerated() {
        assert_eq!(sample(r#"{"cpu": "0.25"}"#).cpu, Some(0.25));
        assert_eq!(sample(r#"{"id": 100}"#).id.as_deref(), Some("100"));
        assert_eq!(
            sample(r#"{"groups": "admins,ops"}"#).groups,
            ["admins", "ops"]
        );
        assert_eq!(sample(r#"{"groups": ["admins"]}"#).groups, ["admins"]);
        // Unknown fields never break decoding.
        assert_eq!(
            sample(r#"{"count": 1, "brand_new_field": {"x": 1}}"#).count,
            Some(1)
        );
    }
}
