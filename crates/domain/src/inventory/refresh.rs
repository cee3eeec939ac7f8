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
use crate::clusters::MirrorRefresh;
use crate::error::{DomainError, DomainResult};

/// Syncs a cluster now. Concurrent refreshes of one cluster are coalesced: a caller
/// that arrives while a poll is in flight (a refresh's or the worker's) waits for it and
/// then for at most one more poll, shared by everyone who arrived meanwhile — the
/// in-flight one may have read Proxmox before the caller's change, the next one cannot
/// have.
pub struct InventoryRefresher {
    ctx: Arc<Context>,
}

/// One gate per cluster, through which every poll of it passes (the worker's too), so
/// two syncs of one cluster never interleave and report the same change twice.
#[derive(Default)]
pub(super) struct PollGates {
    clusters: Mutex<HashMap<Uuid, Arc<PollGate>>>,
}

#[derive(Default)]
pub(super) struct PollGate {
    /// Polls begun so far; only ever increased while `running` is held.
    started: AtomicU64,
    running: tokio::sync::Mutex<()>,
}

impl PollGates {
    pub(super) fn gate(&self, cluster_id: Uuid) -> Arc<PollGate> {
        self.clusters.lock().entry(cluster_id).or_default().clone()
    }

    pub(super) fn forget(&self, cluster_id: Uuid) {
        self.clusters.lock().remove(&cluster_id);
    }
}

impl PollGate {
    /// Runs one cycle once no other poll of the cluster is in flight.
    pub(super) async fn poll(&self, ctx: &Context, cluster_id: Uuid) -> Cycle {
        let _running = self.running.lock().await;
        self.poll_locked(ctx, cluster_id).await
    }

    async fn poll_locked(&self, ctx: &Context, cluster_id: Uuid) -> Cycle {
        self.started.fetch_add(1, Ordering::AcqRel);
        let cycle = poll_once(ctx, cluster_id).await;
        if cycle == Cycle::Gone {
            ctx.gates.forget(cluster_id);
        }
        cycle
    }
}

impl InventoryRefresher {
    pub(super) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }
}

#[async_trait]
impl MirrorRefresh for InventoryRefresher {
    async fn refresh(&self, cluster_id: Uuid) -> DomainResult<()> {
        let gate = self.ctx.gates.gate(cluster_id);
        let seen = gate.started.load(Ordering::Acquire);
        let _running = gate.running.lock().await;
        if gate.started.load(Ordering::Acquire) > seen {
            // A poll begun after we arrived has just finished: it saw our change.
            return Ok(());
        }
        match gate.poll_locked(&self.ctx, cluster_id).await {
            Cycle::Synced => Ok(()),
            Cycle::ClusterFailed(message) => Err(DomainError::conflict(
                "cluster_unreachable",
                format!("cannot refresh the inventory: {message}"),
            )),
            Cycle::StoreFailed => Err(DomainError::Internal(
                "cannot refresh the inventory: the database failed".into(),
            )),
            Cycle::Gone => Err(DomainError::NotFound {
                resource: "cluster",
            }),
        }
    }
}
