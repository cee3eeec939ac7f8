//! Proxmox VE clusters we manage, with their connection settings and health.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Result, Timestamp};

/// Who we authenticate as; the matching secret is in `secret_ciphertext`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterCredentials {
    /// `user@realm!tokenname`; the secret is the token's UUID.
    ApiToken { token_id: String },
    /// `user@realm`; the secret is the password (ticket authentication).
    Password { username: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterStatus {
    /// Never polled yet.
    Unknown,
    Online,
    Offline,
}

impl ClusterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterStatus::Unknown => "unknown",
            ClusterStatus::Online => "online",
            ClusterStatus::Offline => "offline",
        }
    }
}

impl fmt::Display for ClusterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClusterStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "unknown" => Ok(ClusterStatus::Unknown),
            "online" => Ok(ClusterStatus::Online),
            "offline" => Ok(ClusterStatus::Offline),
            other => Err(format!("unknown cluster status '{other}'")),
        }
    }
}

/// Reachability as the inventory worker last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterHealth {
    pub status: ClusterStatus,
    /// When it went offline (kept across failed polls; cleared when online).
    pub offline_since: Option<Timestamp>,
    /// Last successful poll.
    pub last_seen_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

impl Default for ClusterHealth {
    fn default() -> Self {
        Self {
            status: ClusterStatus::Unknown,
            offline_since: None,
            last_seen_at: None,
            last_error: None,
        }
    }
}

/// Everything an administrator configures about a cluster (create and full update).
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    pub name: String,
    /// Node addresses (`host` or `host:port`), tried in order.
    pub addresses: Vec<String>,
    pub credentials: ClusterCredentials,
    /// The secret, encrypted by the domain (AES-256-GCM); the store never sees plaintext.
    pub secret_ciphertext: Vec<u8>,
    /// SHA-256 fingerprint to pin instead of verifying a chain.
    pub tls_fingerprint: Option<String>,
    pub ca_pem: Option<String>,
    pub verify_tls: bool,
}

// Hand-written so the ciphertext is not dumped into logs either.
impl fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("name", &self.name)
            .field("addresses", &self.addresses)
            .field("credentials", &self.credentials)
            .field(
                "secret_ciphertext",
                &format_args!("<{} bytes>", self.secret_ciphertext.len()),
            )
            .field("tls_fingerprint", &self.tls_fingerprint)
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<pem>"))
            .field("verify_tls", &self.verify_tls)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub id: Uuid,
    pub config: ClusterConfig,
    pub health: ClusterHealth,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[async_trait]
pub trait ClusterRepo: Send + Sync {
    /// Health starts `unknown`. `Conflict { constraint: CLUSTER_NAME }` on a taken name.
    async fn create(&self, config: ClusterConfig) -> Result<Cluster>;
    async fn get(&self, id: Uuid) -> Result<Cluster>;
    /// Ordered by name.
    async fn list(&self) -> Result<Vec<Cluster>>;
    /// Replaces the configuration (health is untouched) and bumps `updated_at`.
    async fn update(&self, id: Uuid, config: ClusterConfig) -> Result<Cluster>;
    /// Also deletes the cluster's mirrored nodes, storages and guests.
    async fn delete(&self, id: Uuid) -> Result<()>;
    async fn set_health(&self, id: Uuid, health: ClusterHealth) -> Result<()>;
}
