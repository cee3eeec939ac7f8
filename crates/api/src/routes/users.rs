//! `/api/v1/users`: user administration (admin only).

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::iam::IamService;
use proxicloud_domain::iam::{CreateUser, UpdateUser};
use proxicloud_types::api::common::{PageQuery, Paginated};
use proxicloud_types::api::users::{
    CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, UserDto, UserWithPasswordDto,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::users::role;
use crate::dto::{IntoDto, page_request, paginated};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, JsonOrEmpty};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(reset_user_password))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
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
    Ok(Json(paginated(users, IntoDto::into_dto)))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    responses((status = 201, body = UserWithPasswordDto), (status = 409, body = ErrorResponse)))]
async fn create_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserWithPasswordDto>)> {
    trail.detail("role", role(request.role).as_str());
    let create = CreateUser {
        username: request.username,
        password: request.password,
        role: role(request.role),
    };
    let created = iam.create_user(&auth.principal, create).await?;
    trail.resource(user_resource(created.user.id));
    trail.detail("name", created.user.username.clone());
    Ok((StatusCode::CREATED, Json(created.into_dto())))
}

/// Get a user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn get_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(iam.get_user(&auth.principal, id).await?.into_dto()))
}

/// Change a user's username or role.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses((status = 200, body = UserDto), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse)))]
async fn update_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserDto>> {
    if let Some(requested) = request.role {
        trail.detail("role", role(requested).as_str());
    }
    let update = UpdateUser {
        username: request.username,
        role: request.role.map(role),
    };
    let user = iam.update_user(&auth.principal, id, update).await?;
    trail.detail("name", user.username.clone());
    Ok(Json(user.into_dto()))
}

/// Delete a user, their sessions and API tokens. Their resources become unowned.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn delete_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    // Named as it goes: afterwards the id alone would say nothing.
    let deleted = iam.delete_user(&auth.principal, id).await?;
    trail.detail("name", deleted.username);
    Ok(StatusCode::NO_CONTENT)
}

/// Set a new password for a user and end their sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users", params(("id" = Uuid, Path)),
    request_body(content = Option<ResetPasswordRequest>, description = "Optional: without a password one is generated"),
    responses((status = 200, body = UserWithPasswordDto), (status = 404, body = ErrorResponse),
        (status = 409, description = "Your own password (`cannot_reset_own_password`): use `/api/v1/me/password`", body = ErrorResponse)))]
async fn reset_user_password(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
    JsonOrEmpty(request): JsonOrEmpty<ResetPasswordRequest>,
) -> ApiResult<Json<UserWithPasswordDto>> {
    let reset = iam
        .reset_password(&auth.principal, id, request.password)
        .await?;
    trail.detail("name", reset.user.username.clone());
    Ok(Json(reset.into_dto()))
}

/// Disable a user: they can no longer log in, and their sessions and API tokens end.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn disable_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<UserDto>> {
    let user = iam.set_user_disabled(&auth.principal, id, true).await?;
    trail.detail("name", user.username.clone());
    Ok(Json(user.into_dto()))
}

/// Enable a disabled user.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = ErrorResponse)))]
async fn enable_user(
    auth: Auth,
    Domain(iam): Domain<IamService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<UserDto>> {
    let user = iam.set_user_disabled(&auth.principal, id, false).await?;
    trail.detail("name", user.username.clone());
    Ok(Json(user.into_dto()))
}
