//! `/api/v1/clusters`: the Proxmox VE clusters ProxiCloud manages (admin only).
//! Secrets go in and never come out: responses say `secret_set`.

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::clusters::ClusterService;
use proxicloud_domain::clusters::{AuthInput, ClusterInfo, ClusterInput, ConnectionTest};
use proxicloud_store::{ClusterCredentials, Timestamp};
use secrecy::SecretString;
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
        .routes(routes!(list_clusters, create_cluster))
        .routes(routes!(get_cluster, update_cluster, delete_cluster))
        .routes(routes!(test_cluster))
}

/// Who ProxiCloud authenticates as. The secret is never returned.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClusterAuthDto {
    /// An API token (recommended).
    Token { token_id: String },
    /// A user and password (ticket login).
    Password { username: String },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterDto {
    pub id: Uuid,
    pub name: String,
    /// `https://host:port`, tried in order.
    pub addresses: Vec<String>,
    pub auth: ClusterAuthDto,
    /// A secret is stored (it is never shown).
    pub secret_set: bool,
    /// SHA-256 of the pinned certificate, `AA:BB:…`.
    pub tls_fingerprint: Option<String>,
    pub ca_pem: Option<String>,
    pub verify_tls: bool,
    /// `unknown` (not polled yet), `online` or `offline`.
    pub status: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub offline_since: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<Timestamp>,
    /// Why the last poll failed.
    pub last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<ClusterInfo> for ClusterDto {
    fn from(cluster: ClusterInfo) -> Self {
        let auth = match cluster.auth {
            ClusterCredentials::ApiToken { token_id } => ClusterAuthDto::Token { token_id },
            ClusterCredentials::Password { username } => ClusterAuthDto::Password { username },
        };
        Self {
            id: cluster.id,
            name: cluster.name,
            addresses: cluster.addresses,
            auth,
            secret_set: cluster.secret_set,
            tls_fingerprint: cluster.tls_fingerprint,
            ca_pem: cluster.ca_pem,
            verify_tls: cluster.verify_tls,
            status: cluster.health.status.to_string(),
            offline_since: cluster.health.offline_since,
            last_seen_at: cluster.health.last_seen_at,
            last_error: cluster.health.last_error,
            created_at: cluster.created_at,
            updated_at: cluster.updated_at,
        }
    }
}

/// How to authenticate. On update, leave the secret out to keep the stored one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClusterAuthRequest {
    Token {
        /// `USER@REALM!TOKENID`, e.g. `root@pam!proxicloud`.
        token_id: String,
        /// The token's secret (a UUID).
        #[schema(value_type = Option<String>, format = Password)]
        secret: Option<SecretString>,
    },
    Password {
        /// `USER@REALM`, e.g. `root@pam`.
        username: String,
        #[schema(value_type = Option<String>, format = Password)]
        password: Option<SecretString>,
    },
}

/// A cluster to create, or the full new configuration of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterRequest {
    pub name: String,
    /// Node API addresses: `https://host:8006` (`host` and `host:port` are completed).
    pub addresses: Vec<String>,
    pub auth: ClusterAuthRequest,
    /// SHA-256 certificate fingerprint to pin (as shown under the node's Certificates).
    #[serde(default)]
    pub tls_fingerprint: Option<String>,
    /// PEM certificate(s) to trust.
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// `false` accepts any certificate: for labs only.
    #[serde(default = "verify_by_default")]
    pub verify_tls: bool,
}

fn verify_by_default() -> bool {
    true
}

impl From<ClusterRequest> for ClusterInput {
    fn from(request: ClusterRequest) -> Self {
        let auth = match request.auth {
            ClusterAuthRequest::Token { token_id, secret } => {
                AuthInput::ApiToken { token_id, secret }
            }
            ClusterAuthRequest::Password { username, password } => {
                AuthInput::Password { username, password }
            }
        };
        Self {
            name: request.name,
            addresses: request.addresses,
            auth,
            tls_fingerprint: request.tls_fingerprint,
            ca_pem: request.ca_pem,
            verify_tls: request.verify_tls,
        }
    }
}

