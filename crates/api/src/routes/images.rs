//! `/api/v1/images`: what instances can be launched from (every signed-in user), the
//! appliance catalogue, template downloads and uploads (admins: they fill shared storage).

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use proxicloud_domain::error::DomainError;
use proxicloud_domain::images::{
    DeleteImage, DownloadImage, ImagesService, UploadContent, UploadImage,
};
use proxicloud_types::api::images::{
    ApplianceListDto, CreateImageRequest, DeleteImageQuery, DownloadImageRequest, FileBody,
    ImageClusterQuery, ImageListDto, UploadContentDto, UploadImageQuery,
};
use proxicloud_types::api::jobs::JobDto;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::respond::accepted;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_images, create_image))
        .routes(routes!(list_image_catalog))
        .routes(routes!(download_image))
        .routes(routes!(upload_image))
        .routes(routes!(delete_image))
}

/// Container templates, ISOs and VM templates of a cluster, across its nodes and storages.
#[utoipa::path(get, path = "/api/v1/images", tag = "images", params(ImageClusterQuery),
    responses((status = 200, body = ImageListDto), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn list_images(
    auth: Auth,
    Domain(images): Domain<ImagesService>,
    ApiQuery(query): ApiQuery<ImageClusterQuery>,
) -> ApiResult<Json<ImageListDto>> {
    let list = images.list(&auth.principal, query.cluster_id).await?;
    Ok(Json(ImageListDto {
        cluster_id: list.cluster_id,
        items: list.images.into_dto(),
        storages: list.storages.into_dto(),
    }))
}

/// The container templates Proxmox VE offers for download (its appliance catalogue).
#[utoipa::path(get, path = "/api/v1/images/catalog", tag = "images", params(ImageClusterQuery),
    responses((status = 200, body = ApplianceListDto), (status = 403, body = ErrorResponse),
        (status = 404, description = "No such cluster", body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn list_image_catalog(
    auth: Auth,
    Domain(images): Domain<ImagesService>,
    ApiQuery(query): ApiQuery<ImageClusterQuery>,
) -> ApiResult<Json<ApplianceListDto>> {
    let appliances = images.catalog(&auth.principal, query.cluster_id).await?;
    Ok(Json(ApplianceListDto {
        items: appliances.into_dto(),
    }))
}

/// Download a container template from the catalogue to a node's storage (a job).
#[utoipa::path(post, path = "/api/v1/images/download", tag = "images", request_body = DownloadImageRequest,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 403, body = ErrorResponse),
        (status = 404, description = "No such cluster", body = ErrorResponse),
        (status = 422, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn download_image(
    auth: Auth,
    trail: AuditTrail,
    Domain(images): Domain<ImagesService>,
    ApiJson(request): ApiJson<DownloadImageRequest>,
) -> ApiResult<Response> {
    trail.resource(format!(
        "images/{}:vztmpl/{}",
        request.storage, request.template
    ));
    let download = DownloadImage {
        cluster_id: request.cluster_id,
        node: request.node,
        storage: request.storage,
        template: request.template,
    };
    let submitted = images.download(&auth.principal, download).await?;
    Ok(accepted(submitted, &trail))
}

/// Delete a container template or ISO (from every node that has it, or `node`'s), or a
/// VM template that no instance is a linked clone of (a job).
#[utoipa::path(delete, path = "/api/v1/images/{id}", tag = "images",
    params(("id" = String, Path, description = "The image's `id`: a volume id such as `local:iso/x.iso` (URL-encoded) or a VM template's vmid"),
        DeleteImageQuery),
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 403, body = ErrorResponse),
        (status = 404, description = "No such cluster or image", body = ErrorResponse),
        (status = 409, description = "A VM template that linked clones use", body = ErrorResponse),
        (status = 422, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn delete_image(
    auth: Auth,
    trail: AuditTrail,
    Domain(images): Domain<ImagesService>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DeleteImageQuery>,
) -> ApiResult<Response> {
    trail.resource(format!("images/{id}"));
    let request = DeleteImage {
        cluster_id: query.cluster_id,
        id,
        node: query.node,
    };
    let submitted = images.delete(&auth.principal, request).await?;
    Ok(accepted(submitted, &trail))
}

/// Turn a stopped instance (VM or container) into a template (a job); it then lists as
/// one. For whoever may manage the instance.
#[utoipa::path(post, path = "/api/v1/images", tag = "images", request_body = CreateImageRequest,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 403, body = ErrorResponse),
        (status = 404, description = "No such instance (or not yours)", body = ErrorResponse),
        (status = 409, description = "The instance runs, or is a template already", body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_image(
    auth: Auth,
    trail: AuditTrail,
    Domain(images): Domain<ImagesService>,
    ApiJson(request): ApiJson<CreateImageRequest>,
) -> ApiResult<Response> {
    trail.resource(format!("instances/{}", request.instance_id));
    let submitted = images
        .create_from_instance(&auth.principal, request.instance_id)
        .await?;
    Ok(accepted(submitted, &trail))
}

/// Upload an ISO or a container template to a node's storage: the request body is the
/// file (`Content-Length` required), streamed to Proxmox VE as it arrives. Everything
/// but the bytes is checked first; Proxmox verifies `checksum` before it keeps the file
/// (the job fails on a mismatch, and nothing is kept). A file of the same name is
/// replaced, as Proxmox does. With `dry_run` (and `size`) it only checks: `204`.
#[utoipa::path(post, path = "/api/v1/images/upload", tag = "images", params(UploadImageQuery),
    request_body(content = inline(FileBody), content_type = "application/octet-stream", description = "The file"),
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 204, description = "`dry_run`: the upload would be accepted"),
        (status = 403, body = ErrorResponse),
        (status = 404, description = "No such cluster", body = ErrorResponse),
        (status = 411, description = "No `Content-Length` (an upload that is not a `dry_run`)", body = ErrorResponse),
        (status = 422, body = ErrorResponse), (status = 503, body = ErrorResponse)))]
async fn upload_image(
    auth: Auth,
    trail: AuditTrail,
    Domain(images): Domain<ImagesService>,
    query: Result<ApiQuery<UploadImageQuery>, ApiError>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    // Who may upload is said before what is wrong with the parameters.
    auth.principal.require_admin()?;
    let ApiQuery(query) = query?;
    let content = match query.content {
        UploadContentDto::Iso => UploadContent::Iso,
        UploadContentDto::LxcTemplate => UploadContent::LxcTemplate,
    };
    trail.resource(format!("images/{}/{}", query.storage, query.filename));
    let size = if query.dry_run {
        query
            .size
            .ok_or_else(|| DomainError::invalid("size", "required with dry_run"))?
    } else {
        crate::security::declared_length(&headers).ok_or_else(|| {
            ApiError::new(
                StatusCode::LENGTH_REQUIRED,
                "length_required",
                "an upload needs the file's length in Content-Length",
            )
        })?
    };
    let checksum = match (query.checksum_algorithm, query.checksum) {
        (Some(algorithm), Some(digest)) => Some((algorithm.as_str().to_owned(), digest)),
        (None, None) => None,
        (None, Some(_)) => {
            return Err(
                DomainError::invalid("checksum_algorithm", "required with checksum").into(),
            );
        }
        (Some(_), None) => {
            return Err(
                DomainError::invalid("checksum", "required with checksum_algorithm").into(),
            );
        }
    };
    let request = UploadImage {
        cluster_id: query.cluster_id,
        node: query.node,
        storage: query.storage,
        content,
        filename: query.filename,
        size,
        checksum,
    };
    if query.dry_run {
        images.check_upload(&auth.principal, &request).await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let submitted = images
        .upload(&auth.principal, request, Box::pin(stream))
        .await?;
    Ok(accepted(submitted, &trail))
}
