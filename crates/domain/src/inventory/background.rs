//! The mirror as a background worker: the per-cluster pollers run on the one replica
//! elected for `inventory` (see `crate::workers`), while every replica keeps its
//! [`InventoryRefresher`] for the syncs its own jobs ask for.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use proxicloud_store::Store;
use tokio::sync::watch;

use super::{Context, InventoryConfig, InventoryRefresher, PollStats, supervisor};
use crate::clusters::ClusterService;
use crate::events::EventBus;
use crate::workers::{BackgroundWorker, WorkerContext, WorkerScope};

/// What a feature registry takes from the inventory.
pub struct Inventory {
    /// Register with the workers' supervisor (deployment scope).
    pub worker: Arc<dyn BackgroundWorker>,
    /// Syncs a cluster on demand (for the job engine, after it changed a guest); works
    /// on every replica, elected or not.
    pub refresher: Arc<InventoryRefresher>,
    /// The polls this process made (none while another replica leads).
    pub stats: Arc<PollStats>,
}

impl Inventory {
    pub fn new(
        store: Arc<dyn Store>,
        clusters: Arc<ClusterService>,
        events: Arc<EventBus>,
        poll_interval: watch::Receiver<Duration>,
        config: InventoryConfig,
    ) -> Self {
        let context = Context::new(store, clusters, events, poll_interval, config);
        Self {
            stats: context.stats.clone(),
            refresher: Arc::new(InventoryRefresher::new(context.clone())),
            worker: Arc::new(InventoryWorker { context }),
        }
    }
}

struct InventoryWorker {
    context: Arc<Context>,
}

#[async_trait]
impl BackgroundWorker for InventoryWorker {
    fn name(&self) -> &str {
        "inventory"
    }

    fn scope(&self) -> WorkerScope {
        WorkerScope::Deployment
    }

    async fn run(&self, ctx: WorkerContext) -> Result<(), String> {
        // Returns once cancelled, with every cluster's poller stopped: a replica that
        // lost the election polls no more.
        supervisor::run(self.context.clone(), ctx.child_token(), ctx).await;
        Ok(())
    }
}
