//! [`ClientError`]: what the server refused (its `{error:{code,message,fields}}` and
//! the HTTP status) kept apart from what never reached it (transport).

use proxicloud_types::api::common::{ErrorResponse, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error status. `code` is stable (`not_found`,
    /// `validation_failed`, …); `message` is for people.
    #[error("{message} (HTTP {status}, {code}){}", fields_suffix(.fields))]
    Api {
        status: u16,
        code: String,
        message: String,
        fields: Option<FieldErrors>,
    },
    /// No answer: the server cannot be reached, the connection broke, or it timed out.
    #[error("cannot reach the server: {0}")]
    Transport(#[source] reqwest::Error),
    /// An answer that is not what the API documents (e.g. a proxy's HTML page).
    #[error("unexpected response (HTTP {status}): {reason}")]
    Decode { status: u16, reason: String },
    #[error("invalid URL '{url}': {reason}")]
    InvalidUrl { url: String, reason: String },
}

fn fields_suffix(fields: &Option<FieldErrors>) -> String {
    match fields {
        Some(fields) if !fields.is_empty() => {
            let list: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!(": {}", list.join("; "))
        }
        _ => String::new(),
    }
}

impl ClientError {
    /// The HTTP status of an answered request.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport(error) => error.status().map(|s| s.as_u16()),
            Self::InvalidUrl { .. } => None,
        }
    }

    /// The server's error `code`, if it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The server refused the request (4xx): retrying it unchanged will not help.
    pub fn is_refused(&self) -> bool {
        self.status().is_some_and(|s| (400..500).contains(&s))
    }

    /// The server could not be reached or failed (5xx): worth retrying later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            _ => self.status().is_some_and(|s| s >= 500),
        }
    }

    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => return Self::Transport(error),
        };
        match serde_json::from_slice::<ErrorResponse>(&bytes) {
            Ok(body) => Self::Api {
                status,
                code: body.error.code,
                message: body.error.message,
                fields: body.error.fields,
            },
            Err(_) => Self::Decode {
                status,
                reason: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            },
        }
    }
}
