//! The web console, embedded: `ui/dist` (built by this crate's build.rs) compiled
//! into the binary and served by [`router`].
//!
//! - Files under `assets/` carry a content hash in their names (Vite), so they are
//!   cached for a year as immutable; everything else is revalidated each time.
//! - Text assets are gzip-compressed once, on first use, for clients that accept it.
//! - Any other path that is not under `/api` gets `index.html`, so the console's own
//!   routes (`/instances`, …) survive a reload or a pasted link (SPA fallback).
//! - Errors are the API's JSON errors (`{"error": {"code", "message"}}`), whoever asks.

use std::collections::HashMap;
use std::io::Write;
use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use rust_embed::{EmbeddedFile, RustEmbed};

#[derive(RustEmbed)]
#[folder = "../../ui/dist"]
struct Dist;

const INDEX: &str = "index.html";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// A router that serves the console for every request it gets. Use it as the API
/// router's fallback, so it sees only what no API route matched; it answers
/// unmatched `/api/…` paths with the API's JSON 404.
pub fn router() -> Router {
    Router::new().fallback(serve)
}

async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return api_not_found();
    }
    if method != Method::GET && method != Method::HEAD {
        return json_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the console's pages are read with GET",
        );
    }
    let wanted = path.trim_start_matches('/');
    match Dist::get(wanted) {
        Some(file) if !wanted.is_empty() => asset(wanted, file, &headers),
        // A missing hashed asset is a stale page asking for an old build: a 404
        // (not index.html served as JavaScript) lets the browser fail clearly.
        _ if wanted.starts_with("assets/") => {
            json_error(StatusCode::NOT_FOUND, "not_found", "no such asset")
        }
        _ => match Dist::get(INDEX) {
            Some(index) => asset(INDEX, index, &headers),
            None => json_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "the console was not built into this binary",
            ),
        },
    }
}

fn api_not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// The API's error shape; `code` and `message` are constants (nothing to escape).
fn json_error(status: StatusCode, code: &'static str, message: &'static str) -> Response {
    let body = format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn asset(path: &str, file: EmbeddedFile, request: &HeaderMap) -> Response {
    let cache = if path.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mime = file.metadata.mimetype();
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let mut response = if request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(&etag)
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match gzipped(path).filter(|_| accepts_gzip(request)) {
            Some(body) => {
                let mut response = Body::from(body.as_slice()).into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            None => Body::from(file.data.clone()).into_response(),
        }
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(','))
        .any(|coding| {
            let mut parts = coding.trim().split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name == "gzip" || name == "*") && !refused
        })
}

/// The gzip body of each compressible asset, made once: the bundle is small, so
/// compressing all of it at first use costs a few milliseconds and no CPU after.
fn gzipped(path: &str) -> Option<&'static Vec<u8>> {
    static GZIPPED: LazyLock<HashMap<String, Vec<u8>>> = LazyLock::new(|| {
        Dist::iter()
            .filter(|path| is_compressible(path))
            .filter_map(|path| {
                let data = Dist::get(&path)?.data;
                Some((path.into_owned(), gzip(&data)))
            })
            .collect()
    });
    GZIPPED.get(path)
}

fn is_compressible(path: &str) -> bool {
    [".js", ".css", ".html", ".svg", ".json", ".map", ".txt"]
        .iter()
        .any(|extension| path.ends_with(extension))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder
        .write_all(data)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
