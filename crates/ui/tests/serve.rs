//! The embedded console as the server would serve it: as the fallback of an API router.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use tower::ServiceExt;

/// An API router like the real one (its own JSON 404 fallback), with the console
/// wired the way the server does it.
fn app() -> Router {
    Router::new()
        .route("/api/v1/healthz", get(|| async { "ok" }))
        .fallback(|| async { (StatusCode::NOT_FOUND, "api 404") })
        .fallback_service(proxicloud_ui::router())
}

async fn fetch(path: &str, accept_gzip: bool) -> Response {
    let mut request = Request::get(path);
    if accept_gzip {
        request = request.header(header::ACCEPT_ENCODING, "br, gzip;q=0.8");
    }
    app()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn header_of(response: &Response, name: header::HeaderName) -> &str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn text(response: Response) -> String {
    String::from_utf8(
        to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap()
}

/// The path of the hashed JavaScript bundle that index.html loads.
async fn script_path() -> String {
    let index = text(fetch("/", false).await).await;
    let start = index
        .find("/assets/")
        .expect("index.html references a hashed asset");
    let end = start + index[start..].find('"').unwrap();
    let path = &index[start..end];
    assert!(path.ends_with(".js"), "first asset is the script: {path}");
    path.to_owned()
}

#[tokio::test]
async fn root_serves_the_console_and_revalidates_it() {
    let response = fetch("/", false).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header_of(&response, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header_of(&response, header::CACHE_CONTROL), "no-cache");
    assert!(text(response).await.contains(r#"<div id="app">"#));
}

#[tokio::test]
async fn console_routes_fall_back_to_index_html() {
    for path in ["/instances", "/instances/abc?x=1", "/no/such/page"] {
        let response = fetch(path, false).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(text(response).await.contains(r#"<div id="app">"#), "{path}");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_typed_and_gzipped_on_request() {
    let path = script_path().await;
    let plain = fetch(&path, false).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(header_of(&plain, header::CONTENT_TYPE).contains("javascript"));
    assert_eq!(
        header_of(&plain, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let plain_len = text(plain).await.len();

    let gzipped = fetch(&path, true).await;
    assert_eq!(header_of(&gzipped, header::CONTENT_ENCODING), "gzip");
    let body = to_bytes(gzipped.into_body(), usize::MAX).await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(
        body.len() < plain_len / 2,
        "compressed {} of {plain_len} bytes",
        body.len()
    );
}

#[tokio::test]
async fn unchanged_assets_answer_304_to_their_etag() {
    let path = script_path().await;
    let etag = header_of(&fetch(&path, false).await, header::ETAG).to_owned();
    assert!(!etag.is_empty());
    let request = Request::get(&path)
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let response = app().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn missing_assets_are_404_not_the_console() {
    let response = fetch("/assets/index-gone.js", false).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(header_of(&response, header::CONTENT_TYPE).starts_with("application/json"));
    assert!(text(response).await.contains(r#""code":"not_found""#));
}

#[tokio::test]
async fn writes_to_console_pages_are_json_405s() {
    let request = Request::post("/instances").body(Body::empty()).unwrap();
    let response = app().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn api_paths_stay_with_the_api() {
    let response = fetch("/api/v1/healthz", false).await;
    assert_eq!(text(response).await, "ok");
    let unknown = fetch("/api/v1/no-such-route", false).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(header_of(&unknown, header::CONTENT_TYPE).starts_with("application/json"));
    assert!(text(unknown).await.contains(r#""code":"not_found""#));
}
