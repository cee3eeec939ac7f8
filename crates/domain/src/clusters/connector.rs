//! How features reach a cluster's Proxmox API ([`PveConnector`], a seam so unit tests
//! use a fake), and how they ask the inventory mirror to catch up after a change
//! ([`MirrorRefresh`]). Both are part of the platform every feature is handed (see
//! `crate::app::Platform`).

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::Pve;
use proxicloud_store::{Store, Uuid};

use super::ClusterService;
use crate::error::{DomainError, DomainResult};

#[async_trait]
pub trait PveConnector: Send + Sync {
    /// The API client of a registered cluster. `NotFound { resource: "cluster" }` when
    /// the cluster was deleted.
    async fn pve(&self, cluster_id: Uuid) -> DomainResult<Arc<dyn Pve>>;
}

/// The production connector: the cluster's stored configuration through
/// [`ClusterService::connect`] (which caches one client per cluster).
pub struct ClusterConnector {
    store: Arc<dyn Store>,
    clusters: Arc<ClusterService>,
}

impl ClusterConnector {
    pub fn new(store: Arc<dyn Store>, clusters: Arc<ClusterService>) -> Self {
        Self { store, clusters }
    }
}

#[async_trait]
impl PveConnector for ClusterConnector {
    async fn pve(&self, cluster_id: Uuid) -> DomainResult<Arc<dyn Pve>> {
        let cluster = self
            .store
            .clusters()
            .get(cluster_id)
            .await
            .map_err(DomainError::not_found_as("cluster"))?;
        self.clusters.connect(&cluster)
    }
}

/// Lets a finished job bring the mirror up to date now instead of at the next poll,
/// so the console shows a new guest's real state at once. Optional: without it the
/// next inventory cycle does the same.
#[async_trait]
pub trait MirrorRefresh: Send + Sync {
    async fn refresh(&self, cluster_id: Uuid) -> DomainResult<()>;
}
