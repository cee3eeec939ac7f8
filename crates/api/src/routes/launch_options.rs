//! `GET /api/v1/launch-options`: what the launch wizard can offer for a cluster —
//! nodes with their bridges and disk storages, container templates, ISOs, VM
//! templates, size presets and the defaults of Settings → Resources.
//!
//! Asked live of Proxmox VE and cached per cluster for 30 s; `503
//! cluster_unavailable` when Proxmox cannot be reached. Only callers who may create
//! instances (operators, admins) may ask.

use axum::Json;
use proxicloud_domain::launch::LaunchOptionsService;
use proxicloud_types::api::launch::{LaunchOptionsDto, LaunchOptionsQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::ApiQuery;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_launch_options))
}

/// What the launch wizard can offer for a cluster.
#[utoipa::path(get, path = "/api/v1/launch-options", tag = "instances", params(LaunchOptionsQuery),
    responses((status = 200, body = LaunchOptionsDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn get_launch_options(
    auth: Auth,
    Domain(launch_options): Domain<LaunchOptionsService>,
    ApiQuery(query): ApiQuery<LaunchOptionsQuery>,
) -> ApiResult<Json<LaunchOptionsDto>> {
    let options = launch_options
        .options(&auth.principal, query.cluster_id)
        .await?;
    Ok(Json(options.into_dto()))
}
