//! `/api/v1/buckets/{bucket}/uploads`: multipart uploads, so the console uploads a
//! big file in parts and, after a network blip, sends only the failed part again —
//! create, upload a part (the body, streamed), complete, abort.

use axum::Json;
use axum::body::Body;
use axum::http::StatusCode;
use proxicloud_domain::buckets::{BucketService, CompletedPart, ObjectHeaders};
use proxicloud_types::api::buckets::{
    CompleteUploadRequest, CreateUploadRequest, ObjectDto, PartDto, UploadDto,
};
use proxicloud_types::api::images::FileBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::object_io::body_stream;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_upload))
        .routes(routes!(upload_part))
        .routes(routes!(complete_upload))
        .routes(routes!(abort_upload))
}

/// Start a multipart upload of `key`.
#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/uploads", tag = "buckets",
    params(("bucket" = String, Path)), request_body = CreateUploadRequest,
    responses((status = 201, body = UploadDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn create_upload(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath(bucket): ApiPath<String>,
    ApiJson(request): ApiJson<CreateUploadRequest>,
) -> ApiResult<(StatusCode, Json<UploadDto>)> {
    trail.resource(format!("buckets/{bucket}"));
    trail.detail("key", request.key.clone());
    let headers = ObjectHeaders {
        content_type: request.content_type,
        ..ObjectHeaders::default()
    };
    let upload = buckets
        .create_upload(&auth.principal, &bucket, &request.key, &headers)
        .await?;
    Ok((StatusCode::CREATED, Json(upload.into_dto())))
}

/// Upload one part (1 to 10000; all but the last at least 5 MiB): the body,
/// streamed. Sending a part again replaces it — how a failed part is retried.
#[utoipa::path(put, path = "/api/v1/buckets/{bucket}/uploads/{upload_id}/parts/{part_number}", tag = "buckets",
    params(("bucket" = String, Path), ("upload_id" = String, Path), ("part_number" = u32, Path)),
    request_body(content = inline(FileBody), content_type = "application/octet-stream", description = "The part's bytes"),
    responses((status = 200, body = PartDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn upload_part(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath((bucket, upload_id, part_number)): ApiPath<(String, String, u32)>,
    body: Body,
) -> ApiResult<Json<PartDto>> {
    // The upload's completion is the action worth an entry, not each part.
    trail.not_an_action();
    let etag = buckets
        .upload_part(
            &auth.principal,
            &bucket,
            &upload_id,
            part_number,
            body_stream(body),
        )
        .await?;
    Ok(Json(PartDto { part_number, etag }))
}

/// Complete an upload: its parts, in ascending order with the ETags their uploads
/// answered, become the object.
#[utoipa::path(post, path = "/api/v1/buckets/{bucket}/uploads/{upload_id}/complete", tag = "buckets",
    params(("bucket" = String, Path), ("upload_id" = String, Path)), request_body = CompleteUploadRequest,
    responses((status = 200, body = ObjectDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, description = "`quota_exceeded`: the bucket owner's quota", body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn complete_upload(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath((bucket, upload_id)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<CompleteUploadRequest>,
) -> ApiResult<Json<ObjectDto>> {
    trail.resource(format!("buckets/{bucket}"));
    let parts: Vec<CompletedPart> = request
        .parts
        .into_iter()
        .map(|p| CompletedPart {
            part_number: p.part_number,
            etag: p.etag,
        })
        .collect();
    let info = buckets
        .complete_upload(&auth.principal, &bucket, &upload_id, &parts)
        .await?;
    trail.detail("key", info.key.clone());
    trail.detail("size", info.size);
    Ok(Json(info.into_dto()))
}

/// Abort an upload: its parts are dropped.
#[utoipa::path(delete, path = "/api/v1/buckets/{bucket}/uploads/{upload_id}", tag = "buckets",
    params(("bucket" = String, Path), ("upload_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn abort_upload(
    auth: Auth,
    Domain(buckets): Domain<BucketService>,
    trail: AuditTrail,
    ApiPath((bucket, upload_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("buckets/{bucket}"));
    let key = buckets
        .abort_upload(&auth.principal, &bucket, &upload_id)
        .await?;
    trail.detail("key", key);
    Ok(StatusCode::NO_CONTENT)
}
