//! `/api/v1/buckets/{bucket}/objects/{key}`: one object — download (streamed, with
//! `Range`), upload (the request body, streamed; `Content-Type` and `x-amz-meta-*`
//! kept), delete, metadata, and a presigned S3 URL. The key is one path segment,
//! percent-encoded (`a%2Fb.txt` is the key `a/b.txt`).

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use proxicloud_domain::buckets::{BucketService, Upload};
use proxicloud_types::api::buckets::{
    ObjectDto, ObjectMetadataDto, PresignRequest, PresignedUrlDto,
};
use proxicloud_types::api::images::FileBody;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::{self, IntoDto};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::object_io::{body_stream, download_response, parse_range, range_error, upload_headers};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(download_object, upload_object, delete_object))
        .routes(routes!(get_object_metadata))
        .routes(routes!(presign_object))
}

/// Download an object, streamed. A single `Range: bytes=…` gives `206` with
/// `Content-Range` (`416` when the object cannot satisfy it).
#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "buckets",
    params(("bucket" = String, Path), ("key" = String, Path, description = "The key, percent-encoded as one segment"),
        ("Range" = Option<String>, Header, description = "`bytes=first-last`, `bytes=first-` or `bytes=-suffix`")),
    responses((status = 200, description = "The object's bytes", content_type = "application/octet-stream", body = inline(FileBody)),
        (status = 206, description = "The requested range", content_type = "application/octet-stream", body = inline(FileBody)),
        (status = 404, body = ErrorResponse), (status = 416, body = ErrorResponse)))]
async fn download_object(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    ApiPath((bucket, key)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let download = buckets
        .download(&auth.principal, &bucket, &key, parse_range(&headers))
        .await
        .map_err(range_error)?;
    Ok(download_response(download))
}

/// Upload an object: the request body is its bytes, streamed to disk as they arrive
/// (any size; use multipart uploads to resume big ones). `Content-Type`, the other
/// content headers and `x-amz-meta-*` are kept. Replaces an object of that key; it
/// is visible only once complete.
#[utoipa::path(put, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "buckets",
    params(("bucket" = String, Path), ("key" = String, Path, description = "The key, percent-encoded as one segment")),
    request_body(content = inline(FileBody), content_type = "application/octet-stream", description = "The object's bytes"),
    responses((status = 200, body = ObjectDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, description = "`quota_exceeded`: the bucket owner's quota", body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn upload_object(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath((bucket, key)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<ObjectDto>> {
    trail.resource(format!("buckets/{bucket}"));
    trail.detail("key", key.clone());
    let upload = Upload {
        headers: upload_headers(&headers),
        body: body_stream(body),
        content_md5: None,
        // A declared length the quota cannot take is refused before the body is read.
        declared_size: crate::security::declared_length(&headers),
    };
    let info = buckets
        .upload(&auth.principal, &bucket, &key, upload)
        .await?;
    trail.detail("size", info.size);
    Ok(Json(info.into_dto()))
}

/// Delete an object (`204` also when there was none, like S3).
#[utoipa::path(delete, path = "/api/v1/buckets/{bucket}/objects/{key}", tag = "buckets",
    params(("bucket" = String, Path), ("key" = String, Path, description = "The key, percent-encoded as one segment")),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn delete_object(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath((bucket, key)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("buckets/{bucket}"));
    trail.detail("key", key.clone());
    buckets
        .delete_object(&auth.principal, &bucket, &key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An object's metadata: size, ETag, last-modified time, content headers and user
/// metadata.
#[utoipa::path(get, path = "/api/v1/buckets/{bucket}/objects/{key}/metadata", tag = "buckets",
    params(("bucket" = String, Path), ("key" = String, Path, description = "The key, percent-encoded as one segment")),
    responses((status = 200, body = ObjectMetadataDto), (status = 404, body = ErrorResponse)))]
async fn get_object_metadata(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    ApiPath((bucket, key)): ApiPath<(String, String)>,
) -> ApiResult<Json<ObjectMetadataDto>> {
    let info = buckets.object_info(&auth.principal, &bucket, &key).await?;
    Ok(Json(dto::buckets::metadata(info)))
}

/// A presigned S3 GET URL of an object of your own bucket, valid for
/// `expires_in_secs` (at most 7 days) and signed with one of your enabled access
/// keys (`400 no_access_key` when you have none).
#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/objects/{key}/presign", tag = "buckets",
    params(("bucket" = String, Path), ("key" = String, Path, description = "The key, percent-encoded as one segment")),
    request_body = PresignRequest,
    responses((status = 200, body = PresignedUrlDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn presign_object(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath((bucket, key)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<PresignRequest>,
) -> ApiResult<Json<PresignedUrlDto>> {
    trail.resource(format!("buckets/{bucket}"));
    trail.detail("key", key.clone());
    trail.detail("expires_in_secs", request.expires_in_secs);
    let presigned = buckets
        .presign(
            &auth.principal,
            &bucket,
            &key,
            Duration::from_secs(request.expires_in_secs),
        )
        .await?;
    trail.detail("access_key_id", presigned.access_key_id.clone());
    Ok(Json(PresignedUrlDto {
        url: presigned.url,
        expires_at: presigned.expires_at,
        access_key_id: presigned.access_key_id,
    }))
}
