//! The outermost middleware: gives every request an id (`X-Request-Id`, taken from
//! the client when sane, else generated), records the source address, and runs the
//! request inside a tracing span carrying both, so every log line it causes names
//! its request. The id is echoed in the response.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

use crate::client_address::TrustedProxies;

pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
const MAX_CLIENT_ID_LEN: usize = 128;

/// Facts about the current request, available to handlers and middleware.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    /// The TCP peer, or, when that is one of the configured trusted proxies, the
    /// client it names in `X-Forwarded-For` (see `client_address`).
    pub source_ip: IpAddr,
}

/// A client-supplied id is kept only if it is short and plain (it ends up in logs).
fn acceptable_client_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    (!text.is_empty() && text.len() <= MAX_CLIENT_ID_LEN && plain).then(|| text.to_owned())
}

pub async fn request_context(
    State(proxies): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(acceptable_client_id)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let source_ip = proxies.client_ip(peer, request.headers());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        // The path only: query strings are the client's business.
        path = %request.uri().path(),
        user = tracing::field::Empty,
    );
    let method = request.method().clone();
    request.extensions_mut().insert(RequestContext {
        request_id: request_id.clone(),
        source_ip,
    });

    async move {
        let started = Instant::now();
        let mut response = next.run(request).await;
        let status = response.status();
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let quiet = status.is_success() && matches!(method, Method::GET | Method::HEAD);
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), latency_ms, "request failed");
        } else if quiet {
            tracing::debug!(status = status.as_u16(), latency_ms, "request completed");
        } else {
            tracing::info!(status = status.as_u16(), %source_ip, latency_ms, "request completed");
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response
                .headers_mut()
                .insert(REQUEST_ID_HEADER.clone(), value);
        }
        response
    }
    .instrument(span)
    .await
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    /// Outside the middleware (unit tests of a bare router) a placeholder is used.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| RequestContext {
                request_id: Uuid::now_v7().to_string(),
                source_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            }))
    }
}
