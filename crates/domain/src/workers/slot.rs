//! The life of one worker: win its election (deployment workers), run it, watch the
//! lease, restart it after a failure, stop it on shutdown.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{Coordination, Leadership, Timestamp};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::context::{SharedRecord, WorkerContext};
use super::{BackgroundWorker, SupervisorConfig, WorkerScope, WorkerStatus};

pub(super) struct Slot {
    pub(super) worker: Arc<dyn BackgroundWorker>,
    pub(super) coordination: Arc<dyn Coordination>,
    pub(super) config: SupervisorConfig,
    pub(super) record: SharedRecord,
    pub(super) shutdown: CancellationToken,
}

/// How one run of the worker ended.
enum Ending {
    /// Shutdown, and the worker returned (or was aborted after the grace).
    Stopped,
    /// The election was lost; the worker has been stopped.
    LostLease,
    Failed(String),
}

pub(super) async fn supervise(slot: Slot) {
    let name = slot.worker.name().to_owned();
    loop {
        let lease = match slot.worker.scope() {
            WorkerScope::Replica => None,
            WorkerScope::Deployment => match elect(&slot).await {
                Some(lease) => Some(lease),
                None => break,
            },
        };
        slot.update(|s| {
            s.status = WorkerStatus::Running;
            s.leader = true;
            s.next_run = None;
        });
        tracing::info!(worker = %name, "worker started");
        let started = Instant::now();
        match run_once(&slot, lease).await {
            Ending::Stopped => break,
            Ending::LostLease => {
                tracing::warn!(worker = %name, "lost the election; worker stopped");
                slot.update(|s| {
                    s.status = WorkerStatus::Standby;
                    s.leader = false;
                });
            }
            Ending::Failed(error) => {
                tracing::error!(worker = %name, %error, "worker failed; restarting after a back-off");
                let delay = slot.record_failure(error, started.elapsed());
                tokio::select! {
                    () = slot.shutdown.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    slot.update(|s| {
        s.status = WorkerStatus::Stopped;
        s.leader = false;
        s.next_run = None;
    });
    tracing::info!(worker = %name, "worker stopped");
}

/// Contends until elected; `None` on shutdown.
async fn elect(slot: &Slot) -> Option<Box<dyn Leadership>> {
    let name = slot.worker.name();
    let every = slot.config.election_interval;
    loop {
        if slot.shutdown.is_cancelled() {
            return None;
        }
        match slot.coordination.try_lead(name).await {
            Ok(Some(lease)) => return Some(lease),
            Ok(None) => {}
            Err(error) => tracing::warn!(worker = %name, %error, "cannot hold the election"),
        }
        slot.update(|s| {
            s.status = WorkerStatus::Standby;
            s.leader = false;
            s.next_run = None;
        });
        tokio::select! {
            () = slot.shutdown.cancelled() => return None,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Runs the worker in its own task (so a panic is caught by its `JoinHandle`) until it
/// ends, shutdown, or — with a lease — the lease is lost.
async fn run_once(slot: &Slot, mut lease: Option<Box<dyn Leadership>>) -> Ending {
    let cancel = slot.shutdown.child_token();
    let ctx = WorkerContext::new(cancel.clone(), slot.record.clone());
    let worker = slot.worker.clone();
    let mut task = tokio::spawn(async move { worker.run(ctx).await });
    let every = slot.config.election_interval;
    let mut check = tokio::time::interval_at(Instant::now() + every, every);
    loop {
        tokio::select! {
            joined = &mut task => return ended(slot, joined),
            () = slot.shutdown.cancelled() => {
                stop(slot, task).await;
                return Ending::Stopped;
            }
            _ = check.tick(), if lease.is_some() => {
                let Some(held) = lease.as_mut() else { continue };
                // A hung check (a cut-off network) counts as lost: the database may
                // already have given the lock to another replica.
                let holds = tokio::time::timeout(every, held.still_leading()).await.unwrap_or(false);
                if !holds {
                    cancel.cancel();
                    stop(slot, task).await;
                    return Ending::LostLease;
                }
            }
        }
    }
}

fn ended(slot: &Slot, joined: Result<Result<(), String>, tokio::task::JoinError>) -> Ending {
    match joined {
        Ok(Ok(())) if slot.shutdown.is_cancelled() => Ending::Stopped,
        Ok(Ok(())) => Ending::Failed("ended without being stopped".into()),
        Ok(Err(error)) => Ending::Failed(error),
        Err(error) => Ending::Failed(describe_join_error(error)),
    }
}

/// Waits for a cancelled worker, aborting it after the shutdown grace.
async fn stop(slot: &Slot, mut task: JoinHandle<Result<(), String>>) {
    let name = slot.worker.name();
    match tokio::time::timeout(slot.config.shutdown_grace, &mut task).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => {
            tracing::warn!(worker = %name, %error, "worker failed while stopping")
        }
        Ok(Err(error)) => {
            tracing::error!(worker = %name, error = %describe_join_error(error), "worker panicked while stopping")
        }
        Err(_) => {
            tracing::error!(worker = %name, "worker ignored its cancellation; aborted");
            task.abort();
            let _ = task.await;
        }
    }
}

fn describe_join_error(error: tokio::task::JoinError) -> String {
    if !error.is_panic() {
        return "cancelled".into();
    }
    let payload = error.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    format!("panicked: {message}")
}

impl Slot {
    fn update(&self, change: impl FnOnce(&mut super::WorkerState)) {
        change(&mut self.record.lock().state);
    }

    /// Records a failed run; returns the back-off before the restart.
    fn record_failure(&self, error: String, ran_for: Duration) -> Duration {
        let mut record = self.record.lock();
        // A worker that ran for longer than the longest back-off was healthy for a
        // while: start the back-off over.
        if ran_for >= self.config.max_backoff {
            record.consecutive_failures = 0;
        }
        let delay = backoff(
            self.config.initial_backoff,
            self.config.max_backoff,
            record.consecutive_failures,
        );
        record.consecutive_failures = record.consecutive_failures.saturating_add(1);
        let now = Timestamp::now();
        let state = &mut record.state;
        state.status = WorkerStatus::BackingOff;
        state.leader = false;
        state.last_error = Some(error);
        state.last_error_at = Some(now);
        state.next_run = Some(now + delay);
        state.restarts = state.restarts.saturating_add(1);
        delay
    }
}

/// `initial` doubled per earlier consecutive failure, at most `max`.
pub(super) fn backoff(initial: Duration, max: Duration, earlier_failures: u32) -> Duration {
    initial
        .saturating_mul(2u32.saturating_pow(earlier_failures.min(20)))
        .min(max)
}
