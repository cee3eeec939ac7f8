//! `GET /api/v1/instances/summary` — counts by status and per-cluster totals of the
//! instances the caller may see, from the mirror (for the dashboard, which then need
//! not page through every instance).

use axum::Json;
use axum::response::Response;
use proxicloud_domain::inventory::InstanceDirectory;
use proxicloud_types::api::instances::InstanceSummaryDto;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::ApiResult;
use crate::respond::with_cache_status;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(summarize_instances))
}

/// Counts and totals of the instances you may see (admins: all).
#[utoipa::path(get, path = "/api/v1/instances/summary", tag = "instances",
    responses((status = 200, body = InstanceSummaryDto,
        headers(("X-Cache-Status" = String, description = "`HIT`, or `STALE` while a cluster is unreachable")))))]
async fn summarize_instances(
    auth: Auth,
    Domain(instances): Domain<InstanceDirectory>,
) -> ApiResult<Response> {
    let summary = instances.summary(&auth.principal).await?;
    let freshness = summary.freshness;
    Ok(with_cache_status(freshness, Json(summary.into_dto())))
}
