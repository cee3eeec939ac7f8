//! Proxmox VE clusters: their administration (admin only), the sealed credentials,
//! the cached API clients the rest of the system uses, and connection tests.
//!
//! Secrets are sealed with the master key (bound to `cluster:<id>:secret`) before they
//! reach the store, are opened only to build a client, and never leave this module:
//! [`ClusterInfo`] says `secret_set` instead.

mod connect;
mod connector;
mod input;
mod probe;
mod readiness;
mod tls;

use std::sync::Arc;

use proxicloud_store::{
    Cluster, ClusterConfig, ClusterCredentials, ClusterHealth, Store, StoreError, Timestamp, Uuid,
    constraints,
};
use secrecy::ExposeSecret;
use tokio::sync::broadcast;

pub use connect::ConnectOptions;
pub use connector::{ClusterConnector, MirrorRefresh, PveConnector};
pub use input::{AuthInput, ClusterInput};
pub use probe::{ConnectionFailure, ConnectionTest, FailureKind};
pub use readiness::ClustersReady;

use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::secrets::MasterKey;

/// Buffer of the change feed; a lagging subscriber (the inventory supervisor)
/// simply re-reads the whole cluster list.
const CHANGE_FEED_LEN: usize = 64;

/// A cluster as shown to administrators: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    pub id: Uuid,
    pub name: String,
    pub addresses: Vec<String>,
    /// Who we authenticate as (token id or user name; never the secret).
    pub auth: ClusterCredentials,
    /// Whether a secret is stored. It is never returned.
    pub secret_set: bool,
    pub tls_fingerprint: Option<String>,
    pub ca_pem: Option<String>,
    pub verify_tls: bool,
    pub health: ClusterHealth,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<&Cluster> for ClusterInfo {
    fn from(cluster: &Cluster) -> Self {
        let config = &cluster.config;
        Self {
            id: cluster.id,
            name: config.name.clone(),
            addresses: config.addresses.clone(),
            auth: config.credentials.clone(),
            secret_set: !config.secret_ciphertext.is_empty(),
            tls_fingerprint: config.tls_fingerprint.clone(),
            ca_pem: config.ca_pem.clone(),
            verify_tls: config.verify_tls,
            health: cluster.health.clone(),
            created_at: cluster.created_at,
            updated_at: cluster.updated_at,
        }
    }
}

/// What changed in the cluster list, for the inventory supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterChange {
    Created(Uuid),
    Updated(Uuid),
    Deleted(Uuid),
}

pub struct ClusterService {
    store: Arc<dyn Store>,
    master_key: Arc<MasterKey>,
    clients: connect::ClientCache,
    changes: broadcast::Sender<ClusterChange>,
}

/// Where a cluster's secret is sealed; a ciphertext copied to another row won't open.
fn secret_context(id: Uuid) -> String {
    format!("cluster:{id}:secret")
}

const RESOURCE: &str = "cluster";

impl ClusterService {
    pub fn new(store: Arc<dyn Store>, master_key: Arc<MasterKey>, options: ConnectOptions) -> Self {
        let (changes, _) = broadcast::channel(CHANGE_FEED_LEN);
        Self {
            store,
            master_key,
            clients: connect::ClientCache::new(options),
            changes,
        }
    }

    /// Follows clusters being created, reconfigured and deleted in this process.
    pub fn subscribe_changes(&self) -> broadcast::Receiver<ClusterChange> {
        self.changes.subscribe()
    }

    fn announce(&self, change: ClusterChange) {
        // Nobody listening (no inventory running, e.g. in some tests) is fine.
        let _ = self.changes.send(change);
    }

    pub async fn list(&self, principal: &Principal) -> DomainResult<Vec<ClusterInfo>> {
        principal.require_admin()?;
        let clusters = self.store.clusters().list().await?;
        Ok(clusters.iter().map(ClusterInfo::from).collect())
    }

    pub async fn get(&self, principal: &Principal, id: Uuid) -> DomainResult<ClusterInfo> {
        principal.require_admin()?;
        Ok(ClusterInfo::from(&self.load(id).await?))
    }

    /// Every cluster with its health, for internal readers (inventory freshness).
    pub async fn all(&self) -> DomainResult<Vec<Cluster>> {
        Ok(self.store.clusters().list().await?)
    }

