//! `/api/v1/volumes` and `/api/v1/volume-snapshots`: EBS-like volumes. The list comes
//! from the in-memory volume index, each row's JSON rendered once; every write is checked at once (4xx, nothing changed) and answered
//! `202 Accepted` with the job that carries it out. The create's job names the new
//! volume in `resource_id`.

use axum::Json;
use axum::response::Response;
use proxicloud_domain::volumes::{AttachVolume, CreateVolume, VolumeService};
use proxicloud_store::VolumeFilter;
use proxicloud_types::api::common::{PageQuery, Paginated};
use proxicloud_types::api::jobs::JobDto;
use proxicloud_types::api::volumes::{
    AttachVolumeRequest, CloneVolumeRequest, CreateVolumeRequest, CreateVolumeSnapshotRequest,
    GrowVolumeRequest, VolumeDto, VolumeListParams, VolumeSnapshotDto,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::volumes::{volume_json, volume_sort};
use crate::dto::{IntoDto, page_request};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::respond::{accepted, rendered_page};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_volumes, create_volume))
        .routes(routes!(get_volume, delete_volume))
        .routes(routes!(attach_volume))
        .routes(routes!(detach_volume))
        .routes(routes!(grow_volume))
        .routes(routes!(list_volume_snapshots, create_volume_snapshot))
        .routes(routes!(delete_volume_snapshot))
        .routes(routes!(restore_volume_snapshot))
        .routes(routes!(clone_volume_snapshot))
}

/// List volumes: your own, or every volume for an admin. Oldest first unless `sort`
/// says otherwise, a page at a time; filter by the instance they are attached to,
/// status, class and part of the name.
#[utoipa::path(get, path = "/api/v1/volumes", tag = "volumes", params(VolumeListParams),
    responses((status = 200, body = Paginated<VolumeDto>), (status = 422, body = ErrorResponse)))]
async fn list_volumes(
    auth: Auth,
    Domain(volumes): Domain<VolumeService>,
    ApiQuery(params): ApiQuery<VolumeListParams>,
) -> ApiResult<Response> {
    let filter = VolumeFilter {
        attached_to: params.instance_id,
        status: params.status.map(|s| s.as_str().to_owned()),
        name_contains: params.q,
        class: params.class,
        ..VolumeFilter::default()
    };
    let page = page_request(&PageQuery {
        limit: params.limit,
        cursor: params.cursor,
    });
    let (sort, descending) = volume_sort(params.sort);
    let listed = volumes
        .list_rows(&auth.principal, filter, sort, descending, page)
        .await?;
    let rows = listed.items.iter().map(|row| volume_json(row));
    Ok(rendered_page(rows, listed.next.as_ref()))
}

/// Create a volume (1 GiB to 16 TiB) on a node's storage, or in a volume class (its
/// storage on the node with the most room); `available` when its job ends.
/// With `attach`, it is created on that instance's node and attached by the same job.
#[utoipa::path(post, path = "/api/v1/volumes", tag = "volumes", request_body = CreateVolumeRequest,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 409, body = ErrorResponse)))]
async fn create_volume(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiJson(request): ApiJson<CreateVolumeRequest>,
) -> ApiResult<Response> {
    let create = CreateVolume {
        name: request.name,
        size_gib: request.size_gib,
        cluster_id: request.cluster_id,
        node: request.node,
        storage: request.storage,
        class: request.class,
        attach: request.attach.map(|attach| AttachVolume {
            instance_id: attach.instance_id,
            mount_path: attach.mount_path,
            bus: attach.bus,
        }),
    };
    let (volume, submitted) = volumes.create(&auth.principal, create).await?;
    trail.resource(format!("volumes/{}", volume.id));
    trail.detail("name", volume.name);
    Ok(accepted(submitted, &trail))
}

/// One volume.
#[utoipa::path(get, path = "/api/v1/volumes/{id}", tag = "volumes", params(("id" = Uuid, Path)),
    responses((status = 200, body = VolumeDto), (status = 404, body = ErrorResponse)))]
async fn get_volume(
    auth: Auth,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<VolumeDto>> {
    Ok(Json(volumes.get(&auth.principal, id).await?.into_dto()))
}

/// Delete a detached volume with its snapshots.
#[utoipa::path(delete, path = "/api/v1/volumes/{id}", tag = "volumes", params(("id" = Uuid, Path)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn delete_volume(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let submitted = volumes.delete(&auth.principal, id).await?;
    Ok(accepted(submitted, &trail))
}

