//! Instance writes — create, power actions, terminate. Each is validated at once
//! (`422` with every field problem, before anything touches Proxmox) and answered
//! `202 Accepted` with the job that carries it out; follow it at `Location`
//! (`/api/v1/jobs/{id}`) or on `GET /api/v1/events`.
//!
//! `Idempotency-Key` on a POST: a repeated key (same user) returns the first job
//! instead of starting another.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proxicloud_domain::instances::{CreateInstance, NetworkRequest, Power};
use proxicloud_domain::jobs::Submitted;
use proxicloud_domain::{DomainError, FieldErrors};
use proxicloud_types::api::jobs::JobDto;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::instances_read::InstanceType;
use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::IntoDto;
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, JsonOrEmpty};
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_instance))
        .routes(routes!(validate_instance))
        .routes(routes!(terminate_instance))
        .routes(routes!(start_instance))
        .routes(routes!(stop_instance))
        .routes(routes!(shutdown_instance))
        .routes(routes!(reboot_instance))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkDto {
    /// Linux bridge on the node (default `vmbr0`).
    pub bridge: Option<String>,
    /// 802.1Q VLAN tag, 1 to 4094.
    pub vlan: Option<u16>,
}

/// A new container (`type: lxc`, from an OS template) or VM (`type: vm`, from an
/// installer ISO or a clone of a VM template). Left-out values are filled in:
/// resources from the settings' defaults, a generated `adjective-animal-NN` name, the
/// first cluster, the node with most free memory, the fitting storage with most room.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstanceRequest {
    #[serde(rename = "type")]
    pub kind: Option<InstanceType>,
    /// A DNS label (letters, digits, `-`; at most 63).
    pub name: Option<String>,
    /// Cluster id or name.
    pub cluster: Option<String>,
    pub node: Option<String>,
    /// Containers: the OS template volume, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    pub template: Option<String>,
    /// VMs: the installer ISO volume, e.g. `local:iso/debian-12.iso`.
    pub iso: Option<String>,
    /// VMs: the vmid of a VM template to clone.
    pub clone_from: Option<u32>,
    pub cores: Option<u32>,
    /// MiB.
    pub memory: Option<u64>,
    /// GiB.
    pub disk: Option<u64>,
    /// Storage for the root disk.
    pub storage: Option<String>,
    #[serde(default)]
    pub network: NetworkDto,
    /// OpenSSH public keys (`ssh-ed25519 AAAA… comment`) for root (containers) or the
    /// cloud-init user (VM templates).
    #[serde(default)]
    pub ssh_public_keys: Vec<String>,
    /// Start once created (default `true`).
    pub start: Option<bool>,
}

impl From<CreateInstanceRequest> for CreateInstance {
    fn from(request: CreateInstanceRequest) -> Self {
        Self {
            kind: request.kind.map(|kind| match kind {
                InstanceType::Lxc => "lxc".to_owned(),
                InstanceType::Vm => "vm".to_owned(),
            }),
            name: request.name,
            cluster: request.cluster,
            node: request.node,
            template: request.template,
            iso: request.iso,
            clone_from: request.clone_from,
            cores: request.cores,
            memory: request.memory,
            disk: request.disk,
            storage: request.storage,
            network: NetworkRequest {
                bridge: request.network.bridge,
                vlan: request.network.vlan,
            },
            ssh_public_keys: request.ssh_public_keys,
            start: request.start,
        }
    }
}

/// The instance's name, repeated to confirm termination (in the body or the query).
#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConfirmTermination {
    pub confirm: Option<String>,
}

/// The `Idempotency-Key` header, if sent.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    value.to_str().map(|key| Some(key.to_owned())).map_err(|_| {
        ApiError::validation(FieldErrors::from([(
            "Idempotency-Key".to_owned(),
            "must be printable ASCII".to_owned(),
        )]))
    })
}

