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

/// One field of a kind: its name, whether it must be set, and what it must be.
struct Field {
    name: &'static str,
    required: bool,
    check: Check,
}

/// What a field's value must be.
#[derive(Clone, Copy)]
enum Check {
    Text,
    /// An `http(s)://` URL.
    Url,
    /// A TCP port (1–65535).
    Port,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// One mail address (`ops@example.com` or `Ops <ops@example.com>`).
    Mailbox,
    /// Mail addresses separated by commas.
    Mailboxes,
    /// PEM certificates.
    Pem,
}

const fn field(name: &'static str, required: bool, check: Check) -> Field {
    Field {
        name,
        required,
        check,
    }
}

struct Kind {
    name: &'static str,
    settings: &'static [Field],
    secrets: &'static [Field],
}

/// How an email channel's connection is protected.
pub const EMAIL_SECURITY: [&str; 3] = ["starttls", "tls", "none"];

/// Webhook URLs (Discord's and Slack's carry their token in the path) are secrets;
/// servers and topics are not.
const KINDS: &[Kind] = &[
    Kind {
        name: "webhook",
        settings: &[],
        secrets: &[field("url", true, Check::Url)],
    },
    Kind {
        name: "ntfy",
        settings: &[
            field("server", true, Check::Url),
            field("topic", true, Check::Text),
        ],
        secrets: &[field("token", false, Check::Text)],
    },
    Kind {
        name: "gotify",
        settings: &[field("server", true, Check::Url)],
        secrets: &[field("token", true, Check::Text)],
    },
    Kind {
        name: "discord",
        settings: &[],
        secrets: &[field("webhook_url", true, Check::Url)],
    },
    Kind {
        name: "slack",
        settings: &[],
        secrets: &[field("webhook_url", true, Check::Url)],
    },
    Kind {
        name: "email",
        settings: &[
            field("host", true, Check::Text),
            field("port", false, Check::Port),
            field("security", false, Check::OneOf(&EMAIL_SECURITY)),
            field("from", true, Check::Mailbox),
            field("to", true, Check::Mailboxes),
            field("username", false, Check::Text),
            field("ca_certificate", false, Check::Pem),
        ],
        secrets: &[field("password", false, Check::Text)],
    },
];

/// The longest setting or secret accepted (a PEM certificate chain: [`MAX_PEM`]).
const MAX_VALUE: usize = 2048;
const MAX_PEM: usize = 16 * 1024;

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
    if kind_name == "email" {
        check_email_login(&mut errors, settings, secrets);
    }
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
        let limit = match f.check {
            Check::Pem => MAX_PEM,
            _ => MAX_VALUE,
        };
        match values.get(f.name).map(|v| v.trim()) {
            None | Some("") if f.required => {
                errors.insert(path, format!("a {kind} channel needs {}", f.name));
            }
            None | Some("") => {}
            Some(value) if value.len() > limit => {
                errors.insert(path, format!("at most {limit} characters"));
            }
            Some(value) => {
                if let Err(why) = check_value(f.check, value) {
                    errors.insert(path, why);
                }
            }
        }
    }
}

/// Whether `value` is what `check` asks for; the reason never repeats the value.
fn check_value(check: Check, value: &str) -> Result<(), String> {
    match check {
        Check::Text => Ok(()),
        Check::Url => url::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .then_some(())
            .ok_or_else(|| "must be an http:// or https:// URL".to_owned()),
        Check::Port => value
            .parse::<u16>()
            .is_ok_and(|port| port > 0)
            .then_some(())
            .ok_or_else(|| "must be a port number (1-65535)".to_owned()),
        Check::OneOf(words) => words
            .contains(&value)
            .then_some(())
            .ok_or_else(|| format!("must be one of {}", words.join(", "))),
        Check::Mailbox => super::email::parse_mailbox(value).map(drop),
        Check::Mailboxes => super::email::parse_mailboxes(value).map(drop),
        Check::Pem => super::email::parse_certificates(value).map(drop),
    }
}

/// A login needs both halves, and never goes over an unencrypted connection.
fn check_email_login(errors: &mut FieldErrors, settings: &Values, secrets: &Values) {
    let set = |values: &Values, name: &str| values.get(name).is_some_and(|v| !v.trim().is_empty());
    let (username, password) = (set(settings, "username"), set(secrets, "password"));
    if username && !password {
        errors.insert(
            "secrets.password".into(),
            "a login needs a password too".into(),
        );
    }
    if password && !username {
        errors.insert(
            "settings.username".into(),
            "a password needs a username".into(),
        );
    }
    if (username || password) && settings.get("security").map(String::as_str) == Some("none") {
        errors.insert(
            "settings.security".into(),
            "a login is never sent over an unencrypted connection: use starttls or tls".into(),
        );
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
        "email" => Channel::Email(Box::new(super::email::EmailChannel::from_stored(
            settings, secrets,
        )?)),
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

    #[test]
    fn an_email_channel_needs_addresses_and_never_logs_in_over_plain_smtp() {
        let good = values(&[
            ("host", "mail.lab"),
            ("from", "ProxiCloud <pc@lab.example>"),
            ("to", "a@lab.example, B <b@lab.example>"),
            ("username", "pc"),
        ]);
        assert!(validate("email", &good, &values(&[("password", "pw")])).is_ok());
        let channel = to_channel("email", &good, &values(&[("password", "pw")])).unwrap();
        let Channel::Email(email) = channel else {
            panic!("an email channel")
        };
        assert_eq!(
            (email.port, email.to.len()),
            (587, 2),
            "STARTTLS by default"
        );
        assert!(!format!("{email:?}").contains("pw"));

        let mut plain = good.clone();
        plain.insert("security".into(), "none".into());
        plain.insert("port".into(), "0".into());
        plain.insert("to".into(), "not an address".into());
        plain.insert("ca_certificate".into(), "hello".into());
        let Err(DomainError::Validation(errors)) =
            validate("email", &plain, &values(&[("password", "s3cr3t")]))
        else {
            panic!("invalid")
        };
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "settings.ca_certificate",
                "settings.port",
                "settings.security",
                "settings.to"
            ]
        );
        assert!(!format!("{errors:?}").contains("s3cr3t"));
        let Err(DomainError::Validation(errors)) = validate("email", &good, &values(&[])) else {
            panic!("a username without a password")
        };
        assert!(errors.contains_key("secrets.password"));
    }
}
