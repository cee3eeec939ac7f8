//! `/api/v1/buckets`: buckets (list with size and object count, get, create, delete
//! when empty) and their folder view and multi-select delete. Objects one by one are
//! in `bucket_objects.rs`, multipart uploads in `bucket_uploads.rs`; the rules are
//! the object store's (`proxicloud_domain::buckets`).

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::buckets::{BucketService, ListQuery};
use proxicloud_types::api::buckets::{
    BucketDto, CreateBucketRequest, DeleteObjectsRequest, DeleteObjectsResponse, ObjectListDto,
    ObjectListQuery,
};
use proxicloud_types::api::common::{PageQuery, Paginated};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::{self, IntoDto};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_buckets, create_bucket))
        .routes(routes!(get_bucket, delete_bucket))
        .routes(routes!(list_objects))
        .routes(routes!(delete_objects))
}

/// List buckets: your own, or everyone's for an admin. By name, with their size and
/// object count.
#[utoipa::path(get, path = "/api/v1/buckets", tag = "buckets", params(PageQuery),
    responses((status = 200, body = Paginated<BucketDto>), (status = 401, body = ErrorResponse),
        (status = 422, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn list_buckets(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<BucketDto>>> {
    let page = buckets
        .list(&auth.principal, page.cursor.as_deref(), page.limit)
        .await?;
    Ok(Json(Paginated {
        items: page.items.into_dto(),
        next_cursor: page.next_cursor,
    }))
}

/// Create a bucket. Names follow S3's rules and are unique across all users
/// (`409 bucket_exists`).
#[utoipa::path(post, path = "/api/v1/buckets", tag = "buckets", request_body = CreateBucketRequest,
    responses((status = 201, body = BucketDto), (status = 403, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn create_bucket(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateBucketRequest>,
) -> ApiResult<(StatusCode, Json<BucketDto>)> {
    trail.resource(format!("buckets/{}", request.name));
    let bucket = buckets.create(&auth.principal, &request.name).await?;
    let summary = buckets.get(&auth.principal, &bucket.name).await?;
    Ok((StatusCode::CREATED, Json(summary.into_dto())))
}

/// One bucket with its size and object count.
#[utoipa::path(get, path = "/api/v1/buckets/{bucket}", tag = "buckets",
    params(("bucket" = String, Path)),
    responses((status = 200, body = BucketDto), (status = 404, body = ErrorResponse)))]
async fn get_bucket(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<BucketDto>> {
    Ok(Json(buckets.get(&auth.principal, &name).await?.into_dto()))
}

/// Delete an empty bucket (`409 bucket_not_empty` otherwise); its unfinished
/// multipart uploads go with it.
#[utoipa::path(delete, path = "/api/v1/buckets/{bucket}", tag = "buckets",
    params(("bucket" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse)))]
async fn delete_bucket(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("buckets/{name}"));
    buckets.delete(&auth.principal, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A folder view of a bucket: the keys under `prefix`, rolled up at `delimiter`
/// (`/`) into sub-folders (`common_prefixes`), with each object's size, ETag,
/// last-modified time and content type. In UTF-8 byte order of the keys.
#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/objects", tag = "buckets",
    params(("bucket" = String, Path), ObjectListQuery),
    responses((status = 200, body = ObjectListDto), (status = 404, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn list_objects(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<ObjectListQuery>,
) -> ApiResult<Json<ObjectListDto>> {
    let prefix = query.prefix.unwrap_or_default();
    let list = ListQuery {
        prefix: prefix.clone(),
        delimiter: query.delimiter.filter(|d| !d.is_empty()),
        after: query.cursor,
        max_keys: 0,
    };
    let page = buckets
        .list_objects(&auth.principal, &name, list, query.limit)
        .await?;
    Ok(Json(dto::buckets::object_list(prefix, page)))
}

/// Delete several objects at once (1 to 1000 keys): one result per key; a key that
/// was not there counts as done.
#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/delete-objects", tag = "buckets",
    params(("bucket" = String, Path)), request_body = DeleteObjectsRequest,
    responses((status = 200, body = DeleteObjectsResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn delete_objects(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath(name): ApiPath<String>,
    ApiJson(request): ApiJson<DeleteObjectsRequest>,
) -> ApiResult<Json<DeleteObjectsResponse>> {
    trail.resource(format!("buckets/{name}"));
    trail.detail("keys", request.keys.len());
    let results = buckets
        .delete_objects(&auth.principal, &name, request.keys)
        .await?;
    trail.detail("deleted", results.iter().filter(|r| r.deleted).count());
    Ok(Json(DeleteObjectsResponse {
        results: results.into_dto(),
    }))
}
