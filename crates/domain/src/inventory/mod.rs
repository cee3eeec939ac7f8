//! The inventory mirror: Proxmox state copied into our database so that reads never
//! wait on Proxmox and keep working while a cluster is unreachable.
//!
//! - [`Inventory`] is the mirror as a deployment-scoped background worker (see
//!   `crate::workers`): on PostgreSQL only the elected replica polls (`background.rs`);
//! - a supervisor keeps one worker per cluster (`supervisor.rs`);
//! - each worker polls `/cluster/resources` — one call per cycle, however many guests —
//!   and applies the answer with `InventoryRepo::sync` (`worker.rs`), publishing
//!   `instance.*` events for what changed (`notify.rs`) and `cluster.status` when the
//!   cluster goes offline or comes back;
//! - [`InventoryRefresher`] runs one worker cycle on demand, after a job changed a
//!   cluster (`refresh.rs`), on whichever replica ran the job;
//! - [`InstanceDirectory`] answers instance reads from the mirror, with the freshness
//!   of the data (`instances.rs`).

mod background;
mod guest_index;
mod instances;
mod notify;
mod refresh;
mod snapshot;
mod summary;
mod supervisor;
mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use proxicloud_store::{Store, Uuid};
use tokio::sync::watch;

pub use background::Inventory;
pub use guest_index::{GuestIndex, IndexedGuest, tag_list};
pub(crate) use instances::load_live_guest;
pub use instances::{
    Freshness, InstanceDirectory, InstanceList, InstanceListQuery, InstanceView, MAX_LIST_LIMIT,
    OwnerSelector, VisibleInstances,
};
pub use refresh::InventoryRefresher;
pub use summary::{ClusterUsage, InstanceSummary};

use crate::clusters::ClusterService;
use crate::events::EventBus;

#[derive(Debug, Clone, Copy)]
pub struct InventoryConfig {
    /// Longest wait between two polls of an unreachable cluster.
    pub max_backoff: Duration,
    /// How often the cluster list is re-read to catch clusters changed elsewhere (by
    /// another replica) and restart workers that ended unexpectedly.
    pub reconcile_interval: Duration,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self {
            max_backoff: Duration::from_secs(300),
            reconcile_interval: Duration::from_secs(30),
        }
    }
}

/// Everything the workers share.
struct Context {
    store: Arc<dyn Store>,
    clusters: Arc<ClusterService>,
    events: Arc<EventBus>,
    /// The current poll interval (from the settings); a change applies at once.
    poll_interval: watch::Receiver<Duration>,
    config: InventoryConfig,
    stats: Arc<PollStats>,
    /// Serialises the polls of each cluster (worker and on-demand refreshes).
    gates: refresh::PollGates,
}

impl Context {
    fn new(
        store: Arc<dyn Store>,
        clusters: Arc<ClusterService>,
        events: Arc<EventBus>,
        poll_interval: watch::Receiver<Duration>,
        config: InventoryConfig,
    ) -> Arc<Self> {
        Arc::new(Context {
            store,
            clusters,
            events,
            poll_interval,
            config,
            stats: Arc::new(PollStats::default()),
            gates: refresh::PollGates::default(),
        })
    }
}

/// How many `/cluster/resources` calls each worker has completed (answered or failed)
/// in this process.
#[derive(Debug, Default)]
pub struct PollStats {
    polls: Mutex<HashMap<Uuid, u64>>,
}

impl PollStats {
    fn count_poll(&self, cluster: Uuid) {
        *self.polls.lock().entry(cluster).or_default() += 1;
    }

    pub fn polls(&self, cluster: Uuid) -> u64 {
        self.polls.lock().get(&cluster).copied().unwrap_or(0)
    }
}

/// Provides [`InstanceDirectory`] (instance reads from the mirror) and registers the
/// mirror's pollers as a background worker. The mirror itself is part of the platform
/// (`app::Platform::inventory`): job handlers of several features ask it to refresh.
pub fn register(registry: &mut crate::app::Registry, platform: &crate::app::Platform) {
    registry.provide(Arc::new(InstanceDirectory::new(
        platform.store.clone(),
        platform.events.clone(),
    )));
    registry.worker(platform.inventory.worker.clone());
}
