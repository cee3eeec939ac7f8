//! `/api/v1/s3/access-keys`: the caller's S3 access keys (create, list, disable,
//! delete). The secret is in the one response that creates a key: not in the audit
//! trail (the access key id only), not in logs.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use proxicloud_domain::s3keys::AccessKeyService;
use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::s3::{AccessKeyDto, CreatedAccessKeyDto, UpdateAccessKeyRequest};
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
