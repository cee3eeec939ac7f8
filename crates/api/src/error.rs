//! `ApiError`: every error response has the shape
//! `{"error": {"code": "…", "message": "…", "fields"?: {"name": "what is wrong"}}}`.
//!
//! Domain errors map to a status and a stable `code` here, in one place. Failures
//! that are our fault (database, bugs) are logged with the request id — the request
//! span is current when they are converted — and answered with a generic 500 that
//! reveals nothing of the internals.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proxicloud_domain::{DomainError, FieldErrors};
pub use proxicloud_types::api::common::{ErrorBody, ErrorResponse};

/// The `code` of an error response, left in the response's extensions so the audit
/// trail can record why a request failed.
#[derive(Debug, Clone)]
pub struct ErrorCode(pub Cow<'static, str>);

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    fields: Option<FieldErrors>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            fields: None,
            retry_after_secs: None,
        }
    }

    pub fn with_fields(mut self, fields: FieldErrors) -> Self {
        self.fields = Some(fields);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "authentication required",
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn validation(fields: FieldErrors) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "the request has invalid fields",
        )
        .with_fields(fields)
    }

    /// Logs `error` (with the current request's span) and returns the generic 500.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error",
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        use StatusCode as S;
        let message = error.to_string();
        match error {
            DomainError::InvalidCredentials => {
                Self::new(S::UNAUTHORIZED, "invalid_credentials", message)
            }
            DomainError::Unauthenticated => Self::unauthenticated(),
            DomainError::AccountDisabled => Self::new(S::FORBIDDEN, "account_disabled", message),
            DomainError::Throttled { retry_after } => Self {
                retry_after_secs: Some(proxicloud_domain::error::whole_seconds(retry_after)),
                ..Self::new(S::TOO_MANY_REQUESTS, "too_many_attempts", message)
            },
            DomainError::Forbidden(_) => Self::new(S::FORBIDDEN, "forbidden", message),
            DomainError::NotFound { .. } => Self::not_found(message),
            DomainError::Validation(fields) => Self::validation(fields),
            DomainError::Conflict { code, .. } => Self::new(S::CONFLICT, code, message),
            DomainError::BadRequest { code, .. } => Self::new(S::BAD_REQUEST, code, message),
            DomainError::Unavailable { code, .. } => {
                Self::new(S::SERVICE_UNAVAILABLE, code, message)
            }
            DomainError::BadGateway { code, .. } => Self::new(S::BAD_GATEWAY, code, message),
            DomainError::Busy { retry_after, .. } => Self {
                retry_after_secs: Some(proxicloud_domain::error::whole_seconds(retry_after)),
                ..Self::new(S::TOO_MANY_REQUESTS, "busy", message)
            },
            DomainError::Store(_) | DomainError::Internal(_) => Self::internal(&error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorResponse {
            error: ErrorBody {
                code: self.code.to_string(),
                message: self.message,
                fields: self.fields,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
