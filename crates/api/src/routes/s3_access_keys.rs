//! `/api/v1/s3/access-keys`: the caller's S3 access keys (create, list, disable,
//! delete). The secret is in the one response that creates a key: not in the audit
//! trail (the access key id only), not in logs. And `/api/v1/s3/quotas/{id}`:
//! the per-user storage quotas, admins only.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use proxicloud_domain::s3keys::{AccessKeyService, S3Quotas};
use proxicloud_store::{BucketUsage, Quota};
use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::s3::{
    AccessKeyDto, CreatedAccessKeyDto, S3QuotaDto, SetS3QuotaRequest, UpdateAccessKeyRequest,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_access_keys, create_access_key))
        .routes(routes!(update_access_key, delete_access_key))
        .routes(routes!(get_s3_quota, set_s3_quota))
}

/// List S3 access keys: your own, or everyone's for an admin. Oldest first.
#[utoipa::path(get, path = "/api/v1/s3/access-keys", tag = "s3",
    responses((status = 200, body = Paginated<AccessKeyDto>), (status = 401, body = ErrorResponse)))]
async fn list_access_keys(
    auth: Auth,
    Domain(keys): Domain<AccessKeyService>,
) -> ApiResult<Json<Paginated<AccessKeyDto>>> {
    let keys = keys.list(&auth.principal).await?;
    Ok(Json(Paginated::all(keys.into_dto())))
}

/// Create an S3 access key for yourself. The response carries `secret_access_key`:
/// it is shown this once.
#[utoipa::path(post, path = "/api/v1/s3/access-keys", tag = "s3",
    responses((status = 201, body = CreatedAccessKeyDto), (status = 403, body = ErrorResponse)))]
async fn create_access_key(
    auth: Auth,
    Domain(keys): Domain<AccessKeyService>,
    trail: AuditTrail,
) -> ApiResult<(
    StatusCode,
    [(header::HeaderName, HeaderValue); 1],
    Json<CreatedAccessKeyDto>,
)> {
    let created = keys.create(&auth.principal).await?;
    trail.resource(format!("s3/access-keys/{}", created.key.id));
    trail.detail("name", created.key.access_key_id.clone());
    // Shown once: no cache keeps it.
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((StatusCode::CREATED, no_store, Json(created.into_dto())))
}

/// Disable (or enable again) an access key: a disabled key is refused by the S3
/// endpoint.
#[utoipa::path(patch, path = "/api/v1/s3/access-keys/{id}", tag = "s3",
    params(("id" = Uuid, Path)), request_body = UpdateAccessKeyRequest,
    responses((status = 200, body = AccessKeyDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn update_access_key(
    auth: Auth,
    Domain(keys): Domain<AccessKeyService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateAccessKeyRequest>,
) -> ApiResult<Json<AccessKeyDto>> {
    trail.resource(format!("s3/access-keys/{id}"));
    trail.detail("disabled", request.disabled);
    let key = keys
        .set_disabled(&auth.principal, id, request.disabled)
        .await?;
    trail.detail("name", key.access_key_id.clone());
    Ok(Json(key.into_dto()))
}

/// Delete an access key. Clients using it are refused from then on.
#[utoipa::path(delete, path = "/api/v1/s3/access-keys/{id}", tag = "s3",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn delete_access_key(
    auth: Auth,
    Domain(keys): Domain<AccessKeyService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("s3/access-keys/{id}"));
    let deleted = keys.delete(&auth.principal, id).await?;
    trail.detail("name", deleted.access_key_id);
    Ok(StatusCode::NO_CONTENT)
}

fn quota_dto(user_id: Uuid, (quota, usage): (Quota, BucketUsage)) -> S3QuotaDto {
    S3QuotaDto {
        user_id,
        max_bytes: quota.max_bytes,
        max_objects: quota.max_objects,
        used_bytes: usage.bytes,
        used_objects: usage.objects,
    }
}

/// A user's object storage quota and usage (admins only).
#[utoipa::path(get, path = "/api/v1/s3/quotas/{id}", tag = "s3",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = S3QuotaDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn get_s3_quota(
    auth: Auth,
    Domain(quotas): Domain<S3Quotas>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<S3QuotaDto>> {
    let quota = quotas.get(&auth.principal, id).await?;
    Ok(Json(quota_dto(id, quota)))
}

/// Set a user's object storage quota (admins only): writes past it are refused with
/// S3's `QuotaExceeded` (403); lowering it below the usage deletes nothing.
#[utoipa::path(put, path = "/api/v1/s3/quotas/{id}", tag = "s3",
    params(("id" = Uuid, Path)), request_body = SetS3QuotaRequest,
    responses((status = 200, body = S3QuotaDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn set_s3_quota(
    auth: Auth,
    Domain(quotas): Domain<S3Quotas>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<SetS3QuotaRequest>,
) -> ApiResult<Json<S3QuotaDto>> {
    trail.resource(format!("s3/quotas/{id}"));
    trail.detail("max_bytes", request.max_bytes);
    trail.detail("max_objects", request.max_objects);
    let quota = Quota {
        max_bytes: request.max_bytes,
        max_objects: request.max_objects,
    };
    let quota = quotas.set(&auth.principal, id, quota).await?;
    Ok(Json(quota_dto(id, quota)))
}
