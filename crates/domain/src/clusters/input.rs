//! What an administrator submits to create or replace a cluster, and its validation
//! into the normalised form that is stored.

use proxicloud_pve::Fingerprint;
use secrecy::{ExposeSecret, SecretString};

use super::tls::parse_certificates;
use crate::error::{DomainError, DomainResult, FieldErrors};

const MAX_NAME_LEN: usize = 64;
const MAX_ADDRESSES: usize = 32;
const MAX_SECRET_LEN: usize = 1024;
const MAX_CA_PEM_LEN: usize = 64 * 1024;

/// A cluster as submitted by an administrator (create, or full replacement on update).
#[derive(Debug, Clone)]
pub struct ClusterInput {
    pub name: String,
    /// Node API addresses, `https://host:8006` (`host` and `host:port` are accepted
    /// and completed), tried in order.
    pub addresses: Vec<String>,
    pub auth: AuthInput,
    /// SHA-256 fingerprint of the node certificate to pin, in any common notation.
    pub tls_fingerprint: Option<String>,
    /// PEM certificate(s) to trust instead of the system roots.
    pub ca_pem: Option<String>,
    /// `false` accepts any certificate (only for a lab; says so in the UI).
    pub verify_tls: bool,
}

/// How ProxiCloud authenticates against the cluster. The secret is optional on
/// update: `None` keeps the stored one (the API never hands it back to be re-sent).
#[derive(Debug, Clone)]
pub enum AuthInput {
    /// An API token `user@realm!tokenid` and its secret (recommended).
    ApiToken {
        token_id: String,
        secret: Option<SecretString>,
    },
    /// A user `user@realm` and password (ticket authentication).
    Password {
        username: String,
        password: Option<SecretString>,
    },
}

impl AuthInput {
    fn secret(&self) -> Option<&SecretString> {
        match self {
            AuthInput::ApiToken { secret, .. } => secret.as_ref(),
            AuthInput::Password { password, .. } => password.as_ref(),
        }
    }

    fn secret_field(&self) -> &'static str {
        match self {
            AuthInput::ApiToken { .. } => "auth.secret",
            AuthInput::Password { .. } => "auth.password",
        }
    }
}

/// The validated form: addresses and fingerprint normalised, secret still in clear
/// (sealed by the service once the cluster id is known).
pub(super) struct ValidInput {
    pub name: String,
    pub addresses: Vec<String>,
    pub credentials: proxicloud_store::ClusterCredentials,
    pub secret: Option<SecretString>,
    pub tls_fingerprint: Option<String>,
    pub ca_pem: Option<String>,
    pub verify_tls: bool,
}

/// `secret_required`: creating, or switching between token and password, where there
/// is no stored secret to keep.
pub(super) fn validate(input: ClusterInput, secret_required: bool) -> DomainResult<ValidInput> {
    let mut errors = FieldErrors::new();
    let name = input.name.trim().to_owned();
    if let Err(e) = check_name(&name) {
        errors.insert("name".into(), e);
    }
    let addresses = normalise_addresses(&input.addresses)
        .map_err(|e| errors.insert("addresses".into(), e))
        .unwrap_or_default();
    let credentials = credentials(&input.auth)
        .map_err(|(field, e)| errors.insert(field.into(), e))
        .ok();
    let secret = input.auth.secret().cloned();
    match &secret {
        None if secret_required => {
            errors.insert(input.auth.secret_field().into(), "is required".into());
        }
        Some(secret) => {
            if let Err(e) = check_secret(secret.expose_secret()) {
                errors.insert(input.auth.secret_field().into(), e);
            }
        }
        None => {}
    }
    let tls_fingerprint = match input.tls_fingerprint.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match text.parse::<Fingerprint>() {
            Ok(fingerprint) => Some(fingerprint.to_string()),
            Err(_) => {
                errors.insert(
                    "tls_fingerprint".into(),
                    "must be a SHA-256 fingerprint: 32 bytes in hexadecimal, as AA:BB:… or without colons"
                        .into(),
                );
                None
            }
        },
    };
    let ca_pem = match input.ca_pem.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(pem) if pem.len() > MAX_CA_PEM_LEN => {
            errors.insert("ca_pem".into(), "is too long".into());
            None
        }
        Some(pem) => match parse_certificates(pem) {
            Ok(_) => Some(format!("{pem}\n")),
            Err(e) => {
                errors.insert("ca_pem".into(), e);
                None
            }
        },
    };
    if tls_fingerprint.is_some() && ca_pem.is_some() {
        errors.insert(
            "tls_fingerprint".into(),
            "give either a fingerprint to pin or a CA certificate, not both".into(),
        );
    }
    match credentials {
        Some(credentials) if errors.is_empty() => Ok(ValidInput {
            name,
            addresses,
            credentials,
            secret,
            tls_fingerprint,
            ca_pem,
            verify_tls: input.verify_tls,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || " ._-".contains(c);
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        Err(format!("must be 1 to {MAX_NAME_LEN} characters"))
    } else if !name.chars().all(allowed) {
        Err("may contain only letters, digits, spaces, '.', '_' and '-'".into())
    } else {
        Ok(())
    }
}

/// Each address as `https://host:port` (no trailing slash), in the given order.
fn normalise_addresses(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.is_empty() {
        return Err("at least one node address is required".into());
    }
    if raw.len() > MAX_ADDRESSES {
        return Err(format!("at most {MAX_ADDRESSES} node addresses"));
    }
    let mut addresses: Vec<String> = Vec::with_capacity(raw.len());
    for text in raw {
        let text = text.trim();
        if text.starts_with("http://") {
            return Err(format!(
                "'{text}': Proxmox VE serves its API over https only"
            ));
        }
        let url = proxicloud_pve::parse_address(text).map_err(|_| {
            format!("'{text}' is not a node address such as https://pve1.example.com:8006")
        })?;
        let host = url.host_str().unwrap_or_default();
        let port = url
            .port_or_known_default()
            .unwrap_or(proxicloud_pve::DEFAULT_PORT);
        let address = format!("https://{host}:{port}");
        if addresses.contains(&address) {
            return Err(format!("'{address}' is listed twice"));
        }
        addresses.push(address);
    }
    Ok(addresses)
}

fn credentials(
    auth: &AuthInput,
) -> Result<proxicloud_store::ClusterCredentials, (&'static str, String)> {
    use proxicloud_store::ClusterCredentials as C;
    match auth {
        AuthInput::ApiToken { token_id, .. } => {
            let token_id = token_id.trim();
            let valid = token_id
                .split_once('!')
                .is_some_and(|(user, name)| is_user_id(user) && is_identifier(name));
            if valid {
                Ok(C::ApiToken {
                    token_id: token_id.to_owned(),
                })
            } else {
                Err((
                    "auth.token_id",
                    "must look like USER@REALM!TOKENID, e.g. root@pam!proxicloud".into(),
                ))
            }
        }
        AuthInput::Password { username, .. } => {
            let username = username.trim();
            if is_user_id(username) {
                Ok(C::Password {
                    username: username.to_owned(),
                })
            } else {
                Err((
                    "auth.username",
                    "must look like USER@REALM, e.g. root@pam".into(),
                ))
            }
        }
    }
}

/// PVE's `pve-userid`: a user name (no `@`, `!`, `:` or whitespace) and a realm.
fn is_user_id(text: &str) -> bool {
    let Some((user, realm)) = text.rsplit_once('@') else {
        return false;
    };
    let user_ok = !user.is_empty()
        && user.len() <= 64
        && !user
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "@!:".contains(c));
    user_ok && is_identifier(realm)
}

