//! `/api/v1/auth/*` and `/api/v1/me/*`: sessions and the caller's own account.
//!
//! API clients get tokens in the response body and send `Authorization: Bearer`.
//! The web UI logs in with `use_cookies: true`: the tokens then travel only in
//! httpOnly cookies and the body carries the CSRF token instead.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proxicloud_domain::DomainError;
use proxicloud_domain::iam::IamService;
use proxicloud_domain::iam::{AuthMethod, IssuedSession};
use proxicloud_store::Outcome;
use proxicloud_types::api::auth::{
    ChangePasswordRequest, CurrentUserResponse, LoginRequest, RefreshRequest, SessionResponse,
};
use secrecy::{ExposeSecret, SecretString};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit_trail::AuditTrail;
use crate::auth::cookies::{self, REFRESH_COOKIE};
use crate::auth::{Auth, CredentialSource, credential, csrf_failure};
use crate::context::RequestContext;
use crate::dto::IntoDto;
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::{ApiJson, JsonOrEmpty};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh_session))
        .routes(routes!(logout))
        .routes(routes!(current_user))
        .routes(routes!(change_own_password))
}

/// The response that hands a session to the client, in the body or in cookies.
fn session_response(state: &AppState, session: IssuedSession, use_cookies: bool) -> Response {
    let mut body = SessionResponse {
        user: session.user.clone().into_dto(),
        token_type: None,
        access_token: None,
        access_expires_at: session.access_expires_at,
        refresh_token: None,
        refresh_expires_at: session.refresh_expires_at,
        csrf_token: None,
    };
    if !use_cookies {
        body.token_type = Some("Bearer".to_owned());
        body.access_token = Some(session.access_token.expose_secret().to_owned());
        body.refresh_token = Some(session.refresh_token.expose_secret().to_owned());
        return Json(body).into_response();
    }
    let csrf = cookies::new_csrf_token();
    let set_cookies = cookies::session_cookies(&session, &csrf, &state.config);
    body.csrf_token = Some(csrf);
    let mut response = Json(body).into_response();
    for cookie in set_cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn with_cleared_cookies(state: &AppState, mut response: Response) -> Response {
    for cookie in cookies::clear_session_cookies(&state.config) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// Log in with username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, body = SessionResponse),
        (status = 401, description = "Wrong username or password", body = ErrorResponse),
        (status = 403, description = "Account disabled", body = ErrorResponse),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorResponse)))]
async fn login(
    Domain(iam): Domain<IamService>,
    State(state): State<AppState>,
    context: RequestContext,
    trail: AuditTrail,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    trail.login_attempt(&request.username, None);
    match iam
        .login(&request.username, request.password, context.source_ip)
        .await
    {
        Ok(session) => {
            trail.login_attempt(&session.user.username, Some(session.user.id));
            trail.resource(format!("users/{}", session.user.id));
            Ok(session_response(&state, session, request.use_cookies))
        }
        Err(error) => {
            trail.outcome(Outcome::Failure);
            Err(error.into())
        }
    }
}

/// Exchange a refresh token for new tokens. The presented refresh token stops
/// working; presenting it again ends the whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()),
    request_body(content = Option<RefreshRequest>, description = "Optional for cookie sessions"),
    responses((status = 200, body = SessionResponse), (status = 401, body = ErrorResponse),
        (status = 403, description = "A cookie refresh without `X-CSRF-Token` (`csrf_failed`)", body = ErrorResponse)))]
async fn refresh_session(
    Domain(iam): Domain<IamService>,
    State(state): State<AppState>,
    headers: HeaderMap,
    trail: AuditTrail,
    JsonOrEmpty(request): JsonOrEmpty<RefreshRequest>,
) -> ApiResult<Response> {
    let (token, use_cookies) = match request.refresh_token {
        Some(token) => (token, false),
        None => (cookie_refresh_token(&headers, &trail)?, true),
    };
    let session = iam.refresh(&token).await?;
    trail.login_attempt(&session.user.username, Some(session.user.id));
    Ok(session_response(&state, session, use_cookies))
}

/// The refresh token of a cookie session, its `X-CSRF-Token` checked. No refresh
/// cookie is a first visit (or a signed-out browser) asking whether it has a session:
/// not an event, so not an audit entry.
fn cookie_refresh_token(headers: &HeaderMap, trail: &AuditTrail) -> ApiResult<SecretString> {
    let Some(token) = cookies::cookie(headers, REFRESH_COOKIE) else {
        trail.not_an_action();
        return Err(ApiError::unauthenticated());
    };
    if !cookies::csrf_matches(headers) {
        return Err(csrf_failure());
    }
    Ok(token)
}

/// End the current session (its refresh tokens and access tokens stop working).
/// Also accepts just the refresh token, for clients whose access token expired.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body(content = Option<RefreshRequest>, description = "Optional"),
    responses((status = 204), (status = 400, description = "Called with an API token, which has no session (`not_a_session`)", body = ErrorResponse)))]
async fn logout(
    Domain(iam): Domain<IamService>,
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    trail: AuditTrail,
    JsonOrEmpty(request): JsonOrEmpty<RefreshRequest>,
) -> ApiResult<Response> {
    if let Some((token, _)) = credential(&headers, &method)? {
        match iam.authenticate(&token).await {
            Ok(principal) => {
                trail.actor(&principal);
                iam.logout(&principal).await?;
                return Ok(with_cleared_cookies(
                    &state,
                    StatusCode::NO_CONTENT.into_response(),
                ));
            }
            Err(DomainError::Unauthenticated) => {} // expired: try the refresh token
            Err(other) => return Err(other.into()),
        }
    }
    let refresh = match request.refresh_token {
        Some(token) => token,
        None => cookie_refresh_token(&headers, &trail)?,
    };
    iam.logout_with_refresh_token(&refresh).await?;
    Ok(with_cleared_cookies(
        &state,
        StatusCode::NO_CONTENT.into_response(),
    ))
}

/// Who am I?
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = CurrentUserResponse)))]
async fn current_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
) -> ApiResult<Json<CurrentUserResponse>> {
    let user = iam.whoami(&auth.principal).await?;
    let authenticated_by = match auth.principal.via {
        AuthMethod::Session { .. } => "session",
        AuthMethod::ApiToken { .. } => "api_token",
    };
    Ok(Json(CurrentUserResponse {
        user: user.into_dto(),
        authenticated_by: authenticated_by.to_owned(),
    }))
}

/// Change your own password. Every other session ends; a session caller gets a
/// fresh session back (200), an API-token caller just 204.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 200, body = SessionResponse), (status = 204),
        (status = 422, description = "Wrong current password or weak new one", body = ErrorResponse),
        (status = 429, description = "Too many wrong current passwords (`too_many_attempts`, `Retry-After`)", body = ErrorResponse)))]
async fn change_own_password(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    State(state): State<AppState>,
    context: RequestContext,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> ApiResult<Response> {
    let renewed = iam
        .change_own_password(
            &auth.principal,
            request.current_password,
            request.new_password,
            context.source_ip,
        )
        .await?;
    Ok(match renewed {
        Some(session) => session_response(&state, session, auth.source == CredentialSource::Cookie),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