/// Why a connection test failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionErrorDto {
    /// `unauthorized` (bad token or password), `forbidden` (missing privilege), `tls`
    /// (wrong fingerprint or untrusted certificate), `unreachable`, `timeout`,
    /// `configuration` (stored settings unusable), `error` (anything else).
    pub category: String,
    pub message: String,
}

/// The outcome of a connection test: `ok` with what the cluster reported, or the error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionTestDto {
    pub ok: bool,
    /// e.g. `9.1.1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ConnectionErrorDto>,
}

impl From<ConnectionTest> for ConnectionTestDto {
    fn from(test: ConnectionTest) -> Self {
        match test {
            ConnectionTest::Ok {
                version,
                nodes,
                latency_ms,
            } => Self {
                ok: true,
                version: Some(version),
                nodes: Some(nodes),
                latency_ms: Some(latency_ms),
                error: None,
            },
            ConnectionTest::Failed(failure) => Self {
                ok: false,
                version: None,
                nodes: None,
                latency_ms: None,
                error: Some(ConnectionErrorDto {
                    category: failure.kind.as_str().to_owned(),
                    message: failure.message,
                }),
            },
        }
    }
}

fn cluster_resource(id: Uuid) -> String {
    format!("clusters/{id}")
}

/// List clusters with their health.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "clusters",
    responses((status = 200, body = Paginated<ClusterDto>), (status = 403, body = ErrorResponse)))]
async fn list_clusters(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
) -> ApiResult<Json<Paginated<ClusterDto>>> {
    let clusters = clusters.list(&auth.principal).await?;
    Ok(Json(Paginated::all(
        clusters.into_iter().map(ClusterDto::from).collect(),
    )))
}

/// Register a cluster. Its inventory is mirrored from the next poll on.
#[utoipa::path(post, path = "/api/v1/clusters", tag = "clusters", request_body = ClusterRequest,
    responses((status = 201, body = ClusterDto), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<ClusterRequest>,
) -> ApiResult<(StatusCode, Json<ClusterDto>)> {
    let created = clusters.create(&auth.principal, request.into()).await?;
    trail.resource(cluster_resource(created.id));
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Get a cluster.
#[utoipa::path(get, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = Uuid, Path)),
    responses((status = 200, body = ClusterDto), (status = 404, body = ErrorResponse)))]
async fn get_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ClusterDto>> {
    Ok(Json(clusters.get(&auth.principal, id).await?.into()))
}

/// Replace a cluster's configuration (leave the secret out to keep it).
#[utoipa::path(put, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = Uuid, Path)),
    request_body = ClusterRequest,
    responses((status = 200, body = ClusterDto), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn update_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ClusterRequest>,
) -> ApiResult<Json<ClusterDto>> {
    Ok(Json(
        clusters
            .update(&auth.principal, id, request.into())
            .await?
            .into(),
    ))
}

/// Forget a cluster and its mirrored inventory. Proxmox itself is not touched.
#[utoipa::path(delete, path = "/api/v1/clusters/{id}", tag = "clusters", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorResponse)))]
async fn delete_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    clusters.delete(&auth.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test the stored connection settings against the cluster now.
#[utoipa::path(post, path = "/api/v1/clusters/{id}/test", tag = "clusters", params(("id" = Uuid, Path)),
    responses((status = 200, body = ConnectionTestDto), (status = 404, body = ErrorResponse)))]
async fn test_cluster(
    auth: Auth,
    Domain(clusters): Domain<ClusterService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ConnectionTestDto>> {
    let outcome = ConnectionTestDto::from(clusters.test(&auth.principal, id).await?);
    trail.detail(
        "connection",
        outcome
            .error
            .as_ref()
            .map_or("ok", |e| e.category.as_str())
            .to_owned(),
    );
    Ok(Json(outcome))
}
