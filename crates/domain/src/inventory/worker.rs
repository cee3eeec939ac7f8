//! The poller of one cluster: one `/cluster/resources` call per cycle, applied to the
//! mirror in one transaction, events for what changed, and the cluster's health.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_pve::PveError;
use proxicloud_store::{Cluster, ClusterHealth, ClusterStatus, StoreError, Timestamp, Uuid};
use serde_json::json;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::notify::publish_sync_report;
use super::snapshot::snapshot;
use crate::error::DomainError;
use crate::events::Audience;
use crate::workers::WorkerContext;

/// What one cycle amounted to; decides the wait before the next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Cycle {
    Synced,
    /// Proxmox could not be reached or refused us (the reason): back off.
    ClusterFailed(String),
    /// Our own database failed: retry later, the cluster's health is unknown.
    StoreFailed,
    /// The cluster was deleted.
    Gone,
}

/// Polls cluster `id` until cancelled or the cluster is deleted. `wake` cuts the
/// current wait short (the cluster was reconfigured: try the new settings now).
/// `report` receives each cycle's outcome (the inventory's worker state).
pub(super) async fn run(
    ctx: Arc<Context>,
    id: Uuid,
    cancel: CancellationToken,
    wake: Arc<Notify>,
    report: WorkerContext,
) {
    let mut failures: u32 = 0;
    let mut interval = ctx.poll_interval.clone();
    let gate = ctx.gates.gate(id);
    loop {
        // Dropping a cycle mid-way is safe: the sync is one transaction, and health
        // and events are written only after it.
        let cycle = tokio::select! {
            () = cancel.cancelled() => return,
            cycle = gate.poll(&ctx, id) => cycle,
        };
        let every = *interval.borrow_and_update();
        let delay = match cycle {
            Cycle::Gone => {
                tracing::info!(cluster = %id, "cluster deleted; its inventory worker stops");
                return;
            }
            Cycle::Synced => {
                failures = 0;
                every
            }
            Cycle::ClusterFailed(_) | Cycle::StoreFailed => {
                failures = failures.saturating_add(1);
                backoff(every, failures, ctx.config.max_backoff)
            }
        };
        report.record_run(outcome(id, &cycle), Some(Timestamp::now() + delay));
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
            () = wake.notified() => {}
            // A new poll interval applies from now rather than after the old wait.
            Ok(()) = interval.changed() => {}
        }
    }
}

fn outcome(id: Uuid, cycle: &Cycle) -> Result<(), String> {
    match cycle {
        Cycle::Synced | Cycle::Gone => Ok(()),
        Cycle::ClusterFailed(error) => Err(format!("cluster {id}: {error}")),
        Cycle::StoreFailed => Err(format!("cluster {id}: the database failed")),
    }
}

/// `every` doubled per consecutive failure, never above `cap` (but never below `every`).
pub(super) fn backoff(every: Duration, failures: u32, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.min(16));
    every.saturating_mul(factor).min(cap.max(every))
}

/// One cycle: poll, sync, publish, record the health. Also run on demand by
/// [`super::InventoryRefresher`].
pub(super) async fn poll_once(ctx: &Context, id: Uuid) -> Cycle {
    let cluster = match ctx.clusters.load(id).await {
        Ok(cluster) => cluster,
        Err(DomainError::NotFound { .. }) => return Cycle::Gone,
        Err(error) => {
            tracing::warn!(cluster = %id, %error, "cannot read the cluster; retrying later");
            return Cycle::StoreFailed;
        }
    };
    let client = match ctx.clusters.connect(&cluster) {
        Ok(client) => client,
        Err(error) => return record_failure(ctx, &cluster, error.to_string()).await,
    };
    let answer = client.cluster_resources(None).await;
    ctx.stats.count_poll(id);
    let resources = match answer {
        Ok(resources) => resources,
        Err(error) => return record_failure(ctx, &cluster, describe(&error)).await,
    };
    let observed_at = Timestamp::now();
    let snapshot = snapshot(resources, observed_at);
    let report = match ctx.store.inventory().sync(id, &snapshot).await {
        Ok(report) => report,
        Err(StoreError::NotFound | StoreError::MissingReference) => return Cycle::Gone,
        Err(error) => {
            tracing::warn!(cluster = %id, %error, "cannot store the inventory; retrying later");
            return Cycle::StoreFailed;
        }
    };
    if !report.is_empty() {
        tracing::debug!(
            cluster = %id,
            appeared = report.appeared.len(),
            changed = report.changed.len(),
            disappeared = report.disappeared.len(),
            "inventory changed"
        );
        if let Err(error) = publish_sync_report(ctx, id, &report).await {
            tracing::warn!(cluster = %id, %error, "cannot read changed guests for their events");
        }
    }
    let health = ClusterHealth {
        status: ClusterStatus::Online,
        offline_since: None,
        last_seen_at: Some(observed_at),
        last_error: None,
    };
    match save_health(ctx, &cluster, health).await {
        Ok(()) => Cycle::Synced,
        Err(Cycle::Gone) => Cycle::Gone,
        Err(_) => Cycle::StoreFailed,
    }
}

/// The error as shown in `last_error`: PVE's or the network's words. Never contains
/// credentials (the client keeps them out of its errors).
fn describe(error: &PveError) -> String {
    error.to_string()
}

async fn record_failure(ctx: &Context, cluster: &Cluster, error: String) -> Cycle {
    let previous = &cluster.health;
    let offline_since = match previous.status {
        ClusterStatus::Offline => previous.offline_since.unwrap_or_else(Timestamp::now),
        _ => Timestamp::now(),
    };
    if previous.status != ClusterStatus::Offline {
        tracing::warn!(cluster = %cluster.id, name = %cluster.config.name, %error, "cluster unreachable; serving its inventory from the mirror");
    }
    let health = ClusterHealth {
        status: ClusterStatus::Offline,
        offline_since: Some(offline_since),
        last_seen_at: previous.last_seen_at,
        last_error: Some(error.clone()),
    };
    match save_health(ctx, cluster, health).await {
        Err(Cycle::Gone) => Cycle::Gone,
        _ => Cycle::ClusterFailed(error),
    }
}

/// Writes the health and announces a change of status (not every poll).
async fn save_health(ctx: &Context, cluster: &Cluster, health: ClusterHealth) -> Result<(), Cycle> {
    let status_changed = health.status != cluster.health.status;
    match ctx
        .store
        .clusters()
        .set_health(cluster.id, health.clone())
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(Cycle::Gone),
        Err(error) => {
            tracing::warn!(cluster = %cluster.id, %error, "cannot record the cluster's health");
            return Err(Cycle::StoreFailed);
        }
    }
    if status_changed {
        if health.status == ClusterStatus::Online && cluster.health.status == ClusterStatus::Offline
        {
            tracing::info!(cluster = %cluster.id, name = %cluster.config.name, "cluster reachable again");
        }
        ctx.events.publish(
            "cluster.status",
            Audience::Everyone,
            json!({
                "cluster_id": cluster.id,
                "name": cluster.config.name,
                "status": health.status,
                "offline_since": health.offline_since,
                "last_seen_at": health.last_seen_at,
                "error": health.last_error,
            }),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let every = Duration::from_secs(10);
        let cap = Duration::from_secs(300);
        let waits: Vec<u64> = (1..=7).map(|n| backoff(every, n, cap).as_secs()).collect();
        assert_eq!(waits, [20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff(every, u32::MAX, cap), cap);
        // A cap below the interval never makes an unreachable cluster polled faster.
        assert_eq!(backoff(every, 1, Duration::from_secs(1)), every);
    }
}
