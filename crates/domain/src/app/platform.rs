//! What every feature is built on. Its parts are not features themselves: each is
//! used by several features, so it is built once, before any feature registers.

use std::sync::Arc;

use proxicloud_store::Store;
use tokio::sync::watch;

use super::services::ServicesConfig;
use crate::clusters::{ClusterConnector, ClusterService, MirrorRefresh, PveConnector};
use crate::error::DomainResult;
use crate::events::EventBus;
use crate::inventory::Inventory;
use crate::jobs::JobQueue;
use crate::secrets::MasterKey;
use crate::settings::SettingsService;

#[derive(Clone)]
pub struct Platform {
    pub store: Arc<dyn Store>,
    pub master_key: Arc<MasterKey>,
    /// What `GET /api/v1/events` streams.
    pub events: Arc<EventBus>,
    /// Where features submit their jobs.
    pub queue: JobQueue,
    /// Global settings, read from the store at build time.
    pub settings: Arc<SettingsService>,
    /// Registered Proxmox VE clusters and their cached API clients.
    pub clusters: Arc<ClusterService>,
    /// A cluster's `Pve` client, by cluster id.
    pub connector: Arc<dyn PveConnector>,
    /// Brings the inventory mirror up to date now (after a job changed a cluster).
    pub mirror: Arc<dyn MirrorRefresh>,
    /// The mirror itself: its pollers are a background worker (registered by the
    /// inventory feature), its refresher is [`Platform::mirror`].
    pub inventory: Arc<Inventory>,
    pub config: Arc<ServicesConfig>,
}

impl Platform {
    pub(super) async fn build(
        store: Arc<dyn Store>,
        master_key: MasterKey,
        config: ServicesConfig,
    ) -> DomainResult<Self> {
        let events = Arc::new(EventBus::new());
        let settings = Arc::new(SettingsService::new(store.clone(), config.settings.clone()));
        settings.refresh().await?;
        let master_key = Arc::new(master_key);
        let clusters = Arc::new(ClusterService::new(
            store.clone(),
            master_key.clone(),
            config.connect,
        ));
        let poll_interval = match config.inventory_poll {
            // A fixed interval: the sender may go, the receiver keeps the value.
            Some(every) => watch::channel(every).1,
            None => settings.poll_interval(),
        };
        let inventory = Arc::new(Inventory::new(
            store.clone(),
            clusters.clone(),
            events.clone(),
            poll_interval,
            config.inventory,
        ));
        Ok(Self {
            queue: JobQueue::new(store.clone(), events.clone()),
            connector: Arc::new(ClusterConnector::new(store.clone(), clusters.clone())),
            mirror: inventory.refresher.clone(),
            inventory,
            store,
            master_key,
            events,
            settings,
            clusters,
            config: Arc::new(config),
        })
    }
}
