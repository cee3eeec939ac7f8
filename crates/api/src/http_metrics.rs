//! Counts and times every request a route matched, for `/metrics`
//! (`proxicloud_http_requests_total`, `proxicloud_http_request_duration_seconds`). A
//! route layer, so it sees the route's template (`MatchedPath`) — requests no route
//! matched are not counted, which keeps the label set bounded.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use proxicloud_domain::metrics::HttpTelemetry;

pub async fn record_requests(
    State(telemetry): State<Arc<HttpTelemetry>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(route) = route {
        telemetry.record(
            method.as_str(),
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    response
}