/// `202 Accepted`, the job, and where to follow it.
fn accepted(submitted: Submitted, trail: &AuditTrail) -> Response {
    let job = submitted.job.into_dto();
    trail.detail("job_id", job.id.to_string());
    if !submitted.created {
        trail.detail("idempotent_replay", true);
    }
    let location = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id))
        .expect("a path of ASCII characters");
    let mut response = (StatusCode::ACCEPTED, Json(job)).into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response
}

/// Create an instance.
#[utoipa::path(post, path = "/api/v1/instances", tag = "instances", request_body = CreateInstanceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat to get the first job back")),
    responses((status = 202, body = JobDto, headers(("Location" = String, description = "The job"))),
        (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_instance(
    auth: Auth,
    trail: AuditTrail,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CreateInstanceRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = CreateInstance::from(request);
    let submitted = state
        .instance_actions
        .create(&auth.principal, &request, key.as_deref())
        .await?;
    Ok(accepted(submitted, &trail))
}

/// Check a create request without creating anything: the same authorisation and
/// validation as `POST /api/v1/instances` (Proxmox is read, never changed), `204` when
/// it would be accepted, `422` with every field problem otherwise. No job is queued.
#[utoipa::path(post, path = "/api/v1/instances/validate", tag = "instances", request_body = CreateInstanceRequest,
    responses((status = 204, description = "The request would be accepted"),
        (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn validate_instance(
    auth: Auth,
    trail: AuditTrail,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateInstanceRequest>,
) -> ApiResult<StatusCode> {
    let checked = state
        .instance_actions
        .validate(&auth.principal, &CreateInstance::from(request))
        .await;
    // A dry run changes nothing: no audit entry per keystroke. A caller refused the
    // right to create is still recorded, like every denied attempt.
    if !matches!(checked, Err(DomainError::Forbidden(_))) {
        trail.not_an_action();
    }
    checked?;
    Ok(StatusCode::NO_CONTENT)
}

/// Terminate an instance: stop it, destroy it with its disks, forget it.
#[utoipa::path(delete, path = "/api/v1/instances/{id}", tag = "instances",
    params(("id" = Uuid, Path), ConfirmTermination), request_body(content = Option<ConfirmTermination>),
    responses((status = 202, body = JobDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn terminate_instance(
    auth: Auth,
    trail: AuditTrail,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ConfirmTermination>,
    JsonOrEmpty(body): JsonOrEmpty<ConfirmTermination>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let confirm = body.confirm.or(query.confirm);
    let submitted = state
        .instance_actions
        .terminate(&auth.principal, id, confirm.as_deref(), key.as_deref())
        .await?;
    Ok(accepted(submitted, &trail))
}

async fn power(
    auth: Auth,
    trail: AuditTrail,
    state: AppState,
    headers: HeaderMap,
    id: Uuid,
    action: Power,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let submitted = state
        .instance_actions
        .power(&auth.principal, id, action, key.as_deref())
        .await?;
    Ok(accepted(submitted, &trail))
}

/// Start an instance (nothing to do if it runs).
#[utoipa::path(post, path = "/api/v1/instances/{id}/start", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn start_instance(
    auth: Auth,
    trail: AuditTrail,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, state, headers, id, Power::Start).await
}

/// Stop an instance at once, like pulling the plug (nothing to do if it is stopped).
#[utoipa::path(post, path = "/api/v1/instances/{id}/stop", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn stop_instance(
    auth: Auth,
    trail: AuditTrail,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, state, headers, id, Power::Stop).await
}

/// Shut an instance down cleanly (ACPI / init).
#[utoipa::path(post, path = "/api/v1/instances/{id}/shutdown", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn shutdown_instance(
    auth: Auth,
    trail: AuditTrail,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, state, headers, id, Power::Shutdown).await
}

/// Reboot a running instance.
#[utoipa::path(post, path = "/api/v1/instances/{id}/reboot", tag = "instances",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = JobDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn reboot_instance(
    auth: Auth,
    trail: AuditTrail,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    power(auth, trail, state, headers, id, Power::Reboot).await
}
