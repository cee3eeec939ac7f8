//! `/api/v1/settings/volume-classes`: the volume classes (`ssd`, `hdd`, …) an admin maps
//! onto storages. Everyone signed in reads them (the create dialog offers them); only
//! admins replace them, checked against the inventory mirror.

use axum::Json;
use proxicloud_domain::volumes::VolumeService;
use proxicloud_types::api::volumes::VolumeClassesDto;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::dto::volumes::{classes_dto, classes_of};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::ApiJson;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_volume_classes, update_volume_classes))
}

/// The volume classes and the storages each maps onto.
#[utoipa::path(get, path = "/api/v1/settings/volume-classes", tag = "settings",
    responses((status = 200, body = VolumeClassesDto)))]
async fn get_volume_classes(
    _auth: Auth,
    Domain(volumes): Domain<VolumeService>,
) -> ApiResult<Json<VolumeClassesDto>> {
    Ok(Json(classes_dto(volumes.classes().await?)))
}

/// Replace the volume classes (admin). Each storage must exist in its cluster and hold
/// container volumes (content `rootdir`); problems are listed in the 422 response as
/// `classes[i].name`, `classes[i].storages[j]`.
#[utoipa::path(put, path = "/api/v1/settings/volume-classes", tag = "settings",
    request_body = VolumeClassesDto,
    responses((status = 200, body = VolumeClassesDto), (status = 422, body = ErrorResponse)))]
async fn update_volume_classes(
    auth: Auth,
    Domain(volumes): Domain<VolumeService>,
    ApiJson(request): ApiJson<VolumeClassesDto>,
) -> ApiResult<Json<VolumeClassesDto>> {
    let saved = volumes
        .set_classes(&auth.principal, classes_of(request))
        .await?;
    Ok(Json(classes_dto(saved)))
}
