//! `/api/v1/backups`: vzdump archives of instances. The list and a backup come from
//! the database (newest first, your own or, for an admin, everyone's); taking,
//! deleting and restoring are checked at once (`422` for the request, `409` for a
//! protected backup, an archive that is gone, a locked instance, a full storage —
//! nothing queued) and answered `202` with the job that carries them out. Protecting
//! is one synchronous call to Proxmox.

use axum::Json;
use axum::response::Response;
use proxicloud_domain::DomainError;
use proxicloud_domain::backups::{
    BackupQuery, BackupService, CreateBackup, RestoreBackup, RestoreMode,
};
use proxicloud_pve::BackupMode;
use proxicloud_types::api::backups::{
    BackupDto, BackupListParams, BackupModeDto, BackupStorageDto, CreateBackupRequest,
    RestoreBackupRequest, RestoreTargetDto,
};
use proxicloud_types::api::common::{PageQuery, Paginated};
use proxicloud_types::api::jobs::JobDto;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::{IntoDto, page_request, paginated};
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey, JsonOrEmpty};
use crate::respond::accepted;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_backups, create_backup))
        .routes(routes!(get_backup, delete_backup))
        .routes(routes!(protect_backup))
        .routes(routes!(unprotect_backup))
        .routes(routes!(restore_backup))
        .routes(routes!(list_backup_storages))
}

/// The storages an instance's backups may go to: on its node, holding backups (as the
/// inventory last saw them), by name.
#[utoipa::path(get, path = "/api/v1/instances/{id}/backup-storages", tag = "backups",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Paginated<BackupStorageDto>), (status = 404, body = ErrorResponse)))]
async fn list_backup_storages(
    auth: Auth,
    Domain(backups): Domain<BackupService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Paginated<BackupStorageDto>>> {
    let storages = backups.storages_for(&auth.principal, id).await?;
    let items = storages
        .into_iter()
        .map(|s| BackupStorageDto {
            storage: s.storage,
            shared: s.shared,
            avail_bytes: s.avail,
            total_bytes: s.total,
        })
        .collect();
    Ok(Json(Paginated::all(items)))
}

/// List backups: your own, or every backup for an admin; newest first, a page at a
/// time; filter by instance and status.
#[utoipa::path(get, path = "/api/v1/backups", tag = "backups", params(BackupListParams),
    responses((status = 200, body = Paginated<BackupDto>), (status = 422, body = ErrorResponse)))]
async fn list_backups(
    auth: Auth,
    Domain(backups): Domain<BackupService>,
    ApiQuery(params): ApiQuery<BackupListParams>,
) -> ApiResult<Json<Paginated<BackupDto>>> {
    let query = BackupQuery {
        instance_id: params.instance_id,
        status: params.status.map(|s| s.as_str().to_owned()),
    };
    let page = page_request(&PageQuery {
        limit: params.limit,
        cursor: params.cursor,
    });
    let listed = backups.list(&auth.principal, query, page).await?;
    Ok(Json(paginated(listed, IntoDto::into_dto)))
}

/// Back up an instance (vzdump, zstd) to a storage of its node that holds backups.
/// The job waits for Proxmox's task and records the archive it names; the backup is
/// `available` when the job ends.
#[utoipa::path(post, path = "/api/v1/backups", tag = "backups", request_body = CreateBackupRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat to get the first job back")),
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn create_backup(
    auth: Auth,
    trail: AuditTrail,
    Domain(backups): Domain<BackupService>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(request): ApiJson<CreateBackupRequest>,
) -> ApiResult<Response> {
    trail.detail("instance_id", request.instance_id.to_string());
    let mode = match request.mode {
        BackupModeDto::Snapshot => BackupMode::Snapshot,
        BackupModeDto::Suspend => BackupMode::Suspend,
        BackupModeDto::Stop => BackupMode::Stop,
    };
    let create = CreateBackup {
        instance_id: request.instance_id,
        mode,
        storage: request.storage,
        notes: request.notes,
        protected: request.protected,
        idempotency_key: key,
    };
    let (backup, submitted) = backups.create(&auth.principal, create).await?;
    trail.resource(format!("backups/{}", backup.id));
    trail.detail("storage", backup.storage);
    Ok(accepted(submitted, &trail))
}

/// One backup.
#[utoipa::path(get, path = "/api/v1/backups/{id}", tag = "backups", params(("id" = Uuid, Path)),
    responses((status = 200, body = BackupDto), (status = 404, body = ErrorResponse)))]
async fn get_backup(
    auth: Auth,
    Domain(backups): Domain<BackupService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BackupDto>> {
    Ok(Json(backups.get(&auth.principal, id).await?.into_dto()))
}

/// Delete a backup: its archive on Proxmox, then the record. A protected backup is
/// refused (`409 backup_protected`).
#[utoipa::path(delete, path = "/api/v1/backups/{id}", tag = "backups", params(("id" = Uuid, Path)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn delete_backup(
    auth: Auth,
    trail: AuditTrail,
    Domain(backups): Domain<BackupService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let submitted = backups.delete(&auth.principal, id).await?;
    Ok(accepted(submitted, &trail))
}

/// Protect a backup from deletion and pruning (on Proxmox too).
#[utoipa::path(post, path = "/api/v1/backups/{id}/protect", tag = "backups", params(("id" = Uuid, Path)),
    responses((status = 200, body = BackupDto), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn protect_backup(
    auth: Auth,
    Domain(backups): Domain<BackupService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BackupDto>> {
    let backup = backups.set_protected(&auth.principal, id, true).await?;
    Ok(Json(backup.into_dto()))
}

/// Lift a backup's protection.
#[utoipa::path(post, path = "/api/v1/backups/{id}/unprotect", tag = "backups", params(("id" = Uuid, Path)),
    responses((status = 200, body = BackupDto), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn unprotect_backup(
    auth: Auth,
    Domain(backups): Domain<BackupService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BackupDto>> {
    let backup = backups.set_protected(&auth.principal, id, false).await?;
    Ok(Json(backup.into_dto()))
}

/// Restore a backup. `in-place` (default): the backed-up instance is stopped,
/// overwritten and started again (`start: false` leaves it stopped). `new`: a new
/// instance (`name`; optionally `node` and `storage`) with a new vmid, owned by you.
/// The job's `resource_id` is the instance restored into.
#[utoipa::path(post, path = "/api/v1/backups/{id}/restore", tag = "backups",
    params(("id" = Uuid, Path)), request_body = Option<RestoreBackupRequest>,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn restore_backup(
    auth: Auth,
    trail: AuditTrail,
    Domain(backups): Domain<BackupService>,
    ApiPath(id): ApiPath<Uuid>,
    JsonOrEmpty(request): JsonOrEmpty<RestoreBackupRequest>,
) -> ApiResult<Response> {
    let mode = match request.target {
        RestoreTargetDto::InPlace => RestoreMode::InPlace,
        RestoreTargetDto::New => RestoreMode::AsNew {
            name: request.name.ok_or_else(|| {
                ApiError::from(DomainError::invalid(
                    "name",
                    "required to restore as a new instance",
                ))
            })?,
            node: request.node,
            storage: request.storage,
        },
    };
    trail.detail("target", format!("{:?}", request.target));
    let restore = RestoreBackup {
        mode,
        start: request.start.unwrap_or(true),
    };
    let (instance_id, submitted) = backups.restore(&auth.principal, id, restore).await?;
    trail.detail("instance_id", instance_id.to_string());
    Ok(accepted(submitted, &trail))
}
