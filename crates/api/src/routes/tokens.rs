//! `/api/v1/tokens`: the caller's API tokens (an admin sees and revokes everyone's).

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::iam::IamService;
use proxicloud_domain::iam::{ApiTokenInfo, CreateApiToken, CreatedApiToken};
use proxicloud_store::Timestamp;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::state::{AppState, Domain};
use proxicloud_types::api::common::Paginated;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_tokens, create_api_token))
        .routes(routes!(revoke_api_token))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenDto {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<ApiTokenInfo> for ApiTokenDto {
    fn from(token: ApiTokenInfo) -> Self {
        Self {
            id: token.id,
            user_id: token.user_id,
            name: token.name,
            prefix: token.prefix,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
            last_used_at: token.last_used_at,
            created_at: token.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiTokenRequest {
    /// What the token is for (`ci`, `terraform`); 1 to 64 characters.
    pub name: String,
    /// Days until the token expires, 1 to 3650 (default 90).
    pub expires_in_days: Option<u32>,
}

/// A new token. `secret` is shown this once only: store it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiTokenDto {
    pub token: ApiTokenDto,
    /// `pc_…`; send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

impl From<CreatedApiToken> for CreatedApiTokenDto {
    fn from(created: CreatedApiToken) -> Self {
        Self {
            token: created.token.into(),
            secret: created.secret.expose_secret().to_owned(),
        }
    }
}

/// List API tokens: your own, or everyone's for an admin. Newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Paginated<ApiTokenDto>), (status = 401, body = ErrorResponse)))]
async fn list_api_tokens(
    auth: Auth,
    Domain(iam): Domain<IamService>,
) -> ApiResult<Json<Paginated<ApiTokenDto>>> {
    let tokens = iam.list_api_tokens(&auth.principal).await?;
    Ok(Json(Paginated::all(
        tokens.into_iter().map(ApiTokenDto::from).collect(),
    )))
}

/// Create an API token for yourself. It acts with your role.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateApiTokenRequest,
    responses((status = 201, body = CreatedApiTokenDto), (status = 422, body = ErrorResponse)))]
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
    Ok((StatusCode::CREATED, Json(created.into())))
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
