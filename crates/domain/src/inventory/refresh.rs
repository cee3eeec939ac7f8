//! An immediate poll of one cluster on request (after a job changed it), through the
//! worker's own cycle so that the mirror, the events and the cluster's health come out
//! exactly as if the next scheduled poll had run early.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use parking_lot::Mutex;
use proxicloud_store::Uuid;

use super::Context;
use super::worker::{Cycle, poll_once};
use crate::error::{DomainError, DomainResult};
use crate::instances::MirrorRefresh;

/// Syncs a cluster now. Concurrent refreshes of one cluster are coalesced: a caller
/// that arrives while a poll is in flight waits for it and then for at most one more
/// poll, shared by everyone who arrived meanwhile — the in-flight one may have read
/// Proxmox before the caller's change, the next one cannot have.
pub struct InventoryRefresher {
    ctx: Arc<Context>,
    clusters: Mutex<HashMap<Uuid, Arc<ClusterRefresh>>>,
}

#[derive(Default)]
struct ClusterRefresh {
    /// Polls begun so far; only ever increased while `running` is held.
    started: AtomicU64,
    running: tokio::sync::Mutex<()>,
}

impl InventoryRefresher {
    pub(super) fn new(ctx: Arc<Context>) -> Self {
        Self {
            ctx,
            clusters: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, cluster_id: Uuid) -> Arc<ClusterRefresh> {
        self.clusters.lock().entry(cluster_id).or_default().clone()
    }
}

#[async_trait]
impl MirrorRefresh for InventoryRefresher {
    async fn refresh(&self, cluster_id: Uuid) -> DomainResult<()> {
        let slot = self.slot(cluster_id);
        let seen = slot.started.load(Ordering::Acquire);
        let _running = slot.running.lock().await;
        if slot.started.load(Ordering::Acquire) > seen {
            // A poll begun after we arrived has just finished: it saw our change.
            return Ok(());
        }
        slot.started.fetch_add(1, Ordering::AcqRel);
        match poll_once(&self.ctx, cluster_id).await {
            Cycle::Synced => Ok(()),
            Cycle::ClusterFailed(message) => Err(DomainError::conflict(
                "cluster_unreachable",
                format!("cannot refresh the inventory: {message}"),
            )),
            Cycle::StoreFailed => Err(DomainError::Internal(
                "cannot refresh the inventory: the database failed".into(),
            )),
            Cycle::Gone => {
                self.clusters.lock().remove(&cluster_id);
                Err(DomainError::NotFound {
                    resource: "cluster",
                })
            }
        }
    }
}
