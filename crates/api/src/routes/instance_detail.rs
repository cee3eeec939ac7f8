//! What an instance's detail page needs beside `GET /api/v1/instances/{id}`: the jobs
//! and audit entries about it, and its live Proxmox configuration. For whoever may see
//! the instance (owner, admins); anyone else gets 404.

use axum::Json;
use proxicloud_domain::instances::InstanceDetails;
use proxicloud_types::api::audit::AuditEntryDto;
use proxicloud_types::api::common::{PageQuery, Paginated};
use proxicloud_types::api::instances::InstanceConfigDto;
use proxicloud_types::api::jobs::JobDto;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::dto::{IntoDto, page_request, paginated};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_instance_jobs))
        .routes(routes!(list_instance_audit_entries))
        .routes(routes!(get_instance_config))
}

/// The jobs about an instance (create, power actions, terminate), newest first,
/// whoever started them.
#[utoipa::path(get, path = "/api/v1/instances/{id}/jobs", tag = "instances",
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Paginated<JobDto>), (status = 404, body = ErrorResponse)))]
async fn list_instance_jobs(
    auth: Auth,
    Domain(instance_details): Domain<InstanceDetails>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<JobDto>>> {
    let jobs = instance_details
        .jobs(&auth.principal, id, page_request(&page))
        .await?;
    Ok(Json(paginated(jobs, IntoDto::into_dto)))
}

/// The audit entries about an instance, newest first; the last page ends with the
/// request that created it.
#[utoipa::path(get, path = "/api/v1/instances/{id}/audit", tag = "instances",
    params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Paginated<AuditEntryDto>), (status = 404, body = ErrorResponse)))]
async fn list_instance_audit_entries(
    auth: Auth,
    Domain(instance_details): Domain<InstanceDetails>,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<AuditEntryDto>>> {
    let entries = instance_details
        .audit(&auth.principal, id, page_request(&page))
        .await?;
    Ok(Json(paginated(entries, IntoDto::into_dto)))
}

/// The guest's live Proxmox configuration, credentials masked, and its IP addresses
/// (asked for at the same time, and stored on the instance). Asks Proxmox: 503
/// (`cluster_unreachable`, or `pve_error` with Proxmox's message) when it cannot read
/// the configuration; addresses the guest cannot tell are no error.
#[utoipa::path(get, path = "/api/v1/instances/{id}/config", tag = "instances",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceConfigDto), (status = 404, body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn get_instance_config(
    auth: Auth,
    Domain(instance_details): Domain<InstanceDetails>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<InstanceConfigDto>> {
    let config = instance_details.config(&auth.principal, id).await?;
    Ok(Json(config.into_dto()))
}
