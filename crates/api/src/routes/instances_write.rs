//! Instance writes — create, power actions, terminate, owner assignment. Each is validated at once
//! (`422` with every field problem, before anything touches Proxmox) and answered
//! `202 Accepted` with the job that carries it out; follow it at `Location`
//! (`/api/v1/jobs/{id}`) or on `GET /api/v1/events`.
//!
//! `Idempotency-Key` on a POST: a repeated key (same user) returns the first job
//! instead of starting another.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use proxicloud_domain::iam::Principal;
use proxicloud_domain::instances::{CreateInstance, InstanceService, Power, Queued};
use proxicloud_domain::inventory::InstanceDirectory;
use proxicloud_domain::vault::SecretInjection;
use proxicloud_domain::{DomainError, DomainResult};
use proxicloud_types::api::instances::{
    AssignOwnerRequest, ConfirmTermination, CreateInstanceRequest, InstanceDto, LaunchedInstanceDto,
};
use proxicloud_types::api::jobs::JobDto;
use secrecy::ExposeSecret;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::instances::{create_request, instance_dto};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, IdempotencyKey, JsonOrEmpty};
use crate::respond::{accepted, accepted_as, with_cache_status};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_instance))
        .routes(routes!(validate_instance))
        .routes(routes!(terminate_instance))
        .routes(routes!(assign_instance_owner))
        .routes(routes!(start_instance))
        .routes(routes!(stop_instance))
        .routes(routes!(shutdown_instance))
        .routes(routes!(reboot_instance))
}

/// Create an instance.
///
/// A container needs a way in: an SSH key (`ssh_public_keys`, `key_pair_ids`) or
/// `generate_root_password`, whose password this answer carries once
/// (`root_password`; a retry with the same `Idempotency-Key` gets the job alone).
#[utoipa::path(post, path = "/api/v1/instances", tag = "instances", request_body = CreateInstanceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat to get the first job back")),
    responses((status = 202, body = LaunchedInstanceDto, headers(("Location" = String, description = "The job"))),
        (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse, description = "Invalid fields (`validation_failed`, with `fields`); \
            a container with neither an SSH key nor `generate_root_password` is refused on `ssh_public_keys`")))]
async fn create_instance(
    auth: Auth,
    trail: AuditTrail,
    Domain(instance_actions): Domain<InstanceService>,
    Domain(injection): Domain<SecretInjection>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(request): ApiJson<CreateInstanceRequest>,
) -> ApiResult<Response> {
    let request = launch_request(&injection, &auth.principal, request).await?;
    let launched = instance_actions
        .launch(&auth.principal, &request, key.as_deref())
        .await?;
    if let Some(instance) = launched.instance {
        trail.resource(format!("instances/{}", instance.id));
        trail.detail("name", instance.name);
    }
    // The password itself goes to the caller only: never the trail, logs or job.
    let root_password = launched.root_password;
    if root_password.is_some() {
        trail.detail("root_password", "generated");
    }
    let mut response = accepted_as(launched.submitted, &trail, |job| LaunchedInstanceDto {
        job,
        root_password: root_password.map(|password| password.expose_secret().to_owned()),
    });
    // Shown once: no cache keeps it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Check a create request without creating anything: the same authorisation and
/// validation as `POST /api/v1/instances` (Proxmox is read, never changed), `204` when
/// it would be accepted, `422` with every field problem otherwise. No job is queued.
#[utoipa::path(post, path = "/api/v1/instances/validate", tag = "instances", request_body = CreateInstanceRequest,
    responses((status = 204, description = "The request would be accepted"),
        (status = 409, body = ErrorResponse)))]
async fn validate_instance(
    auth: Auth,
    trail: AuditTrail,
    Domain(instance_actions): Domain<InstanceService>,
    Domain(injection): Domain<SecretInjection>,
    ApiJson(request): ApiJson<CreateInstanceRequest>,
) -> ApiResult<StatusCode> {
    let checked = match launch_request(&injection, &auth.principal, request).await {
        Ok(request) => instance_actions.validate(&auth.principal, &request).await,
        Err(error) => Err(error),
    };
    // A dry run changes nothing: no audit entry per keystroke. A caller refused the
    // right to create is still recorded, like every denied attempt.
    if !matches!(checked, Err(DomainError::Forbidden(_))) {
        trail.not_an_action();
    }
    checked?;
    Ok(StatusCode::NO_CONTENT)
}

