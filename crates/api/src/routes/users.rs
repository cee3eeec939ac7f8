//! `/api/v1/users`: user administration (admin only).

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::iam::IamService;
use proxicloud_domain::iam::{CreateUser, UpdateUser, UserInfo, UserWithPassword};
use proxicloud_store::{Role, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::{page_request, paginated};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, JsonOrEmpty};
use crate::state::{AppState, Domain};
use proxicloud_types::api::common::{PageQuery, Paginated};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(reset_user_password))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    /// Sees and manages everything, including users and unmanaged guests.
    Admin,
    /// Creates resources and manages its own.
    Operator,
    /// Sees its own resources, changes nothing.
    Readonly,
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => RoleDto::Admin,
            Role::Operator => RoleDto::Operator,
            Role::Readonly => RoleDto::Readonly,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::Admin => Role::Admin,
            RoleDto::Operator => Role::Operator,
            RoleDto::Readonly => Role::Readonly,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub role: RoleDto,
    pub disabled: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<UserInfo> for UserDto {
    fn from(user: UserInfo) -> Self {
        Self {
            id: user.id,
            username: user.username,
            role: user.role.into(),
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub role: RoleDto,
    /// At least 10 characters. Leave out to have one generated (returned once).
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub username: Option<String>,
    pub role: Option<RoleDto>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// Leave out (or send no body) to have one generated (returned once).
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
}

/// A user together with a password the server generated; shown this once only.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserWithPasswordDto {
    pub user: UserDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

impl From<UserWithPassword> for UserWithPasswordDto {
    fn from(created: UserWithPassword) -> Self {
        Self {
            user: created.user.into(),
            generated_password: created
                .generated_password
                .map(|p| p.expose_secret().to_owned()),
        }
    }
}

fn user_resource(id: Uuid) -> String {
    format!("users/{id}")
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Paginated<UserDto>), (status = 403, body = ErrorResponse)))]
async fn list_users(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paginated<UserDto>>> {
    let users = iam.list_users(&auth.principal, page_request(&page)).await?;
    Ok(Json(paginated(users, UserDto::from)))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = UserWithPasswordDto), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserWithPasswordDto>)> {
    trail.detail("role", Role::from(request.role).as_str());
    let create = CreateUser {
        username: request.username,
        password: request.password,
        role: request.role.into(),
    };
    let created = iam.create_user(&auth.principal, create).await?;
    trail.resource(user_resource(created.user.id));
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Get a user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorResponse)))]
async fn get_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(iam.get_user(&auth.principal, id).await?.into()))
}

/// Change a user's username or role.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserDto), (status = 409, body = ErrorResponse)))]
async fn update_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserDto>> {
    if let Some(role) = request.role {
        trail.detail("role", Role::from(role).as_str());
    }
    let update = UpdateUser {
        username: request.username,
        role: request.role.map(Role::from),
    };
    Ok(Json(
        iam.update_user(&auth.principal, id, update).await?.into(),
    ))
}

/// Delete a user, their sessions and API tokens. Their resources become unowned.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = ErrorResponse)))]
async fn delete_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    iam.delete_user(&auth.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a new password for a user and end their sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users", params(("id" = Uuid, Path)),
    request_body(content = ResetPasswordRequest, description = "Optional"),
    responses((status = 200, body = UserWithPasswordDto), (status = 422, body = ErrorResponse)))]
async fn reset_user_password(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiPath(id): ApiPath<Uuid>,
    JsonOrEmpty(request): JsonOrEmpty<ResetPasswordRequest>,
) -> ApiResult<Json<UserWithPasswordDto>> {
    Ok(Json(
        iam.reset_password(&auth.principal, id, request.password)
            .await?
            .into(),
    ))
}

/// Disable a user: they can no longer log in, and their sessions and API tokens end.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDto), (status = 409, body = ErrorResponse)))]
async fn disable_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(
        iam.set_user_disabled(&auth.principal, id, true)
            .await?
            .into(),
    ))
}

/// Enable a disabled user.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDto)))]
async fn enable_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(
        iam.set_user_disabled(&auth.principal, id, false)
            .await?
            .into(),
    ))
}
