//! Every mutating request (any method but GET/HEAD/OPTIONS) to a known route is
//! written to the audit log with its outcome — whether the handler ran or the
//! request was refused before it (401, 403, CSRF, 422). So is every read whose
//! operation is named `access_*` (reading a secret's value): an access worth a trace.
//!
//! What is recorded without any handler code:
//! - `action`: the route's OpenAPI `operationId`, i.e. the handler's function name
//!   (`create_user`, `revoke_api_token`), so name handlers `verb_noun`;
//! - `resource`: the request path below `/api/v1/`, cut to `kind/id`
//!   (`users/0195…`), or the bare kind for collection routes;
//! - the caller (set by the `Auth` extractor), source address and request id;
//! - `outcome` from the status (2xx/3xx success, 401/403 denied, else failure) and
//!   `details.status` / `details.error` (the error code).
//!
//! Handlers refine an entry through the [`AuditTrail`] extractor: the resource id of
//! something just created, the username a login named, extra facts. Never secrets.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use parking_lot::Mutex;
use proxicloud_domain::audit::{AuditRecord, AuditService};
use proxicloud_domain::iam::Principal;
use proxicloud_store::{Outcome, Uuid};
use serde_json::{Map, Value};

use crate::auth::is_safe_method;
use crate::context::RequestContext;
use crate::error::ErrorCode;

#[derive(Debug, Default)]
struct Note {
    user_id: Option<Uuid>,
    username: Option<String>,
    resource: Option<String>,
    outcome: Option<Outcome>,
    details: Map<String, Value>,
    /// A POST that changes nothing (a dry run): not an action worth an entry.
    not_an_action: bool,
}

/// The audit entry being prepared for the current request. Outside mutating
/// requests it is detached and whatever is set on it is dropped.
#[derive(Debug, Clone, Default)]
pub struct AuditTrail(Arc<Mutex<Note>>);

impl AuditTrail {
    /// The authenticated caller (set by the `Auth` extractor).
    pub fn actor(&self, principal: &Principal) {
        let mut note = self.0.lock();
        note.user_id = Some(principal.user_id);
        note.username = Some(principal.username.clone());
    }

    /// The account a login attempt named, known or not, and its id once known.
    pub fn login_attempt(&self, username: &str, user_id: Option<Uuid>) {
        let mut note = self.0.lock();
        note.username = Some(username.to_owned());
        note.user_id = user_id;
    }

    /// What the request acted on, as `kind/id` (e.g. `users/0195…`).
    pub fn resource(&self, resource: impl Into<String>) {
        self.0.lock().resource = Some(resource.into());
    }

    /// Overrides the outcome derived from the status.
    pub fn outcome(&self, outcome: Outcome) {
        self.0.lock().outcome = Some(outcome);
    }

    /// Records nothing for this request: for POSTs that change nothing, such as the
    /// launch wizard's dry-run validation, which would otherwise write an entry per
    /// keystroke. Requests refused before the handler (401, 403) are still recorded.
    pub fn not_an_action(&self) {
        self.0.lock().not_an_action = true;
    }

    pub fn detail(&self, key: &str, value: impl Into<Value>) {
        self.0.lock().details.insert(key.to_owned(), value.into());
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuditTrail {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<AuditTrail>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Reads whose operation id starts with this are audited like writes.
const AUDITED_READ_PREFIX: &str = "access_";

/// `(method, route template)` → action name, read from the OpenAPI document.
#[derive(Debug, Default)]
pub(crate) struct AuditActions(HashMap<(Method, String), String>);

impl AuditActions {
    pub(crate) fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let actions = crate::openapi::operations(spec)
            .filter_map(|(method, path, operation)| {
                let id = operation.operation_id.clone()?;
                let audited = !is_safe_method(&method) || id.starts_with(AUDITED_READ_PREFIX);
                audited.then(|| ((method, path.to_owned()), id))
            })
            .collect();
        Self(actions)
    }
}

#[derive(Clone)]
pub(crate) struct AuditLayer {
    pub(crate) audit: Arc<AuditService>,
    pub(crate) actions: Arc<AuditActions>,
}

/// `/api/v1/users/0195…/disable` → `users/0195…`; `/api/v1/users` → `users`.
fn resource_of(path: &str) -> String {
    let below = path
        .strip_prefix("/api/v1/")
        .unwrap_or(path.trim_start_matches('/'));
    below
        .split('/')
        .filter(|s| !s.is_empty())
        .take(2)
        .collect::<Vec<_>>()
        .join("/")
}

fn outcome_of(status: StatusCode) -> Outcome {
    match status {
        s if s.is_success() || s.is_redirection() => Outcome::Success,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Outcome::Denied,
        _ => Outcome::Failure,
    }
}

/// Route layer (runs after routing, so the matched route is known).
pub(crate) async fn record_mutations(
    State(layer): State<AuditLayer>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    if is_safe_method(&method) {
        let audited_read = route
            .as_ref()
            .is_some_and(|r| layer.actions.0.contains_key(&(method.clone(), r.clone())));
        if !audited_read {
            return next.run(request).await;
        }
    }
    let path = request.uri().path().to_owned();
    let context = request.extensions().get::<RequestContext>().cloned();
    let trail = AuditTrail::default();
    request.extensions_mut().insert(trail.clone());

    let response = next.run(request).await;
    let status = response.status();
    // No such operation on this route: nothing was attempted.
    if status == StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let route = route.unwrap_or_else(|| path.clone());
    let action = layer
        .actions
        .0
        .get(&(method.clone(), route.clone()))
        .cloned()
        .unwrap_or_else(|| format!("{method} {route}"));
    let note = std::mem::take(&mut *trail.0.lock());
    if note.not_an_action {
        return response;
    }
    let mut details = note.details;
    details.insert("status".into(), status.as_u16().into());
    if let Some(ErrorCode(code)) = response.extensions().get::<ErrorCode>() {
        details.insert("error".into(), code.to_string().into());
    }
    let record = AuditRecord {
        user_id: note.user_id,
        username: note.username,
        source_ip: context.as_ref().map(|c| c.source_ip.to_string()),
        action,
        resource: Some(note.resource.unwrap_or_else(|| resource_of(&path))),
        outcome: note.outcome.unwrap_or_else(|| outcome_of(status)),
        request_id: context.map(|c| c.request_id),
        details: Value::Object(details),
    };
    if let Err(error) = layer.audit.record(record).await {
        // The action already happened; failing the response now would mislead the client.
        tracing::error!(%error, "could not write the audit log entry for this request");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_kind_and_id_below_the_api_prefix() {
        assert_eq!(resource_of("/api/v1/users/abc/disable"), "users/abc");
        assert_eq!(resource_of("/api/v1/users"), "users");
        assert_eq!(resource_of("/api/v1/auth/login"), "auth/login");
        assert_eq!(resource_of("/healthz"), "healthz");
    }

    #[test]
    fn outcomes_follow_the_status() {
        assert_eq!(outcome_of(StatusCode::CREATED), Outcome::Success);
        assert_eq!(outcome_of(StatusCode::FORBIDDEN), Outcome::Denied);
        assert_eq!(
            outcome_of(StatusCode::UNPROCESSABLE_ENTITY),
            Outcome::Failure
        );
    }
}
