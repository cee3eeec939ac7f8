//! `GET /metrics`: the Prometheus (OpenMetrics text) exposition of the inventory mirror
//! and of this replica (HTTP requests, jobs, workers). Who may read it is configured
//! (`[prometheus] access`): an admin's API token (`authorization: { credentials: pc_… }`
//! in Prometheus), loopback clients without a token, or nobody.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use proxicloud_domain::metrics::{ExpositionFormat, MetricsService};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::state::{AppState, Domain, PrometheusAccess};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_prometheus_metrics))
}

/// Clusters, nodes, storages and guests (names as prometheus-pve-exporter's where they
/// overlap, read from the mirror), HTTP requests, jobs and workers in the Prometheus
/// text format. By default for admins' tokens; a server configured with
/// `access = "loopback"` serves it without a token to clients on its own machine only
/// (403 for others, and for anything a reverse proxy forwarded), with `access = "off"` not at all (404). OpenMetrics when the
/// `Accept` header asks for it (Prometheus does), else the classic text format.
#[utoipa::path(get, path = "/metrics", tag = "metrics",
    responses((status = 200, content(
            (String = "application/openmetrics-text"),
            (String = "text/plain"))),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn get_prometheus_metrics(
    State(state): State<AppState>,
    context: RequestContext,
    headers: HeaderMap,
    auth: Result<Auth, ApiError>,
    Domain(metrics): Domain<MetricsService>,
) -> ApiResult<Response> {
    let workers = state.services.worker_states();
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let (format, content_type) = ExpositionFormat::negotiate(accept);
    let text = match state.config.prometheus {
        PrometheusAccess::Token => {
            metrics
                .prometheus(&auth?.principal, &workers, format)
                .await?
        }
        PrometheusAccess::Loopback if from_this_machine(&context, &headers) => {
            metrics.prometheus_for_loopback(&workers, format).await?
        }
        PrometheusAccess::Loopback => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "metrics are served to clients on this machine only",
            ));
        }
        PrometheusAccess::Off => {
            return Err(ApiError::not_found(
                "metrics are not served (prometheus access is off)",
            ));
        }
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// A loopback client that is not a reverse proxy's client: a proxy on this machine that
/// is not among `trusted_proxies` would otherwise make every outside client look local.
/// (A trusted proxy's client is already `source_ip`; if it is not loopback, it is refused.)
fn from_this_machine(context: &RequestContext, headers: &HeaderMap) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    context.source_ip.to_canonical().is_loopback() && !forwarded
}
