//! Monitoring views over the whole estate: the health map
//! (`GET /api/v1/monitoring/health`) — clusters → nodes → guests, each with a health
//! colour from the mirror's live state and the alerts firing on it — and the hosts
//! (`GET /api/v1/monitoring/hosts`): every node's own figures, for admins.
//!
//! To add a view: a module here with a pure function from what it reads to what it
//! shows (unit-tested without a database), and a method on [`MonitoringService`] that
//! reads its inputs once per request.

mod health;
mod hosts;

pub use health::{ClusterTile, GuestTile, Health, HealthMap, NodeTile};
pub use hosts::{HostCluster, HostNode, HostStorage, Hosts};

use std::sync::Arc;

use proxicloud_store::{AlertState, Store, Timestamp};

use crate::app::{Platform, Registry};
use crate::error::DomainResult;
use crate::iam::Principal;
use crate::inventory::InstanceDirectory;

pub struct MonitoringService {
    store: Arc<dyn Store>,
    instances: Arc<InstanceDirectory>,
}

/// Provides [`MonitoringService`]; reads the instance directory the inventory provides.
pub fn register(registry: &mut Registry, platform: &Platform) {
    let instances = registry.get::<InstanceDirectory>();
    registry.provide(Arc::new(MonitoringService {
        store: platform.store.clone(),
        instances,
    }));
}

impl MonitoringService {
    /// The health map of what the caller may see: admins every cluster, node and guest
    /// (with the nodes' own load); others their own guests, grouped under the nodes
    /// that run them, without the nodes' figures.
    pub async fn health_map(&self, caller: &Principal) -> DomainResult<HealthMap> {
        let visible = self.instances.visible(caller).await?;
        let nodes = self.store.inventory().list_nodes(None).await?;
        let firing: Vec<_> = self
            .store
            .alerts()
            .open_alerts()
            .await?
            .into_iter()
            .filter(|alert| alert.state == AlertState::Firing)
            .collect();
        Ok(health::build(&visible, &nodes, &firing, caller.is_admin()))
    }

    /// Every cluster's nodes with their own load, storages and guest counts (admins).
    pub async fn hosts(&self, caller: &Principal) -> DomainResult<Hosts> {
        caller.require_admin()?;
        let visible = self.instances.visible(caller).await?;
        let inventory = self.store.inventory();
        let nodes = inventory.list_nodes(None).await?;
        let storages = inventory.list_storages(None).await?;
        Ok(hosts::build(&nodes, &storages, &visible, Timestamp::now()))
    }
}
