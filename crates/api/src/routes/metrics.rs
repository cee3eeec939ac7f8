//! Time series for charts. Instances: for whoever may see the instance (owner,
//! admins; anyone else gets 404). Nodes, clusters and storages: admins, who are the
//! only ones to see them today. A node's id is `<cluster id>:<node>`, a storage's
//! `<cluster id>:<node>:<storage>`. Unknown periods or series are a 400.

use axum::Json;
use proxicloud_domain::metrics::{MetricsRequest, MetricsService, SeriesData, unix_now};
use proxicloud_types::api::metrics::{MetricsDto, MetricsQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_instance_metrics))
        .routes(routes!(get_node_metrics))
        .routes(routes!(get_cluster_metrics))
        .routes(routes!(get_storage_metrics))
}

fn request(query: MetricsQuery) -> MetricsRequest {
    MetricsRequest {
        period: query.period.unwrap_or_else(|| "1h".to_owned()),
        series: query.series,
    }
}

fn dto(data: SeriesData) -> Json<MetricsDto> {
    Json(MetricsDto {
        timestamps: data.timestamps,
        series: data.series,
        resolution_s: data.resolution_s,
    })
}

/// An instance's CPU, memory, disk, network and disk I/O over a period.
#[utoipa::path(get, path = "/api/v1/metrics/instances/{id}", tag = "metrics",
    params(("id" = Uuid, Path), MetricsQuery),
    responses((status = 200, body = MetricsDto), (status = 400, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn get_instance_metrics(
    auth: Auth,
    Domain(metrics): Domain<MetricsService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> ApiResult<Json<MetricsDto>> {
    let data = metrics
        .instance(&auth.principal, id, &request(query), unix_now())
        .await?;
    Ok(dto(data))
}

/// A node's CPU, load, I/O wait, memory, swap, root filesystem and network (admins).
#[utoipa::path(get, path = "/api/v1/metrics/nodes/{id}", tag = "metrics",
    params(("id" = String, Path, description = "`<cluster id>:<node>`"), MetricsQuery),
    responses((status = 200, body = MetricsDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn get_node_metrics(
    auth: Auth,
    Domain(metrics): Domain<MetricsService>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> ApiResult<Json<MetricsDto>> {
    let data = metrics
        .node(&auth.principal, &id, &request(query), unix_now())
        .await?;
    Ok(dto(data))
}

/// A cluster's CPU (average of its nodes), memory and network (sums) (admins).
#[utoipa::path(get, path = "/api/v1/metrics/clusters/{id}", tag = "metrics",
    params(("id" = Uuid, Path), MetricsQuery),
    responses((status = 200, body = MetricsDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn get_cluster_metrics(
    auth: Auth,
    Domain(metrics): Domain<MetricsService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> ApiResult<Json<MetricsDto>> {
    let data = metrics
        .cluster(&auth.principal, id, &request(query), unix_now())
        .await?;
    Ok(dto(data))
}

/// A storage's used and total bytes (admins).
#[utoipa::path(get, path = "/api/v1/metrics/storages/{id}", tag = "metrics",
    params(("id" = String, Path, description = "`<cluster id>:<node>:<storage>`"), MetricsQuery),
    responses((status = 200, body = MetricsDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn get_storage_metrics(
    auth: Auth,
    Domain(metrics): Domain<MetricsService>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> ApiResult<Json<MetricsDto>> {
    let data = metrics
        .storage(&auth.principal, &id, &request(query), unix_now())
        .await?;
    Ok(dto(data))
}