/// PVE's `pve-configid`-like identifiers used for realms and token names.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Secrets go into an HTTP header (token) or a form body (password): no line breaks
/// or other control characters, which could split the header.
fn check_secret(secret: &str) -> Result<(), String> {
    if secret.is_empty() {
        Err("must not be empty".into())
    } else if secret.len() > MAX_SECRET_LEN {
        Err(format!("must be at most {MAX_SECRET_LEN} characters"))
    } else if secret.chars().any(char::is_control) {
        Err("must not contain control characters or line breaks".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_input(addresses: &[&str]) -> ClusterInput {
        ClusterInput {
            name: "lab".into(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
            auth: AuthInput::ApiToken {
                token_id: "root@pam!ci".into(),
                secret: Some(SecretString::from("s3cr3t")),
            },
            tls_fingerprint: None,
            ca_pem: None,
            verify_tls: true,
        }
    }

    fn fields(result: DomainResult<ValidInput>) -> FieldErrors {
        match result {
            Err(DomainError::Validation(fields)) => fields,
            Err(other) => panic!("expected field errors, got {other:?}"),
            Ok(_) => panic!("expected field errors, got a valid input"),
        }
    }

    #[test]
    fn addresses_are_completed_to_https_host_port() {
        let valid = validate(
            token_input(&["pve1", "10.0.0.2:8007", "https://pve3:8006/"]),
            true,
        )
        .expect("valid");
        assert_eq!(
            valid.addresses,
            [
                "https://pve1:8006",
                "https://10.0.0.2:8007",
                "https://pve3:8006"
            ]
        );
    }

    #[test]
    fn plain_http_duplicates_and_empty_lists_are_refused() {
        for addresses in [
            &["http://pve1:8006"][..],
            &["pve1", "https://pve1:8006"],
            &[],
        ] {
            let errors = fields(validate(token_input(addresses), true));
            assert!(
                errors.contains_key("addresses"),
                "{addresses:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn fingerprints_are_normalised_to_pve_notation() {
        let mut input = token_input(&["pve1"]);
        input.tls_fingerprint = Some("ab".repeat(32));
        let valid = validate(input, true).expect("valid");
        let expected = vec!["AB"; 32].join(":");
        assert_eq!(valid.tls_fingerprint.as_deref(), Some(expected.as_str()));
    }

    #[test]
    fn bad_credentials_shape_and_missing_secret_are_field_errors() {
        let mut input = token_input(&["pve1"]);
        input.auth = AuthInput::ApiToken {
            token_id: "root@pam".into(),
            secret: None,
        };
        input.tls_fingerprint = Some("AA:BB".into());
        input.name = String::new();
        let errors = fields(validate(input, true));
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["auth.secret", "auth.token_id", "name", "tls_fingerprint"]
        );
    }

    #[test]
    fn a_secret_may_be_omitted_when_the_stored_one_is_kept() {
        let mut input = token_input(&["pve1"]);
        input.auth = AuthInput::Password {
            username: "root@pam".into(),
            password: None,
        };
        let valid = validate(input, false).expect("valid without a password");
        assert!(valid.secret.is_none());
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let printed = format!("{:?}", token_input(&["pve1"]));
        assert!(!printed.contains("s3cr3t"), "{printed}");
    }

    #[test]
    fn secrets_with_line_breaks_are_refused() {
        let mut input = token_input(&["pve1"]);
        input.auth = AuthInput::ApiToken {
            token_id: "root@pam!ci".into(),
            secret: Some(SecretString::from("abc\r\nX-Evil: 1")),
        };
        assert!(fields(validate(input, true)).contains_key("auth.secret"));
    }
}
