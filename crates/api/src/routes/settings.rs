//! `/api/v1/settings`: global settings. Every signed-in user reads them (the console
//! shows defaults in forms); only admins write them, and every write is audited.

use axum::Json;
use proxicloud_domain::settings::SettingsService;
use proxicloud_types::api::settings::SettingsDto;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::dto::settings::settings as settings_document;
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

/// Read the settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = SettingsDto)))]
async fn get_settings(
    _auth: Auth,
    Domain(settings): Domain<SettingsService>,
) -> ApiResult<Json<SettingsDto>> {
    Ok(Json(settings.get().await?.into_dto()))
}

/// Replace the settings (admin). Invalid fields are listed in the 422 response.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = SettingsDto,
    responses((status = 200, body = SettingsDto)))]
async fn update_settings(
    auth: Auth,
    Domain(settings): Domain<SettingsService>,
    ApiJson(request): ApiJson<SettingsDto>,
) -> ApiResult<Json<SettingsDto>> {
    Ok(Json(
        settings
            .update(&auth.principal, settings_document(request))
            .await?
            .into_dto(),
    ))
}
