//! `/api/v1/instances/{id}/snapshots`: snapshots of a whole instance. The list asks
//! Proxmox (one call; `503` when it cannot be reached); creating, rolling back and
//! deleting are checked at once (`422` for the request, `409` for a name in use or a
//! template, `404` for an unknown snapshot — nothing queued) and answered `202` with
//! the job that waits for Proxmox's task.

use axum::Json;
use axum::response::Response;
use proxicloud_domain::instances::InstanceSnapshots;
use proxicloud_types::api::jobs::JobDto;
use proxicloud_types::api::snapshots::{
    CreateSnapshotRequest, RollbackSnapshotRequest, SnapshotListDto,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, JsonOrEmpty};
use crate::respond::accepted;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_instance_snapshots, create_instance_snapshot))
        .routes(routes!(delete_instance_snapshot))
        .routes(routes!(rollback_instance_snapshot))
}

/// The instance's snapshots, oldest first, as Proxmox has them now.
#[utoipa::path(get, path = "/api/v1/instances/{id}/snapshots", tag = "instances",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SnapshotListDto), (status = 404, body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn list_instance_snapshots(
    auth: Auth,
    Domain(snapshots): Domain<InstanceSnapshots>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<SnapshotListDto>> {
    Ok(Json(snapshots.list(&auth.principal, id).await?.into_dto()))
}

/// Take a snapshot (for a VM, optionally with its RAM).
#[utoipa::path(post, path = "/api/v1/instances/{id}/snapshots", tag = "instances",
    params(("id" = Uuid, Path)), request_body = CreateSnapshotRequest,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn create_instance_snapshot(
    auth: Auth,
    trail: AuditTrail,
    Domain(snapshots): Domain<InstanceSnapshots>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<CreateSnapshotRequest>,
) -> ApiResult<Response> {
    trail.detail("snapshot", request.name.clone());
    let submitted = snapshots
        .create(
            &auth.principal,
            id,
            &request.name,
            request.description.as_deref(),
            request.include_ram,
        )
        .await?;
    Ok(accepted(submitted, &trail))
}

/// Go back to a snapshot: Proxmox stops a running instance first; `start` starts it
/// again afterwards.
#[utoipa::path(post, path = "/api/v1/instances/{id}/snapshots/{name}/rollback", tag = "instances",
    params(("id" = Uuid, Path), ("name" = String, Path)), request_body = Option<RollbackSnapshotRequest>,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn rollback_instance_snapshot(
    auth: Auth,
    trail: AuditTrail,
    Domain(snapshots): Domain<InstanceSnapshots>,
    ApiPath((id, name)): ApiPath<(Uuid, String)>,
    JsonOrEmpty(request): JsonOrEmpty<RollbackSnapshotRequest>,
) -> ApiResult<Response> {
    trail.detail("snapshot", name.clone());
    let submitted = snapshots
        .rollback(&auth.principal, id, &name, request.start)
        .await?;
    Ok(accepted(submitted, &trail))
}

/// Delete a snapshot (the instance keeps its live state).
#[utoipa::path(delete, path = "/api/v1/instances/{id}/snapshots/{name}", tag = "instances",
    params(("id" = Uuid, Path), ("name" = String, Path)),
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn delete_instance_snapshot(
    auth: Auth,
    trail: AuditTrail,
    Domain(snapshots): Domain<InstanceSnapshots>,
    ApiPath((id, name)): ApiPath<(Uuid, String)>,
) -> ApiResult<Response> {
    trail.detail("snapshot", name.clone());
    let submitted = snapshots.delete(&auth.principal, id, &name).await?;
    Ok(accepted(submitted, &trail))
}
