//! `/api/v1/clusters`: the Proxmox VE clusters ProxiCloud manages (admin only).
//! Secrets go in and never come out: responses say `secret_set`.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// Who ProxiCloud authenticates as. The secret is never returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClusterAuthDto {
    /// An API token (recommended).
    Token { token_id: String },
    /// A user and password (ticket login).
    Password { username: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub offline_since: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_seen_at: Option<Timestamp>,
    /// Why the last poll failed.
    pub last_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// How to authenticate. On update, leave the secret out to keep the stored one.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClusterAuthRequest {
    Token {
        /// `USER@REALM!TOKENID`, e.g. `root@pam!proxicloud`.
        token_id: String,
        /// The token's secret (a UUID).
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password))]
        #[serde(serialize_with = "super::secret::serialize_option")]
        secret: Option<SecretString>,
    },
    Password {
        /// `USER@REALM`, e.g. `root@pam`.
        username: String,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password))]
        #[serde(serialize_with = "super::secret::serialize_option")]
        password: Option<SecretString>,
    },
}

/// A cluster to create, or the full new configuration of one.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Why a connection test failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionErrorDto {
    /// `unauthorized` (bad token or password), `forbidden` (missing privilege), `tls`
    /// (wrong fingerprint or untrusted certificate), `unreachable`, `timeout`,
    /// `configuration` (stored settings unusable), `error` (anything else).
    pub category: String,
    pub message: String,
}

/// The outcome of a connection test: `ok` with what the cluster reported, or the error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