/// Attach a volume to an instance on its node: a container mounts it at `mount_path`,
/// a VM gets it as its next free `scsiN` (or `virtioN`) disk. It stays attached across
/// stop and start.
#[utoipa::path(post, path = "/api/v1/volumes/{id}/attach", tag = "volumes",
    params(("id" = Uuid, Path)), request_body = AttachVolumeRequest,
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn attach_volume(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<AttachVolumeRequest>,
) -> ApiResult<Response> {
    trail.detail("instance_id", request.instance_id.to_string());
    let attach = AttachVolume {
        instance_id: request.instance_id,
        mount_path: request.mount_path,
        bus: request.bus,
    };
    let submitted = volumes.attach(&auth.principal, id, attach).await?;
    Ok(accepted(submitted, &trail))
}

/// Detach a volume. A running container must be stopped first (Proxmox VE cannot
/// unmount its mount points while it runs): `409 instance_running`.
#[utoipa::path(post, path = "/api/v1/volumes/{id}/detach", tag = "volumes",
    params(("id" = Uuid, Path)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn detach_volume(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let submitted = volumes.detach(&auth.principal, id).await?;
    Ok(accepted(submitted, &trail))
}

/// Grow a detached volume (never shrink).
#[utoipa::path(post, path = "/api/v1/volumes/{id}/grow", tag = "volumes",
    params(("id" = Uuid, Path)), request_body = GrowVolumeRequest,
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn grow_volume(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<GrowVolumeRequest>,
) -> ApiResult<Response> {
    trail.detail("size_gib", request.size_gib);
    let submitted = volumes.grow(&auth.principal, id, request.size_gib).await?;
    Ok(accepted(submitted, &trail))
}

/// A volume's snapshots, oldest first.
#[utoipa::path(get, path = "/api/v1/volumes/{id}/snapshots", tag = "volumes",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Paginated<VolumeSnapshotDto>), (status = 404, body = ErrorResponse)))]
async fn list_volume_snapshots(
    auth: Auth,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Paginated<VolumeSnapshotDto>>> {
    let snapshots = volumes.snapshots(&auth.principal, id).await?;
    Ok(Json(Paginated::all(snapshots.into_dto())))
}

/// Snapshot a volume. Refused (`409 snapshots_not_supported`) on storages that cannot.
#[utoipa::path(post, path = "/api/v1/volumes/{id}/snapshots", tag = "volumes",
    params(("id" = Uuid, Path)), request_body = CreateVolumeSnapshotRequest,
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn create_volume_snapshot(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<CreateVolumeSnapshotRequest>,
) -> ApiResult<Response> {
    let (snapshot, submitted) = volumes
        .snapshot(&auth.principal, id, &request.name, &request.description)
        .await?;
    trail.detail("snapshot_id", snapshot.id.to_string());
    trail.detail("name", snapshot.name);
    Ok(accepted(submitted, &trail))
}

/// Delete a volume snapshot.
#[utoipa::path(delete, path = "/api/v1/volume-snapshots/{id}", tag = "volumes",
    params(("id" = Uuid, Path)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn delete_volume_snapshot(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let submitted = volumes.delete_snapshot(&auth.principal, id).await?;
    Ok(accepted(submitted, &trail))
}

/// Roll a detached volume back to this snapshot.
#[utoipa::path(post, path = "/api/v1/volume-snapshots/{id}/restore", tag = "volumes",
    params(("id" = Uuid, Path)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn restore_volume_snapshot(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let submitted = volumes.restore(&auth.principal, id).await?;
    Ok(accepted(submitted, &trail))
}

/// Create a new volume from this snapshot (a full copy). Refused
/// (`409 clone_not_supported`) on storages that cannot copy from a snapshot.
#[utoipa::path(post, path = "/api/v1/volume-snapshots/{id}/clone", tag = "volumes",
    params(("id" = Uuid, Path)), request_body = CloneVolumeRequest,
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn clone_volume_snapshot(
    auth: Auth,
    trail: AuditTrail,
    Domain(volumes): Domain<VolumeService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<CloneVolumeRequest>,
) -> ApiResult<Response> {
    let (volume, submitted) = volumes
        .clone_snapshot(&auth.principal, id, &request.name)
        .await?;
    trail.detail("volume_id", volume.id.to_string());
    Ok(accepted(submitted, &trail))
}
