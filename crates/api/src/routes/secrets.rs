//! `/api/v1/secrets`: the secrets vault. `{name}` is the caller's name for a secret, or
//! its id (names are environment variable names, so never UUIDs); an admin or a
//! grantee reaches another user's secret by id. Lists never carry values; the value
//! leaves the server only in `GET /api/v1/secrets/{name}`, whose every call — allowed
//! or refused — is in the audit log as `access_secret` (name and version, never the
//! value).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use proxicloud_domain::vault::{CreateSecret, UpdateSecret, VaultService};
use proxicloud_store::Secret;
use proxicloud_types::api::common::{PageQuery, Paginated};
use proxicloud_types::api::secrets::{
    CreateSecretRequest, RollbackSecretRequest, SecretDto, SecretListParams, SecretValueDto,
    SecretVersionDto, UpdateSecretRequest,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::secrets::secret_dto;
use crate::dto::{IntoDto, page_request, paginated};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_secrets, create_secret))
        .routes(routes!(access_secret, update_secret, delete_secret))
        .routes(routes!(list_secret_versions))
        .routes(routes!(rollback_secret))
}

/// What the audit entry says about a secret: where it is and which, never its value.
fn note(trail: &AuditTrail, secret: &Secret) {
    trail.resource(format!("secrets/{}", secret.id));
    trail.detail("name", secret.name.clone());
    trail.detail("version", secret.version);
}

/// List secrets — yours, or everyone's for an admin — by name, a page at a time.
/// Names and metadata only, never values.
#[utoipa::path(get, path = "/api/v1/secrets", tag = "secrets", params(SecretListParams),
    responses((status = 200, body = Paginated<SecretDto>)))]
async fn list_secrets(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    ApiQuery(params): ApiQuery<SecretListParams>,
) -> ApiResult<Json<Paginated<SecretDto>>> {
    let page = page_request(&PageQuery {
        limit: params.limit,
        cursor: params.cursor,
    });
    let listed = vault.list(&auth.principal, params.q, page).await?;
    Ok(Json(paginated(listed, |s| secret_dto(s, &auth.principal))))
}

/// Create a secret (version 1). The value is sealed at once and never logged.
#[utoipa::path(post, path = "/api/v1/secrets", tag = "secrets", request_body = CreateSecretRequest,
    responses((status = 201, body = SecretDto), (status = 409, description = "You already have a secret of that name (`secret_name_taken`)", body = ErrorResponse)))]
async fn create_secret(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateSecretRequest>,
) -> ApiResult<(StatusCode, Json<SecretDto>)> {
    let create = CreateSecret {
        name: request.name,
        value: request.value,
        description: request.description,
        tags: request.tags,
    };
    let secret = vault.create(&auth.principal, create).await?;
    note(&trail, &secret);
    Ok((
        StatusCode::CREATED,
        Json(secret_dto(secret, &auth.principal)),
    ))
}

/// Read a secret's current value: its owner (unless readonly), an admin, or a user it
/// is granted to. Every call is recorded in the audit log as `access_secret`.
#[utoipa::path(get, path = "/api/v1/secrets/{name}", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id")),
    responses((status = 200, body = SecretValueDto),
        (status = 403, description = "Readonly callers read values only of secrets granted to them (`forbidden`)", body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn access_secret(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    trail: AuditTrail,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<([(header::HeaderName, HeaderValue); 1], Json<SecretValueDto>)> {
    let secret = vault.resolve(&auth.principal, &name).await?;
    note(&trail, &secret);
    let revealed = vault.reveal_resolved(&auth.principal, secret).await?;
    // No cache keeps the value.
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    let mut dto = revealed.into_dto();
    dto.secret.shared = dto.secret.owner_id != auth.principal.user_id;
    Ok((no_store, Json(dto)))
}

/// Change a secret's value (a new version; the oldest kept one may go), description
/// or tags.
#[utoipa::path(patch, path = "/api/v1/secrets/{name}", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id")),
    request_body = UpdateSecretRequest,
    responses((status = 200, body = SecretDto), (status = 404, body = ErrorResponse),
        (status = 409, description = "Changed by someone else meanwhile, again and again (`secret_busy`)", body = ErrorResponse)))]
async fn update_secret(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    trail: AuditTrail,
    ApiPath(name): ApiPath<String>,
    ApiJson(request): ApiJson<UpdateSecretRequest>,
) -> ApiResult<Json<SecretDto>> {
    trail.detail("value_changed", request.value.is_some());
    let update = UpdateSecret {
        value: request.value,
        description: request.description,
        tags: request.tags,
    };
    let secret = vault.update(&auth.principal, &name, update).await?;
    note(&trail, &secret);
    Ok(Json(secret_dto(secret, &auth.principal)))
}

/// Delete a secret and every kept version.
#[utoipa::path(delete, path = "/api/v1/secrets/{name}", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id")),
    responses((status = 204), (status = 404, body = ErrorResponse)))]
async fn delete_secret(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    trail: AuditTrail,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let deleted = vault.delete(&auth.principal, &name).await?;
    note(&trail, &deleted);
    Ok(StatusCode::NO_CONTENT)
}

/// The kept versions, newest first (numbers and dates; values stay sealed).
#[utoipa::path(get, path = "/api/v1/secrets/{name}/versions", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id")),
    responses((status = 200, body = Paginated<SecretVersionDto>), (status = 404, body = ErrorResponse)))]
async fn list_secret_versions(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<Paginated<SecretVersionDto>>> {
    let (_, versions) = vault.versions(&auth.principal, &name).await?;
    Ok(Json(Paginated::all(versions.into_dto())))
}

/// Make a kept version's value current again, as a new version.
#[utoipa::path(post, path = "/api/v1/secrets/{name}/rollback", tag = "secrets",
    params(("name" = String, Path, description = "Your secret's name, or a secret's id")),
    request_body = RollbackSecretRequest,
    responses((status = 200, body = SecretDto), (status = 404, body = ErrorResponse),
        (status = 409, description = "Changed by someone else meanwhile, again and again (`secret_busy`)", body = ErrorResponse)))]
async fn rollback_secret(
    auth: Auth,
    Domain(vault): Domain<VaultService>,
    trail: AuditTrail,
    ApiPath(name): ApiPath<String>,
    ApiJson(request): ApiJson<RollbackSecretRequest>,
) -> ApiResult<Json<SecretDto>> {
    trail.detail("rolled_back_to", request.version);
    let secret = vault
        .rollback(&auth.principal, &name, request.version)
        .await?;
    note(&trail, &secret);
    Ok(Json(secret_dto(secret, &auth.principal)))
}
