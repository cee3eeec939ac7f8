//! Keeps exactly one worker per stored cluster: starts them at boot and when clusters
//! are added, stops them when clusters are deleted, wakes one when its cluster is
//! reconfigured, and stops them all on shutdown.

use std::collections::HashMap;
use std::sync::Arc;

use proxicloud_store::Uuid;
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Context, worker};
use crate::clusters::ClusterChange;
use crate::workers::WorkerContext;

struct Worker {
    cancel: CancellationToken,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

/// `report` (the inventory's worker state) receives each poll's outcome.
pub(super) async fn run(ctx: Arc<Context>, cancel: CancellationToken, report: WorkerContext) {
    let mut changes = ctx.clusters.subscribe_changes();
    let mut workers: HashMap<Uuid, Worker> = HashMap::new();
    let mut reconcile_timer = tokio::time::interval(ctx.config.reconcile_interval);
    reconcile_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut feed_open = true;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            // Also fires at once: the boot-time reconcile. Afterwards it picks up
            // clusters changed by other replicas, and workers that ended by themselves.
            _ = reconcile_timer.tick() => reconcile(&ctx, &cancel, &report, &mut workers).await,
            change = changes.recv(), if feed_open => match change {
                Ok(ClusterChange::Created(_)) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    reconcile(&ctx, &cancel, &report, &mut workers).await;
                }
                Ok(ClusterChange::Updated(id)) => match workers.get(&id) {
                    Some(worker) => worker.wake.notify_one(),
                    None => reconcile(&ctx, &cancel, &report, &mut workers).await,
                },
                Ok(ClusterChange::Deleted(id)) => {
                    if let Some(worker) = workers.remove(&id) {
                        stop(id, worker).await;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => feed_open = false,
            },
        }
    }
    for (id, worker) in workers {
        stop(id, worker).await;
    }
    tracing::info!("inventory workers stopped");
}

/// Starts a worker for every cluster that has none and stops those whose cluster is
/// gone. A database failure leaves the workers as they are until the next attempt.
async fn reconcile(
    ctx: &Arc<Context>,
    cancel: &CancellationToken,
    report: &WorkerContext,
    workers: &mut HashMap<Uuid, Worker>,
) {
    workers.retain(|_, worker| !worker.task.is_finished());
    let clusters = match ctx.clusters.all().await {
        Ok(clusters) => clusters,
        Err(error) => {
            tracing::warn!(%error, "cannot list clusters; inventory workers unchanged");
            return;
        }
    };
    let wanted: Vec<Uuid> = clusters.iter().map(|c| c.id).collect();
    let gone: Vec<Uuid> = workers
        .keys()
        .filter(|id| !wanted.contains(id))
        .copied()
        .collect();
    for id in gone {
        if let Some(worker) = workers.remove(&id) {
            stop(id, worker).await;
        }
    }
    for cluster in clusters {
        if workers.contains_key(&cluster.id) {
            continue;
        }
        // A cluster whose creation is still being completed has no secret yet; its
        // `Updated` announcement (or the next reconcile) starts it.
        if cluster.config.secret_ciphertext.is_empty() {
            continue;
        }
        let worker_cancel = cancel.child_token();
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(worker::run(
            ctx.clone(),
            cluster.id,
            worker_cancel.clone(),
            wake.clone(),
            report.clone(),
        ));
        tracing::info!(cluster = %cluster.id, name = %cluster.config.name, "inventory worker started");
        workers.insert(
            cluster.id,
            Worker {
                cancel: worker_cancel,
                wake,
                task,
            },
        );
    }
}

async fn stop(id: Uuid, worker: Worker) {
    worker.cancel.cancel();
    if let Err(error) = worker.task.await
        && error.is_panic()
    {
        tracing::error!(cluster = %id, %error, "inventory worker panicked");
    }
}
