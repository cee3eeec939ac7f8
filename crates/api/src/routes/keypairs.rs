//! `/api/v1/keypairs`: SSH key pairs (generate, import, list, get, delete) and
//! `/api/v1/instances/{id}/keypairs`, the ones an instance was launched with.
//! The private key of a generated pair is in the one response that creates it, and
//! nowhere else: not in the audit trail (name and fingerprint only), not in logs.

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::keypairs::{GenerateKeyPair, ImportKeyPair, KeyPairService};
use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::keypairs::{
    GenerateKeyPairRequest, GeneratedKeyPairDto, ImportKeyPairRequest, InstanceKeyPairDto,
    KeyPairDto,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::{self, IntoDto};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_key_pairs, generate_key_pair))
        .routes(routes!(import_key_pair))
        .routes(routes!(get_key_pair, delete_key_pair))
        .routes(routes!(list_instance_key_pairs))
}

/// List key pairs: your own, or everyone's for an admin. By name.
#[utoipa::path(get, path = "/api/v1/keypairs", tag = "keypairs",
    responses((status = 200, body = Paginated<KeyPairDto>), (status = 401, body = ErrorResponse)))]
async fn list_key_pairs(
    auth: Auth,
    Domain(key_pairs): Domain<KeyPairService>,
) -> ApiResult<Json<Paginated<KeyPairDto>>> {
    let pairs = key_pairs.list(&auth.principal).await?;
    Ok(Json(Paginated::all(pairs.into_dto())))
}

/// Generate a key pair (ed25519, or RSA 4096). The response carries the private key
/// in OpenSSH format: it is shown this once and not kept. The server generates one
/// RSA key at a time; meanwhile another RSA request is 429 `busy` with Retry-After.
#[utoipa::path(post, path = "/api/v1/keypairs", tag = "keypairs", request_body = GenerateKeyPairRequest,
    responses((status = 201, body = GeneratedKeyPairDto), (status = 403, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse),
        (status = 429, description = "Another RSA key is being generated (`busy`); try again after Retry-After seconds",
            body = ErrorResponse,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))))]
async fn generate_key_pair(
    auth: Auth,
    Domain(key_pairs): Domain<KeyPairService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<GenerateKeyPairRequest>,
) -> ApiResult<(StatusCode, Json<GeneratedKeyPairDto>)> {
    let generate = GenerateKeyPair {
        name: request.name,
        algorithm: dto::keypairs::algorithm(request.key_type.unwrap_or_default()),
    };
    let generated = key_pairs.generate(&auth.principal, generate).await?;
    trail.resource(format!("keypairs/{}", generated.key_pair.id));
    trail.detail("name", generated.key_pair.name.clone());
    trail.detail("fingerprint", generated.key_pair.fingerprint.clone());
    Ok((StatusCode::CREATED, Json(generated.into_dto())))
}

/// Import the public key of a pair made elsewhere (`ssh-keygen`).
#[utoipa::path(post, path = "/api/v1/keypairs/import", tag = "keypairs", request_body = ImportKeyPairRequest,
    responses((status = 201, body = KeyPairDto), (status = 403, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn import_key_pair(
    auth: Auth,
    Domain(key_pairs): Domain<KeyPairService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<ImportKeyPairRequest>,
) -> ApiResult<(StatusCode, Json<KeyPairDto>)> {
    let import = ImportKeyPair {
        name: request.name,
        public_key: request.public_key,
    };
    let pair = key_pairs.import(&auth.principal, import).await?;
    trail.resource(format!("keypairs/{}", pair.id));
    trail.detail("name", pair.name.clone());
    trail.detail("fingerprint", pair.fingerprint.clone());
    Ok((StatusCode::CREATED, Json(pair.into_dto())))
}

/// One key pair (yours, or anyone's for an admin).
#[utoipa::path(get, path = "/api/v1/keypairs/{id}", tag = "keypairs", params(("id" = Uuid, Path)),
    responses((status = 200, body = KeyPairDto), (status = 404, body = ErrorResponse)))]
async fn get_key_pair(
    auth: Auth,
    Domain(key_pairs): Domain<KeyPairService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<KeyPairDto>> {
    Ok(Json(key_pairs.get(&auth.principal, id).await?.into_dto()))
}

/// Delete a key pair. Instances launched with it keep the key (and list it).
#[utoipa::path(delete, path = "/api/v1/keypairs/{id}", tag = "keypairs", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
async fn delete_key_pair(
    auth: Auth,
    Domain(key_pairs): Domain<KeyPairService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("keypairs/{id}"));
    let deleted = key_pairs.delete(&auth.principal, id).await?;
    trail.detail("name", deleted.name);
    Ok(StatusCode::NO_CONTENT)
}

/// The key pairs an instance was launched with.
#[utoipa::path(get, path = "/api/v1/instances/{id}/keypairs", tag = "instances",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Paginated<InstanceKeyPairDto>), (status = 404, body = ErrorResponse)))]
async fn list_instance_key_pairs(
    auth: Auth,
    Domain(key_pairs): Domain<KeyPairService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Paginated<InstanceKeyPairDto>>> {
    let pairs = key_pairs.for_instance(&auth.principal, id).await?;
    Ok(Json(Paginated::all(pairs.into_dto())))
}
