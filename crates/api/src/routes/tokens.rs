//! `/api/v1/tokens`: the caller's API tokens (an admin sees and revokes everyone's).

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::iam::CreateApiToken;
use proxicloud_domain::iam::IamService;
use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::tokens::{ApiTokenDto, CreateApiTokenRequest, CreatedApiTokenDto};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_tokens, create_api_token))
        .routes(routes!(revoke_api_token))
}

/// List API tokens: your own, or everyone's for an admin. Newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Paginated<ApiTokenDto>)))]
async fn list_api_tokens(
    auth: Auth,
    Domain(iam): Domain<IamService>,
) -> ApiResult<Json<Paginated<ApiTokenDto>>> {
    let tokens = iam.list_api_tokens(&auth.principal).await?;
    Ok(Json(Paginated::all(tokens.into_dto())))
}

/// Create an API token for yourself. It acts with your role. Each user may create
/// 100 at once, then one every 6 seconds; past that, 429 `busy` with Retry-After.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateApiTokenRequest,
    responses((status = 201, body = CreatedApiTokenDto),
        (status = 429, description = "Too many tokens created (`busy`); try again after Retry-After seconds",
            body = ErrorResponse,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))))]
async fn create_api_token(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateApiTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiTokenDto>)> {
    let create = CreateApiToken {
        name: request.name,
        expires_in_days: request.expires_in_days,
    };
    let created = iam.create_api_token(&auth.principal, create).await?;
    trail.resource(format!("tokens/{}", created.token.id));
    trail.detail("name", created.token.name.clone());
    Ok((StatusCode::CREATED, Json(created.into_dto())))
}

/// Revoke an API token (yours, or anyone's as admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorResponse)))]
async fn revoke_api_token(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    iam.revoke_api_token(&auth.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
