//! Authentication of API requests.
//!
//! Credentials, in order of precedence:
//! 1. `Authorization: Bearer <access token | pc_… API token>` (API clients, CLI);
//! 2. the `pc_access` cookie (the web UI). A cookie-authenticated write (any method
//!    but GET/HEAD/OPTIONS) must also pass the CSRF check, see [`cookies`].
//!
//! Handlers take [`Auth`] as their first argument; a request without valid
//! credentials never reaches them (401).

pub mod cookies;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use proxicloud_domain::iam::{IamService, Principal};
use secrecy::SecretString;

use crate::audit_trail::AuditTrail;
use crate::error::ApiError;
use crate::state::AppState;

/// Where the credential of a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    Header,
    Cookie,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub principal: Principal,
    pub source: CredentialSource,
}

/// The bearer value of an `Authorization` header. `Err` when the header is present
/// but not a bearer credential: a mistyped header must not silently fall back to
/// cookies.
fn bearer(headers: &HeaderMap) -> Result<Option<SecretString>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiError::unauthenticated())?;
    let (scheme, token) = text.split_once(' ').ok_or_else(ApiError::unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthenticated());
    }
    Ok(Some(SecretString::from(token.trim().to_owned())))
}

pub(crate) fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub(crate) fn csrf_failure() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf_failed",
        "cookie-authenticated writes need an X-CSRF-Token header matching the pc_csrf cookie",
    )
}

/// The credential a request presents, checked for CSRF when it is a cookie.
pub(crate) fn credential(
    headers: &HeaderMap,
    method: &Method,
) -> Result<Option<(SecretString, CredentialSource)>, ApiError> {
    if let Some(token) = bearer(headers)? {
        return Ok(Some((token, CredentialSource::Header)));
    }
    let Some(token) = cookies::cookie(headers, cookies::ACCESS_COOKIE) else {
        return Ok(None);
    };
    if !is_safe_method(method) && !cookies::csrf_matches(headers) {
        return Err(csrf_failure());
    }
    Ok(Some((token, CredentialSource::Cookie)))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, source) =
            credential(&parts.headers, &parts.method)?.ok_or_else(ApiError::unauthenticated)?;
        let principal = state.get::<IamService>().authenticate(&token).await?;
        tracing::Span::current().record("user", tracing::field::display(&principal.user_id));
        if let Some(trail) = parts.extensions.get::<AuditTrail>() {
            trail.actor(&principal);
        }
        Ok(Auth { principal, source })
    }
}
