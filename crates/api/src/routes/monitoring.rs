//! `GET /api/v1/monitoring/health` — the health map of what the caller may see, from
//! the mirror and the firing alerts (no Proxmox call), for the console's health page;
//! `GET /api/v1/monitoring/hosts` — every node's own figures, for the Monitoring page.

use axum::Json;
use proxicloud_domain::monitoring::MonitoringService;
use proxicloud_types::api::monitoring::{HealthMapDto, HostsDto};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health_map))
        .routes(routes!(hosts))
}

/// The health map: clusters → nodes → guests with a health each. Admins see every
/// cluster and node with the nodes' own load; others their own guests, grouped under
/// the nodes that run them.
#[utoipa::path(get, path = "/api/v1/monitoring/health", tag = "monitoring",
    responses((status = 200, body = HealthMapDto)))]
async fn health_map(
    auth: Auth,
    Domain(monitoring): Domain<MonitoringService>,
) -> ApiResult<Json<HealthMapDto>> {
    Ok(Json(
        monitoring.health_map(&auth.principal).await?.into_dto(),
    ))
}

/// Every registered cluster with its nodes: their own CPU, memory, uptime and
/// storages, and how many guests each runs (admins: nodes are shared infrastructure).
/// From the mirror, no Proxmox call.
#[utoipa::path(get, path = "/api/v1/monitoring/hosts", tag = "monitoring",
    responses((status = 200, body = HostsDto), (status = 403, body = ErrorResponse)))]
async fn hosts(
    auth: Auth,
    Domain(monitoring): Domain<MonitoringService>,
) -> ApiResult<Json<HostsDto>> {
    Ok(Json(monitoring.hosts(&auth.principal).await?.into_dto()))
}