    pub async fn load(&self, id: Uuid) -> DomainResult<Cluster> {
        self.store
            .clusters()
            .get(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))
    }

    pub async fn create(
        &self,
        principal: &Principal,
        input: ClusterInput,
    ) -> DomainResult<ClusterInfo> {
        principal.require_admin()?;
        self.insert(input).await
    }

    /// Replaces the configuration. Without a new secret the stored one is kept, as
    /// long as the authentication method stays the same.
    pub async fn update(
        &self,
        principal: &Principal,
        id: Uuid,
        input: ClusterInput,
    ) -> DomainResult<ClusterInfo> {
        principal.require_admin()?;
        self.replace(id, input).await
    }

    /// Creates the cluster named `input.name`, or replaces its configuration when it
    /// exists. For the server's own wiring (the `--demo` simulator, whose port and
    /// certificate change at every start), not for requests: no caller is checked.
    pub async fn register(&self, input: ClusterInput) -> DomainResult<ClusterInfo> {
        let name = input.name.trim();
        let existing = self.store.clusters().list().await?;
        match existing.iter().find(|c| c.config.name == name) {
            Some(cluster) => self.replace(cluster.id, input).await,
            None => self.insert(input).await,
        }
    }

    async fn insert(&self, input: ClusterInput) -> DomainResult<ClusterInfo> {
        let valid = input::validate(input, true)?;
        let secret = valid.secret.clone();
        // The secret is bound to the cluster id, which the store assigns: the row is
        // created without it and completed at once. Until then it has no secret and
        // no worker is told about it.
        let draft = config_of(valid, Vec::new());
        let created = self
            .store
            .clusters()
            .create(draft.clone())
            .await
            .map_err(name_conflict)?;
        let secret = secret.expect("validated: a new cluster has a secret");
        let sealed = self.master_key.seal(
            secret.expose_secret().as_bytes(),
            &secret_context(created.id),
        );
        let completed = ClusterConfig {
            secret_ciphertext: sealed,
            ..draft
        };
        let cluster = match self.store.clusters().update(created.id, completed).await {
            Ok(cluster) => cluster,
            Err(error) => {
                if let Err(cleanup) = self.store.clusters().delete(created.id).await {
                    tracing::error!(cluster = %created.id, error = %cleanup, "cannot remove half-created cluster");
                }
                return Err(error.into());
            }
        };
        tracing::info!(cluster = %cluster.id, name = %cluster.config.name, "cluster created");
        self.announce(ClusterChange::Created(cluster.id));
        Ok(ClusterInfo::from(&cluster))
    }

    async fn replace(&self, id: Uuid, input: ClusterInput) -> DomainResult<ClusterInfo> {
        let existing = self.load(id).await?;
        let same_method = matches!(
            (&existing.config.credentials, &input.auth),
            (
                ClusterCredentials::ApiToken { .. },
                AuthInput::ApiToken { .. }
            ) | (
                ClusterCredentials::Password { .. },
                AuthInput::Password { .. }
            )
        );
        let secret_required = !same_method || existing.config.secret_ciphertext.is_empty();
        let valid = input::validate(input, secret_required)?;
        let ciphertext = match &valid.secret {
            Some(secret) => self
                .master_key
                .seal(secret.expose_secret().as_bytes(), &secret_context(id)),
            None => existing.config.secret_ciphertext.clone(),
        };
        let cluster = self
            .store
            .clusters()
            .update(id, config_of(valid, ciphertext))
            .await
            .map_err(|e| match e {
                StoreError::NotFound => DomainError::NotFound { resource: RESOURCE },
                other => name_conflict(other),
            })?;
        self.clients.forget(id);
        tracing::info!(cluster = %id, "cluster reconfigured");
        self.announce(ClusterChange::Updated(id));
        Ok(ClusterInfo::from(&cluster))
    }

    /// Deletes the cluster and its mirrored inventory (Proxmox itself is untouched).
    /// Every instance of it leaves ProxiCloud at once, so `confirm` must repeat the
    /// cluster's name, as terminating an instance does. Jobs and the audit log keep
    /// their history (they name the cluster, they do not depend on its row).
    pub async fn delete(
        &self,
        principal: &Principal,
        id: Uuid,
        confirm: Option<&str>,
    ) -> DomainResult<()> {
        principal.require_admin()?;
        let name = self.load(id).await?.config.name;
        if confirm != Some(name.as_str()) {
            return Err(DomainError::invalid(
                "confirm",
                format!("must be the cluster's name ('{name}') to confirm its deletion"),
            ));
        }
        self.store
            .clusters()
            .delete(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        self.clients.forget(id);
        tracing::info!(cluster = %id, "cluster deleted");
        self.announce(ClusterChange::Deleted(id));
        Ok(())
    }
}

fn config_of(valid: input::ValidInput, secret_ciphertext: Vec<u8>) -> ClusterConfig {
    ClusterConfig {
        name: valid.name,
        addresses: valid.addresses,
        credentials: valid.credentials,
        secret_ciphertext,
        tls_fingerprint: valid.tls_fingerprint,
        ca_pem: valid.ca_pem,
        verify_tls: valid.verify_tls,
    }
}

fn name_conflict(error: StoreError) -> DomainError {
    match error {
        StoreError::Conflict { constraint } if constraint == constraints::CLUSTER_NAME => {
            DomainError::conflict(
                "cluster_name_taken",
                "a cluster with this name already exists",
            )
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests;

/// Provides the platform's [`ClusterService`] to the API, and checks in `/readyz`
/// that some cluster is reachable.
pub fn register(registry: &mut crate::app::Registry, platform: &crate::app::Platform) {
    registry.provide(platform.clusters.clone());
    registry.readiness(Arc::new(ClustersReady(platform.clusters.clone())));
}
