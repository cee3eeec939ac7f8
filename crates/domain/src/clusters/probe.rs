//! "Test connection": one fresh client, no retries, short limits, and an answer an
//! administrator can act on — the version, nodes and latency, or which of the usual
//! mistakes it is (bad token, wrong fingerprint, nothing listening, too slow).

use std::time::Instant;

use proxicloud_pve::{Pve, PveError, RetryPolicy};
use proxicloud_store::{Cluster, ClusterHealth, Timestamp, Uuid};
use secrecy::ExposeSecret;

use super::input::{self, ClusterInput};
use super::{ClusterService, config_of, secret_context};
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;

/// The outcome of a connection test. A failed test is a normal answer, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionTest {
    Ok {
        /// e.g. `9.1.1`.
        version: String,
        /// Member node names, in the order Proxmox lists them.
        nodes: Vec<String>,
        /// Round trip of the version request.
        latency_ms: u64,
    },
    Failed(ConnectionFailure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionFailure {
    pub kind: FailureKind,
    /// Proxmox's or the network's own words.
    pub message: String,
}

/// Which mistake it is; each has its own fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The token or password was refused.
    Unauthorized,
    /// Authenticated, but the token lacks a privilege (e.g. `Sys.Audit`).
    Forbidden,
    /// The certificate did not match the fingerprint, or is not trusted.
    Tls,
    /// No node address accepted a connection.
    Unreachable,
    /// A node accepted the connection but did not answer in time.
    Timeout,
    /// The stored configuration cannot be used (e.g. the secret cannot be decrypted).
    Configuration,
    /// Proxmox answered with an unexpected error.
    Other,
}

impl FailureKind {
    /// Stable name for API clients.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Unauthorized => "unauthorized",
            FailureKind::Forbidden => "forbidden",
            FailureKind::Tls => "tls",
            FailureKind::Unreachable => "unreachable",
            FailureKind::Timeout => "timeout",
            FailureKind::Configuration => "configuration",
            FailureKind::Other => "error",
        }
    }
}

impl From<&PveError> for FailureKind {
    fn from(error: &PveError) -> Self {
        match error {
            PveError::Unauthorized { .. } => FailureKind::Unauthorized,
            PveError::Forbidden { .. } => FailureKind::Forbidden,
            PveError::Tls { .. } => FailureKind::Tls,
            PveError::Unreachable { .. } | PveError::Connection { .. } => FailureKind::Unreachable,
            PveError::Timeout { .. } => FailureKind::Timeout,
            PveError::Config(_) => FailureKind::Configuration,
            _ => FailureKind::Other,
        }
    }
}

impl ClusterService {
    /// Tests the stored configuration of cluster `id` against the real cluster.
    /// Admin only. Never uses (or disturbs) the cached client of the inventory worker.
    pub async fn test(&self, principal: &Principal, id: Uuid) -> DomainResult<ConnectionTest> {
        principal.require_admin()?;
        let cluster = self.load(id).await?;
        self.probe_cluster(&cluster).await
    }

    /// Tests connection settings before they are saved (the add form's "Test
    /// connection"): the same probe as [`ClusterService::test`], on a client built from
    /// `input` alone. Nothing is stored; a failed test does not stop a later save.
    /// Admin only; `422` when the input itself is invalid.
    pub async fn test_unsaved(
        &self,
        principal: &Principal,
        input: ClusterInput,
    ) -> DomainResult<ConnectionTest> {
        principal.require_admin()?;
        let valid = input::validate(input, true)?;
        // A throwaway id: the secret is sealed to it only to build the client the same
        // way a stored cluster's is built.
        let id = Uuid::now_v7();
        let secret = valid
            .secret
            .clone()
            .expect("validated: a secret is required");
        let sealed = self
            .master_key
            .seal(secret.expose_secret().as_bytes(), &secret_context(id));
        let now = Timestamp::now();
        let cluster = Cluster {
            id,
            config: config_of(valid, sealed),
            health: ClusterHealth::default(),
            created_at: now,
            updated_at: now,
        };
        self.probe_cluster(&cluster).await
    }

    async fn probe_cluster(&self, cluster: &Cluster) -> DomainResult<ConnectionTest> {
        let id = cluster.id;
        let no_retry = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        let timeouts = self.clients.options.test_timeouts;
        let client = match self.build_client(cluster, timeouts, no_retry) {
            Ok(client) => client,
            Err(DomainError::Internal(message)) => {
                return Ok(ConnectionTest::Failed(ConnectionFailure {
                    kind: FailureKind::Configuration,
                    message,
                }));
            }
            Err(other) => return Err(other),
        };
        let outcome = probe(&client).await;
        match &outcome {
            ConnectionTest::Ok { latency_ms, .. } => {
                tracing::info!(cluster = %id, latency_ms, "cluster connection test succeeded");
            }
            ConnectionTest::Failed(failure) => {
                tracing::info!(cluster = %id, kind = failure.kind.as_str(), message = %failure.message, "cluster connection test failed");
            }
        }
        Ok(outcome)
    }
}

async fn probe(client: &dyn Pve) -> ConnectionTest {
    let failed = |error: PveError| {
        ConnectionTest::Failed(ConnectionFailure {
            kind: FailureKind::from(&error),
            message: error.to_string(),
        })
    };
    let started = Instant::now();
    let version = match client.version().await {
        Ok(version) => version,
        Err(error) => return failed(error),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let nodes = match client.nodes().await {
        Ok(nodes) => nodes.into_iter().map(|n| n.node.to_string()).collect(),
        Err(error) => return failed(error),
    };
    ConnectionTest::Ok {
        version: version.version,
        nodes,
        latency_ms,
    }
}
