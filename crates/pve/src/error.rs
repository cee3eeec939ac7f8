//! One error type for every PVE call, classified the way callers need to react:
//! retry, report a field error, wait for a lock, tell the user a guest is gone.

use std::collections::BTreeMap;

use crate::upid::Upid;

pub type Result<T, E = PveError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum PveError {
    /// 401: bad credentials, expired ticket, unknown token.
    #[error("authentication failed: {message}")]
    Unauthorized { message: String },
    /// 403: authenticated but lacking a privilege.
    #[error("permission denied: {message}")]
    Forbidden { message: String },
    /// The object does not exist. PVE reports missing guests as HTTP 500
    /// "Configuration file '…' does not exist", so this is derived from the message too.
    #[error("not found: {message}")]
    NotFound { message: String },
    /// The endpoint does not exist on this PVE version ("Method '…' not implemented").
    #[error("endpoint not available: {message}")]
    MethodNotImplemented { message: String },
    /// 400 "Parameter verification failed." with PVE's per-parameter messages.
    #[error("parameter verification failed: {}", format_fields(.fields))]
    ParameterVerification {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// The guest or a config file is locked ("CT is locked (backup)", "can't lock file …").
    #[error("locked: {message}")]
    Locked { message: String },
    /// The operation conflicts with the object's state ("already exists", "not running").
    #[error("conflict: {message}")]
    Conflict { message: String },
    /// No node address accepted a connection. One entry per address tried.
    #[error("no Proxmox VE node reachable ({})", .attempts.join("; "))]
    Unreachable { attempts: Vec<String> },
    /// A request or a wait ran out of time.
    #[error("timed out: {what}")]
    Timeout { what: String },
    /// The TLS handshake failed, e.g. the certificate fingerprint does not match.
    #[error("TLS error: {message}")]
    Tls { message: String },
    /// The connection broke after the request was sent; its outcome is unknown.
    #[error("connection error: {message}")]
    Connection { message: String },
    /// Any other PVE error, with PVE's own message.
    #[error("Proxmox VE returned {status}: {message}")]
    Server { status: u16, message: String },
    /// A task finished with an error exit status.
    #[error("task {upid} failed: {exitstatus}")]
    TaskFailed {
        /// Boxed to keep `PveError` (and so every `Result`) small.
        upid: Box<Upid>,
        exitstatus: String,
        /// The last lines of the task log, oldest first.
        log_tail: Vec<String>,
    },
    /// The `Pve` implementation (typically a test fake) does not provide this call.
    #[error("{operation} is not implemented by this Proxmox VE backend")]
    NotImplemented { operation: &'static str },
    /// The response did not have the expected shape.
    #[error("cannot decode the response of {context}: {message}")]
    Decode { context: String, message: String },
    /// The caller asked for something this client refuses to send.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The connection settings are unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

fn format_fields(fields: &BTreeMap<String, String>) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl PveError {
    /// Builds the error for a non-2xx PVE response. `reason` is the HTTP reason phrase,
    /// where PVE also puts its message; `body` is the raw response body.
    pub fn from_response(status: u16, reason: &str, body: &[u8]) -> Self {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let body_message = parsed
            .as_ref()
            .and_then(|v| v.get("message"))
            .and_then(|m| m.as_str())
            .map(str::trim)
            .filter(|m| !m.is_empty());
        let message = body_message.unwrap_or(reason.trim()).to_string();
        let fields: BTreeMap<String, String> = parsed
            .as_ref()
            .and_then(|v| v.get("errors"))
            .and_then(|e| e.as_object())
            .map(|errors| {
                errors
                    .iter()
                    .map(|(k, v)| {
                        let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                        (k.clone(), text.trim().to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();

        if status == 400 && !fields.is_empty() {
            return PveError::ParameterVerification { message, fields };
        }
        match status {
            401 => return PveError::Unauthorized { message },
            403 => return PveError::Forbidden { message },
            _ => {}
        }
        if status == 501 || is_method_not_implemented(&message) {
            return PveError::MethodNotImplemented { message };
        }
        if status == 404 {
            return PveError::NotFound { message };
        }
        classify_message(status, message)
    }

    /// Whether repeating the same idempotent request may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            PveError::Server { status, .. } => *status >= 500 && *status != 501,
            PveError::Unreachable { .. } | PveError::Timeout { .. } => true,
            PveError::Connection { .. } => true,
            _ => false,
        }
    }

    /// PVE refused to create an object because its id is taken (e.g. a vmid that
    /// `/cluster/nextid` offered to two callers at once).
    pub fn is_already_exists(&self) -> bool {
        match self {
            PveError::Conflict { message } | PveError::Server { message, .. } => {
                message.contains("already exists")
            }
            PveError::ParameterVerification { fields, .. } => {
                fields.values().any(|m| m.contains("already exists"))
            }
            _ => false,
        }
    }
}

fn is_method_not_implemented(message: &str) -> bool {
    message.starts_with("Method '") && message.contains("not implemented")
}

/// PVE answers most operational failures with 500 and a human message; these
/// patterns come from pve-container, qemu-server, pve-guest-common and pve-storage.
fn classify_message(status: u16, message: String) -> PveError {
    let lower = message.to_lowercase();
    let locked = lower.contains("is locked")
        || lower.contains("can't lock file")
        || lower.contains("can't acquire lock");
    if locked {
        return PveError::Locked { message };
    }
    let missing = lower.contains("does not exist")
        || lower.starts_with("no such ")
        || lower.contains(": no such ")
        || lower.contains("not found");
    if missing {
        return PveError::NotFound { message };
    }
    let conflict = lower.contains("already exists")
        || lower.contains("already running")
        || lower.contains("not running")
        || lower.contains("is running");
    if conflict {
        return PveError::Conflict { message };
    }
    PveError::Server { status, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_body(status: u16, reason: &str, body: &str) -> PveError {
        PveError::from_response(status, reason, body.as_bytes())
    }

    #[test]
    fn parameter_errors_keep_every_field_message() {
        let err = from_body(
            400,
            "Parameter verification failed.",
            r#"{"data":null,"message":"Parameter verification failed.\n","errors":{"memory":"type check ('integer') failed - got 'lots'","foo":"property is not defined in schema and the schema does not allow additional properties"}}"#,
        );
        let PveError::ParameterVerification { message, fields } = err else {
            panic!("expected a parameter error");
        };
        assert_eq!(message, "Parameter verification failed.");
        assert_eq!(fields.len(), 2);
        assert!(fields["memory"].starts_with("type check"));
    }

    #[test]
    fn missing_guest_reported_as_500_is_not_found() {
        let err = from_body(
            500,
            "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist",
            r#"{"data":null}"#,
        );
        assert!(
            matches!(&err, PveError::NotFound { message } if message.contains("100.conf")),
            "{err:?}"
        );
    }

    #[test]
    fn body_message_wins_over_reason_phrase() {
        let err = from_body(
            500,
            "Internal Server Error",
            r#"{"data":null,"message":"CT 101 already running\n"}"#,
        );
        assert!(
            matches!(&err, PveError::Conflict { message } if message == "CT 101 already running")
        );
    }

    #[test]
    fn lock_messages_become_locked() {
        for text in [
            "CT is locked (backup)",
            "VM is locked (snapshot)",
            "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout",
        ] {
            let err = from_body(500, text, "");
            assert!(matches!(err, PveError::Locked { .. }), "{text}: {err:?}");
        }
    }

    #[test]
    fn auth_status_codes_map_to_their_variants() {
        assert!(matches!(
            from_body(401, "authentication failure", r#"{"data":null}"#),
            PveError::Unauthorized { message } if message == "authentication failure"
        ));
        assert!(matches!(
            from_body(403, "Permission check failed (/vms/100, VM.PowerMgmt)", ""),
            PveError::Forbidden { .. }
        ));
    }

    #[test]
    fn unknown_methods_are_distinct_from_missing_objects() {
        let err = from_body(501, "Method 'GET /nodes/pve1/fancy' not implemented", "");
        assert!(matches!(err, PveError::MethodNotImplemented { .. }));
        let err = from_body(404, "Not Found", "");
        assert!(matches!(err, PveError::NotFound { .. }));
    }

    #[test]
    fn other_failures_keep_status_and_message_and_decide_retries() {
        let err = from_body(503, "Service Unavailable", "not json");
        assert!(
            matches!(&err, PveError::Server { status: 503, message } if message == "Service Unavailable")
        );
        assert!(err.is_transient());
        assert!(!from_body(501, "Method 'GET /x' not implemented", "").is_transient());
        assert!(!from_body(500, "VM is locked (backup)", "").is_transient());
        assert!(!from_body(400, "bad", r#"{"errors":{"a":"b"}}"#).is_transient());
    }

    #[test]
    fn already_exists_is_recognised_wherever_pve_puts_it() {
        assert!(from_body(500, "VM 100 already exists on node 'pve2'", "").is_already_exists());
        assert!(
            from_body(
                400,
                "Parameter verification failed.",
                r#"{"errors":{"vmid":"VM 100 already exists"}}"#
            )
            .is_already_exists()
        );
        assert!(!from_body(500, "CT 100 not running", "").is_already_exists());
    }
}
