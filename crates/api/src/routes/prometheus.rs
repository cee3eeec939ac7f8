//! `GET /metrics`: the Prometheus (OpenMetrics text) exposition of the inventory mirror, for admins
//! (Prometheus sends an admin's API token: `authorization: { credentials: pc_… }`).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use proxicloud_domain::metrics::MetricsService;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorResponse};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_prometheus_metrics))
}

/// Clusters, nodes, storages and guests in the Prometheus text format (names as
/// prometheus-pve-exporter's where they overlap), read from the mirror.
#[utoipa::path(get, path = "/metrics", tag = "metrics",
    responses((status = 200, content_type = "application/openmetrics-text", body = String),
        (status = 403, body = ErrorResponse)))]
async fn get_prometheus_metrics(
    auth: Auth,
    Domain(metrics): Domain<MetricsService>,
) -> ApiResult<Response> {
    let text = metrics.prometheus(&auth.principal).await?;
    // What `prometheus-client` writes: OpenMetrics text (Prometheus' own format plus
    // a closing `# EOF`), which Prometheus negotiates and `promtool` reads.
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}
