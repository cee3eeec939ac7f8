//! ProxiCloud's HTTP API.
//!
//! [`build_router`] assembles every resource router (`routes::*`), the OpenAPI
//! description, and the cross-cutting layers, from the outside in:
//! request context (id, span, access log) → security headers → body size cap →
//! panic guard → routing (JSON 404/405) → request metrics (matched routes) → audit
//! trail (mutating requests, after routing) → handler.
//! [`serve`] runs it with graceful shutdown.

pub mod audit_trail;
pub mod auth;
pub mod client_address;
pub mod connection;
mod console_relay;
pub mod context;
pub mod dto;
pub mod error;
pub mod extract;
mod http_metrics;
mod object_io;
pub mod openapi;
mod openapi_errors;
pub mod respond;
pub mod routes;
pub mod security;
pub mod state;
pub mod tls;

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use axum::{Extension, Router, middleware};
use proxicloud_domain::audit::AuditService;
use proxicloud_domain::metrics::HttpTelemetry;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

pub use error::{ApiError, ApiResult};
pub use state::{ApiConfig, AppState, Domain, PrometheusAccess};

use crate::audit_trail::{AuditActions, AuditLayer};

/// The whole HTTP application over `state`; unknown routes get a JSON 404.
pub fn build_router(state: AppState) -> Router {
    build_router_with_fallback(state, Router::new().fallback(not_found))
}

/// The API, with `fallback` answering every request no API route matched (the
/// embedded console, which serves its pages and keeps JSON 404s under `/api`).
pub fn build_router_with_fallback(state: AppState, fallback: Router) -> Router {
    let (router, spec) = routes::api_router().split_for_parts();
    let max_body = security::MAX_BODY_BYTES;
    // One flag says "served over HTTPS": it marks cookies `Secure` and sends HSTS.
    let headers = security::HeaderPolicy {
        hsts: state.config.secure_cookies,
    };
    let proxies = Arc::new(state.config.trusted_proxies.clone());
    let description = Arc::new(openapi::describe(spec));
    let audit_layer = AuditLayer {
        audit: state.get::<AuditService>(),
        actions: Arc::new(AuditActions::from_spec(&description.spec)),
    };
    router
        .route_layer(middleware::from_fn_with_state(
            audit_layer,
            audit_trail::record_mutations,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.get::<HttpTelemetry>(),
            http_metrics::record_requests,
        ))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(fallback)
        .layer(Extension(description))
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            max_body,
            security::refuse_oversized_bodies,
        ))
        .layer(middleware::from_fn_with_state(
            headers,
            security::security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            proxies,
            context::request_context,
        ))
}

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting
/// connections and lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, build_router(state), shutdown).await
}

/// [`serve_router`] over TLS: HTTPS with `config`'s certificate.
pub async fn serve_router_tls(
    listener: TcpListener,
    config: std::sync::Arc<rustls::ServerConfig>,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    // `tap_io` only to get axum's `ConnectInfo<SocketAddr>` for a custom listener.
    let listener = tls::TlsListener::new(listener, config)?.tap_io(|_| ());
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Like [`serve`], for a router already built (e.g. with the console as fallback).
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    // `tap_io` only to get axum's `ConnectInfo<SocketAddr>` for a custom listener.
    let listener = connection::JsonErrorsListener(listener).tap_io(|_| ());
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not support this method",
    )
}

/// A handler panicked: a bug. Logged (inside the request span) and answered like
/// any internal error.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    ApiError::internal(&format!("handler panicked: {message}")).into_response()
}
