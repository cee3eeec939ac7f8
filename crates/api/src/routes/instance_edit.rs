//! `PATCH /api/v1/instances/{id}`: rename and retag an instance. Proxmox applies both
//! at once (one synchronous config change), so the answer is the instance as the
//! mirror has it afterwards (`200`), not a job. `POST …/resize` changes cores, memory
//! and the root disk's size as a job (`202`).

use axum::Json;
use axum::response::Response;
use proxicloud_domain::instances::{InstanceEdit, InstanceEdits, InstanceResizes, Resize};
use proxicloud_domain::inventory::InstanceDirectory;
use proxicloud_types::api::instances::{InstanceDto, ResizeInstanceRequest, UpdateInstanceRequest};
use proxicloud_types::api::jobs::JobDto;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::instances::instance_dto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::respond::{accepted, with_cache_status};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_instance))
        .routes(routes!(resize_instance))
}

/// Rename an instance and/or replace its tags (live, running or not).
#[utoipa::path(patch, path = "/api/v1/instances/{id}", tag = "instances", params(("id" = Uuid, Path)),
    request_body = UpdateInstanceRequest,
    responses((status = 200, body = InstanceDto), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn update_instance(
    auth: Auth,
    trail: AuditTrail,
    Domain(edits): Domain<InstanceEdits>,
    Domain(instances): Domain<InstanceDirectory>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateInstanceRequest>,
) -> ApiResult<Response> {
    if let Some(name) = &request.name {
        trail.detail("new_name", name.clone());
    }
    if let Some(tags) = &request.tags {
        trail.detail("tags", tags.clone());
    }
    let edit = InstanceEdit {
        name: request.name,
        tags: request.tags,
    };
    let guest = edits.edit(&auth.principal, id, &edit).await?;
    trail.detail("name", guest.observed.name.clone());
    let view = instances.get(&auth.principal, id).await?;
    let dto = instance_dto(view.guest.guest(), view.freshness);
    Ok(with_cache_status(view.freshness, Json(dto)))
}

/// Change cores and memory and/or grow the root disk, as a job. What Proxmox cannot
/// apply to the running instance (a VM's cores; its memory without memory hot-plug)
/// waits for the next start: the job's step says so, and the configuration lists it
/// as pending. Disks only grow.
#[utoipa::path(post, path = "/api/v1/instances/{id}/resize", tag = "instances", params(("id" = Uuid, Path)),
    request_body = ResizeInstanceRequest,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn resize_instance(
    auth: Auth,
    trail: AuditTrail,
    Domain(resizes): Domain<InstanceResizes>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ResizeInstanceRequest>,
) -> ApiResult<Response> {
    let resize = Resize {
        cores: request.cores,
        memory_mib: request.memory,
        disk_gib: request.disk,
    };
    let (submitted, guest) = resizes.resize(&auth.principal, id, resize).await?;
    trail.detail("name", guest.observed.name.clone());
    Ok(accepted(submitted, &trail))
}
