//! The kinds of stored channels: which settings (kept in the clear) and secrets (kept
//! sealed, never shown again) each takes, how they are checked, and how a stored
//! channel becomes a [`Channel`] to send through.
//!
//! Adding a kind: a row in [`KINDS`] and an arm in [`to_channel`] (and a [`Channel`]
//! variant if its request is new).

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};

use super::Channel;
use crate::error::{DomainError, FieldErrors};

/// One field of a kind: its name and whether it must be set.
struct Field {
    name: &'static str,
    required: bool,
    /// An `http(s)://` URL.
    url: bool,
}

const fn field(name: &'static str, required: bool, url: bool) -> Field {
    Field {
        name,
        required,
        url,
    }
}

struct Kind {
    name: &'static str,
    settings: &'static [Field],
    secrets: &'static [Field],
}

/// Webhook URLs (Discord's and Slack's carry their token in the path) are secrets;
/// servers and topics are not.
const KINDS: &[Kind] = &[
    Kind {
        name: "webhook",
        settings: &[],
        secrets: &[field("url", true, true)],
    },
    Kind {
        name: "ntfy",
        settings: &[field("server", true, true), field("topic", true, false)],
        secrets: &[field("token", false, false)],
    },
    Kind {
        name: "gotify",
        settings: &[field("server", true, true)],
        secrets: &[field("token", true, false)],
    },
    Kind {
        name: "discord",
        settings: &[],
        secrets: &[field("webhook_url", true, true)],
    },
    Kind {
        name: "slack",
        settings: &[],
        secrets: &[field("webhook_url", true, true)],
    },
];

/// The longest setting or secret accepted.
const MAX_VALUE: usize = 2048;

/// The names of the kinds, for messages and the API's description.
pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// A channel's settings and secrets as they will be stored.
pub type Values = BTreeMap<String, String>;

/// Checks a channel's kind, settings and secrets (secrets already merged with the
/// stored ones on an update). Messages never repeat a secret's value.
pub fn validate(kind_name: &str, settings: &Values, secrets: &Values) -> Result<(), DomainError> {
    let Some(kind) = kind(kind_name) else {
        return Err(DomainError::invalid(
            "kind",
            format!("must be one of {}", kind_names().join(", ")),
        ));
    };
    let mut errors = FieldErrors::new();
    check(&mut errors, "settings", kind.settings, settings, kind_name);
    check(&mut errors, "secrets", kind.secrets, secrets, kind_name);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

fn check(errors: &mut FieldErrors, group: &str, fields: &[Field], values: &Values, kind: &str) {
    for name in values.keys() {
        if !fields.iter().any(|f| f.name == name) {
            errors.insert(
                format!("{group}.{name}"),
                format!("a {kind} channel takes no {name}"),
            );
        }
    }
    for f in fields {
        let path = format!("{group}.{}", f.name);
        match values.get(f.name).map(|v| v.trim()) {
            None | Some("") if f.required => {
                errors.insert(path, format!("a {kind} channel needs {}", f.name));
            }
            None | Some("") => {}
            Some(value) if value.len() > MAX_VALUE => {
                errors.insert(path, format!("at most {MAX_VALUE} characters"));
            }
            Some(value) if f.url => {
                let ok = url::Url::parse(value)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                if !ok {
                    errors.insert(path, "must be an http:// or https:// URL".to_owned());
                }
            }
            Some(_) => {}
        }
    }
}

/// Drops empty values: on an update, an empty secret clears it.
pub fn without_empty(values: Values) -> Values {
    values
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect()
}

/// The channel to send through, from stored (valid) settings and opened secrets.
pub fn to_channel(kind: &str, settings: &Values, secrets: &Values) -> Option<Channel> {
    let setting = |name: &str| settings.get(name).cloned();
    let secret = |name: &str| secrets.get(name).map(|v| SecretString::from(v.clone()));
    Some(match kind {
        "webhook" => Channel::Webhook {
            url: secret("url")?,
        },
        "ntfy" => Channel::Ntfy {
            server: setting("server")?,
            topic: setting("topic")?,
            token: secret("token"),
        },
        "gotify" => Channel::Gotify {
            server: setting("server")?,
            token: secret("token")?,
        },
        "discord" => Channel::Discord {
            webhook_url: secret("webhook_url")?,
        },
        "slack" => Channel::Slack {
            webhook_url: secret("webhook_url")?,
        },
        _ => return None,
    })
}

/// Secrets as sealed: a JSON object.
pub fn secrets_json(secrets: &Values) -> SecretString {
    SecretString::from(serde_json::to_string(secrets).expect("a map of strings serialises"))
}

pub fn parse_secrets(json: &SecretString) -> Option<Values> {
    serde_json::from_str(json.expose_secret()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn each_kind_takes_its_own_fields() {
        assert!(validate("webhook", &values(&[]), &values(&[("url", "https://h/x")])).is_ok());
        assert!(
            validate(
                "ntfy",
                &values(&[("server", "https://ntfy.sh"), ("topic", "lab")]),
                &values(&[])
            )
            .is_ok()
        );
        let Err(DomainError::Validation(errors)) = validate(
            "gotify",
            &values(&[("topic", "x"), ("server", "ftp://g")]),
            &values(&[]),
        ) else {
            panic!("invalid")
        };
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            ["secrets.token", "settings.server", "settings.topic"]
        );
        let Err(DomainError::Validation(errors)) = validate(
            "slack",
            &values(&[]),
            &values(&[("webhook_url", "not a url s3cr3t")]),
        ) else {
            panic!("invalid")
        };
        assert!(!format!("{errors:?}").contains("s3cr3t"));
        assert!(matches!(
            validate("pager", &values(&[]), &values(&[])),
            Err(DomainError::Validation(e)) if e.contains_key("kind")
        ));
    }
}
