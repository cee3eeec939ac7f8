//! `/api/v1/instances/{id}/secrets`: the secrets an instance receives as environment
//! variables (names only, never values). `PUT` replaces the list and answers `202`
//! with the job `instance.secrets.apply` that writes them into the container's `env`
//! through the Proxmox API; a changed secret is re-applied by the vault on its own.

use axum::Json;
use axum::response::Response;
use proxicloud_domain::vault::SecretInjection;
use proxicloud_types::api::jobs::JobDto;
use proxicloud_types::api::secrets::{InstanceSecretsDto, SetInstanceSecretsRequest};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::respond::accepted;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_instance_secrets, set_instance_secrets))
}

/// The secrets the instance receives as environment variables (names, never values),
/// and whether the last change is applied.
#[utoipa::path(get, path = "/api/v1/instances/{id}/secrets", tag = "instances", params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceSecretsDto), (status = 404, body = ErrorResponse)))]
async fn get_instance_secrets(
    auth: Auth,
    Domain(injection): Domain<SecretInjection>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<InstanceSecretsDto>> {
    let secrets = injection.get(&auth.principal, id).await?;
    Ok(Json(secrets.into_dto()))
}

/// Replace the secrets the instance receives (an empty list removes them), as a job
/// that writes them into the container's environment through Proxmox VE's `env`
/// option (PVE 9.1+). A running container receives them at its next start. VMs and
/// older Proxmox VE releases are refused with `409 secrets_injection_unsupported`:
/// that would need SSH into the guest, which ProxiCloud does not do.
#[utoipa::path(put, path = "/api/v1/instances/{id}/secrets", tag = "instances", params(("id" = Uuid, Path)),
    request_body = SetInstanceSecretsRequest,
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 403, description = "A secret you may not read (`forbidden`)", body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, description = "A VM, or Proxmox VE older than 9.1 (`secrets_injection_unsupported`); the instance is still being created (`instance_not_ready`)", body = ErrorResponse),
        (status = 422, description = "An unknown secret, or two secrets of one name", body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn set_instance_secrets(
    auth: Auth,
    trail: AuditTrail,
    Domain(injection): Domain<SecretInjection>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<SetInstanceSecretsRequest>,
) -> ApiResult<Response> {
    let (secrets, submitted) = injection.set(&auth.principal, id, &request.secrets).await?;
    let names: Vec<String> = secrets.secrets.iter().map(|s| s.name.clone()).collect();
    trail.detail("secrets", names);
    Ok(accepted(submitted, &trail))
}
