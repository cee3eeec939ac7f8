//! Protections every response and request gets, whatever route they reach (the API,
//! the console, a fallback): browser security headers, and a cap on request bodies.
//!
//! - Headers: a Content-Security-Policy that allows scripts only from this origin
//!   (the console has no inline script; styles may be inline: Svelte sets them),
//!   no framing (`frame-ancestors` and `X-Frame-Options` for old browsers), no MIME
//!   sniffing, no referrer to other sites, and HSTS when the server is reached over
//!   HTTPS. A response that sets one of them itself keeps its own.
//! - Bodies: a request whose `Content-Length` is over the limit is refused before
//!   anything reads it (`413`, our JSON error); a body without a length is cut off at
//!   the limit by the body extractors (`DefaultBodyLimit`, see `extract.rs`). Routes
//!   that stream a file through (uploads) are listed in [`STREAMED_BODY_ROUTES`] or
//!   matched by `is_streamed` (object uploads): they read the raw body without an
//!   extractor and bound it themselves.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Our JSON bodies are a few kilobytes; a CA certificate is the largest field.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// `POST` routes whose body is a file streamed on to Proxmox, never held in memory;
/// the domain checks its size against the target storage.
pub const STREAMED_BODY_ROUTES: [&str; 1] = ["/api/v1/images/upload"];

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
/// Two years, the preload list's expectation.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=63072000; includeSubDomains";

/// What [`security_headers`] adds.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// Send `Strict-Transport-Security` (only meaningful over HTTPS).
    pub hsts: bool,
}

pub async fn security_headers(
    State(policy): State<HeaderPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    if policy.hsts {
        set(header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY);
    }
    response
}

/// Refuses a declared body over `max` bytes before it is read.
/// The request's `Content-Length`, when it is there and a number.
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

pub async fn refuse_oversized_bodies(
    State(max): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = declared_length(request.headers());
    let streamed = is_streamed(request.method(), request.uri().path());
    if !streamed && declared.is_some_and(|length| length > max as u64) {
        return payload_too_large(max).into_response();
    }
    next.run(request).await
}

/// A request whose body is a file streamed through: an image upload, an object or
/// a part of one (`PUT /api/v1/buckets/{bucket}/objects/{key}`,
/// `PUT /api/v1/buckets/{bucket}/uploads/{id}/parts/{n}`), bounded by the object
/// store's quotas rather than by the JSON limit.
fn is_streamed(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    if *method == Method::POST {
        return STREAMED_BODY_ROUTES.contains(&path);
    }
    let Some(rest) = path.strip_prefix("/api/v1/buckets/") else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    *method == Method::PUT
        && matches!(
            segments.as_slice(),
            [_, "objects", _] | [_, "uploads", _, "parts", _]
        )
}

pub fn payload_too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than {max} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::{HeaderPolicy, security_headers};

    async fn headers_with(hsts: bool) -> axum::http::HeaderMap {
        let app = Router::new()
            .route("/", get(|| async { "page" }))
            .layer(from_fn_with_state(HeaderPolicy { hsts }, security_headers));
        let request = Request::get("/").body(Body::empty()).unwrap();
        app.oneshot(request).await.unwrap().headers().clone()
    }

    #[tokio::test]
    async fn hsts_only_when_served_over_https() {
        let https = headers_with(true).await;
        assert!(
            https[header::STRICT_TRANSPORT_SECURITY]
                .to_str()
                .unwrap()
                .starts_with("max-age=")
        );
        assert!(
            !headers_with(false)
                .await
                .contains_key(header::STRICT_TRANSPORT_SECURITY)
        );
    }
}
