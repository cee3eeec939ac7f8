//! `/api/v1/secrets/{name}/grants`: who besides its owner (and admins) may read a
//! secret's value. A grantee reads it whatever their role, sees it in their list
//! (`shared: true`) and may give it to their instances. Only those who may change the
//! secret see and change its grants.

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::vault::VaultService;
use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::secrets::{GrantSecretRequest, SecretGrantDto};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_secret_grants, grant_secret))
        .routes(routes!(revoke_secret_grant))
}

/// The users a secret is granted to.
#[utoipa::path(get, path = "/api/v1/secrets/{name}/grants", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id")),
    responses((status = 200, body = Paginated<SecretGrantDto>), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn list_secret_grants(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<Paginated<SecretGrantDto>>> {
    let (_, grantees) = vault.grants(&auth.principal, &name).await?;
    Ok(Json(Paginated::all(grantees.into_dto())))
}

/// Let another user read the secret's value (idempotent).
#[utoipa::path(post, path = "/api/v1/secrets/{name}/grants", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id")),
    request_body = GrantSecretRequest,
    responses((status = 200, body = SecretGrantDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, description = "No such user, or the owner", body = ErrorResponse)))]
async fn grant_secret(
    auth: Auth,
    trail: AuditTrail,
    Domain(vault): Domain<VaultService>,
    ApiPath(name): ApiPath<String>,
    ApiJson(request): ApiJson<GrantSecretRequest>,
) -> ApiResult<Json<SecretGrantDto>> {
    let (secret, grantee) = vault.grant(&auth.principal, &name, &request.user).await?;
    trail.resource(format!("secrets/{}", secret.id));
    trail.detail("name", secret.name);
    trail.detail("grantee", grantee.username.clone());
    Ok(Json(grantee.into_dto()))
}

/// Take a grant back (idempotent). Instances that already receive the secret keep it.
#[utoipa::path(delete, path = "/api/v1/secrets/{name}/grants/{user}", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id"),
        ("user" = String, Path, description = "A username or user id")),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn revoke_secret_grant(
    auth: Auth,
    trail: AuditTrail,
    Domain(vault): Domain<VaultService>,
    ApiPath((name, user)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let (secret, grantee) = vault.revoke(&auth.principal, &name, &user).await?;
    trail.resource(format!("secrets/{}", secret.id));
    trail.detail("name", secret.name);
    trail.detail("grantee", grantee.username);
    Ok(StatusCode::NO_CONTENT)
}