/// The domain's create request, with the secrets named resolved to ones the caller
/// may read (`422` on `secrets` otherwise).
async fn launch_request(
    injection: &SecretInjection,
    caller: &Principal,
    request: CreateInstanceRequest,
) -> DomainResult<CreateInstance> {
    let names = request.secrets.clone();
    let mut create = create_request(request);
    if !names.is_empty() {
        let secrets = injection.resolve(caller, &names).await?;
        create.secret_ids = secrets.into_iter().map(|s| s.id).collect();
    }
    Ok(create)
}

/// Terminate an instance: stop it, destroy it with its disks, forget it.
#[utoipa::path(delete, path = "/api/v1/instances/{id}", tag = "instances",
    params(("id" = Uuid, Path), ConfirmTermination), request_body(content = Option<ConfirmTermination>),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
// One extractor per input: the confirmation may come in the query or the body.
async fn terminate_instance(
    auth: Auth,
    trail: AuditTrail,
    Domain(instance_actions): Domain<InstanceService>,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ConfirmTermination>,
    JsonOrEmpty(body): JsonOrEmpty<ConfirmTermination>,
) -> ApiResult<Response> {
    let confirm = body.confirm.or(query.confirm);
    let queued = instance_actions
        .terminate(&auth.principal, id, confirm.as_deref(), key.as_deref())
        .await?;
    Ok(accepted_on(queued, &trail))
}

/// `202` with the job; the audit entry names the instance (its id is in the path) by
/// the name the domain loaded it with — after a terminate, what a reader recognises.
fn accepted_on(queued: Queued, trail: &AuditTrail) -> Response {
    trail.detail("name", queued.instance.name);
    accepted(queued.submitted, trail)
}

async fn power(
    auth: Auth,
    trail: AuditTrail,
    Domain(instance_actions): Domain<InstanceService>,
    key: Option<String>,
    id: Uuid,
    action: Power,
) -> ApiResult<Response> {
    let queued = instance_actions
        .power(&auth.principal, id, action, key.as_deref())
        .await?;
    Ok(accepted_on(queued, &trail))
}

/// Start an instance (nothing to do if it runs).
#[utoipa::path(post, path = "/api/v1/instances/{id}/start", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn start_instance(
    auth: Auth,
    trail: AuditTrail,
    instance_actions: Domain<InstanceService>,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, instance_actions, key, id, Power::Start).await
}

/// Stop an instance at once, like pulling the plug (nothing to do if it is stopped).
#[utoipa::path(post, path = "/api/v1/instances/{id}/stop", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn stop_instance(
    auth: Auth,
    trail: AuditTrail,
    instance_actions: Domain<InstanceService>,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, instance_actions, key, id, Power::Stop).await
}

/// Shut an instance down cleanly (ACPI / init).
#[utoipa::path(post, path = "/api/v1/instances/{id}/shutdown", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn shutdown_instance(
    auth: Auth,
    trail: AuditTrail,
    instance_actions: Domain<InstanceService>,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, instance_actions, key, id, Power::Shutdown).await
}

/// Reboot a running instance.
#[utoipa::path(post, path = "/api/v1/instances/{id}/reboot", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn reboot_instance(
    auth: Auth,
    trail: AuditTrail,
    instance_actions: Domain<InstanceService>,
    IdempotencyKey(key): IdempotencyKey,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, instance_actions, key, id, Power::Reboot).await
}

/// Give an instance (typically an unmanaged one) to a user (admin).
#[utoipa::path(put, path = "/api/v1/instances/{id}/owner", tag = "instances", params(("id" = Uuid, Path)),
    request_body = AssignOwnerRequest,
    responses((status = 200, body = InstanceDto), (status = 404, body = ErrorResponse)))]
async fn assign_instance_owner(
    auth: Auth,
    trail: AuditTrail,
    Domain(instances): Domain<InstanceDirectory>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<AssignOwnerRequest>,
) -> ApiResult<Response> {
    let view = instances
        .assign_owner(&auth.principal, id, request.owner_id)
        .await?;
    trail.detail("name", view.guest.guest().observed.name.clone());
    let dto = instance_dto(view.guest.guest(), view.freshness);
    Ok(with_cache_status(view.freshness, Json(dto)))
}
