//! The job engine: N workers that claim jobs from the store and run their steps.
//!
//! # Crash safety
//! A claimed job carries a lease (`lease_until`) that its worker extends at every
//! checkpoint — including every third of the lease while it waits on a Proxmox task.
//! If the process dies, the lease runs out and `claim_next` hands the job to another
//! worker (PostgreSQL: possibly another replica), which resumes at the step that was
//! running; steps find what an earlier attempt did before acting (see `handler.rs`).
//!
//! # SQLite start-up
//! On SQLite exactly one `serve` process owns the database, so when the engine starts
//! every job still `running` was claimed by a process that is gone. Each engine has a
//! per-boot id that prefixes its worker ids (`<boot id>/w<n>`); before its workers
//! claim anything, the engine releases every running job claimed under another boot id
//! back to the queue (`JobRepo::release`, which keeps steps and UPID), so they resume
//! at once instead of after their lease. On PostgreSQL other replicas may be alive, so
//! only expired leases are taken over.
//!
//! # Cancellation
//! `JobQueue::cancel` (the store's `request_cancel`) ends a job nobody has started
//! at once; a started one only gets `cancel_requested_at`, which its worker sees in
//! the row every checkpoint returns. Before each step the worker checks it; if set,
//! it runs the handler's `compensate` for the step it was about to run (undoing what
//! the steps before it did) and ends the job `Cancelled` with the canceller's reason.
//! A crash during that compensation is like any crash: whoever claims the job next
//! sees the request and compensates again (compensation is idempotent).
//!
//! # Child jobs
//! A step starts children with `JobRun::spawn_child` (idempotent per parent and key:
//! the store's unique index) and calls `JobRun::wait_for_children`. While a child is
//! unfinished the worker *parks* the parent (`Waiting`: no worker, no lease) and
//! moves on, so parents never hold the worker slots their children need. The
//! transaction that ends a parent's last unfinished child (`finish`, or a cancel)
//! queues the parent again; a worker claims it, re-runs the same step (spawning is
//! idempotent, so nothing is created twice) and this time `wait_for_children`
//! returns every child's outcome for the step to judge. Each point is crash-safe:
//! - killed after spawning, before parking: the parent's lease expires (SQLite:
//!   start-up releases it), the step re-runs and finds its children;
//! - killed while parked: nothing holds the parent; the children are resumed like
//!   any job and the last one's end re-queues it;
//! - parking and a last child ending at the same time: both lock the parent row
//!   first, so one of them sees the other (see the store's `job_tree.rs`).
//!
//! # run_after
//! `claim_next` skips a job before its `run_after`; an idle worker sleeps until the
//! earlier of its idle poll and the earliest `run_after` (the store's
//! `next_run_after`), so a scheduled job starts on time, not a poll later.
//!
//! # Graceful shutdown
//! [`JobEngine::shutdown`] stops claiming; a running step continues to its next
//! checkpoint (a wait on a Proxmox task is interrupted right away, its UPID being
//! recorded), the job is released to the queue, and the workers exit.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{Backend, Job, JobFilter, JobStatus, PageRequest, Store, Timestamp, Uuid};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::handler::JobHandlers;
use super::queue::JobQueue;
use super::view::JobView;
use super::worker::run_job;
use crate::error::DomainResult;
use crate::events::{Audience, EventBus};

/// Where the engine reads the time (tests move it forward to expire leases).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(Timestamp::now))
    }

    /// The system time shifted by `offset` (a process "in the future").
    pub fn ahead_by(offset: Duration) -> Self {
        Self(Arc::new(move || Timestamp::now() + offset))
    }

    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Concurrent jobs per process; 0 runs none (another replica does).
    pub workers: usize,
    /// How long a claim holds without a checkpoint before another worker may take over.
    pub lease: Duration,
    /// How often an idle worker looks for jobs whose lease expired (new jobs wake it).
    pub idle_poll: Duration,
    /// How often a Proxmox task's status is polled.
    pub task_poll: Duration,
    /// Give up on a Proxmox task after this long.
    pub task_timeout: Duration,
    /// Retries of a step that failed transiently (Proxmox unreachable) before the job fails.
    pub transient_retries: u32,
    /// First pause between such retries; doubles each time, up to a third of the lease.
    pub retry_backoff: Duration,
    pub clock: Clock,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_secs(2),
            task_poll: Duration::from_secs(1),
            task_timeout: Duration::from_secs(3600),
            transient_retries: 8,
            retry_backoff: Duration::from_secs(1),
            clock: Clock::system(),
        }
    }
}

/// Set once, observed by every worker.
#[derive(Clone)]
pub(super) struct ShutdownSignal(watch::Receiver<bool>);

impl ShutdownSignal {
    pub(super) fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once shutdown is requested (immediately if it already was).
    pub(super) async fn wait(&self) {
        let mut receiver = self.0.clone();
        // An error means the engine is gone: as good as a shutdown.
        let _ = receiver.wait_for(|set| *set).await;
    }
}

/// What every worker shares.
pub(super) struct Shared {
    pub(super) store: Arc<dyn Store>,
    pub(super) events: Arc<EventBus>,
    pub(super) handlers: JobHandlers,
    pub(super) config: EngineConfig,
    pub(super) shutdown: ShutdownSignal,
    pub(super) wake: Arc<Notify>,
}

impl Shared {
    /// `job.updated` to the job's owner (and admins).
    pub(super) fn publish(&self, job: &Job) {
        publish_job(&self.events, job);
    }
}

pub(crate) fn publish_job(events: &EventBus, job: &Job) {
    let data = serde_json::to_value(JobView::from(job)).expect("job views serialise");
    // System jobs and a deleted user's have no owner: admins only.
    events.publish(
        "job.updated",
        Audience::Owner(job.owner_id.map(|id| id.to_string())),
        data,
    );
}

pub struct JobEngine {
    boot_id: String,
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
}

impl JobEngine {
    /// Releases jobs orphaned by a previous process (SQLite, see the module docs) and
    /// starts `config.workers` workers.
    pub async fn start(
        queue: &JobQueue,
        handlers: JobHandlers,
        config: EngineConfig,
    ) -> DomainResult<Self> {
        let boot_id = format!("boot-{}", Uuid::now_v7().simple());
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            store: queue.store().clone(),
            events: queue.events().clone(),
            handlers,
            config,
            shutdown: ShutdownSignal(stopped),
            wake: queue.wake().clone(),
        });
        if shared.store.backend() == Backend::Sqlite {
            let released = release_orphans(&shared, &boot_id).await?;
            if released > 0 {
                tracing::info!(released, "resuming jobs left running by a previous process");
            }
        }
        // 0 is a replica that only queues jobs for the others.
        let workers = (0..shared.config.workers)
            .map(|n| {
                let worker_id = format!("{boot_id}/w{n}");
                tokio::spawn(worker_loop(shared.clone(), worker_id))
            })
            .collect();
        Ok(Self {
            boot_id,
            stop,
            workers,
        })
    }

    /// Prefix of this engine's worker ids (`claimed_by`).
    pub fn boot_id(&self) -> &str {
        &self.boot_id
    }

    /// Kills the workers where they are, like `kill -9` would (tests).
    #[cfg(test)]
    pub(crate) fn abort(self) {
        for worker in self.workers {
            worker.abort();
        }
    }

    /// Stops claiming, lets running steps reach a checkpoint, hands their jobs back to
    /// the queue, and waits for the workers to exit.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for worker in self.workers {
            if let Err(error) = worker.await {
                tracing::error!(%error, "job worker ended abnormally");
            }
        }
    }
}

/// Releases running jobs claimed under any other boot id. Only correct when no other
/// process can be working on them (SQLite).
async fn release_orphans(shared: &Shared, boot_id: &str) -> DomainResult<usize> {
    let jobs = shared.store.jobs();
    let filter = JobFilter {
        owner_id: None,
        status: Some(JobStatus::Running),
        ..JobFilter::default()
    };
    let mut orphans = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let found = jobs.list(&filter, page).await?;
        orphans.extend(found.items.into_iter().filter(|job| {
            job.claimed_by
                .as_deref()
                .is_some_and(|worker| !worker.starts_with(&format!("{boot_id}/")))
        }));
        match found.next {
            Some(cursor) => page = PageRequest::after(cursor, 500),
            None => break,
        }
    }
    let count = orphans.len();
    for job in orphans {
        let worker = job.claimed_by.as_deref().unwrap_or_default();
        match jobs
            .release(job.id, worker, shared.config.clock.now())
            .await
        {
            Ok(released) => shared.publish(&released),
            // Finished or released meanwhile: nothing to recover.
            Err(error) => tracing::debug!(job = %job.id, %error, "orphaned job not released"),
        }
    }
    Ok(count)
}

async fn worker_loop(shared: Arc<Shared>, worker_id: String) {
    tracing::debug!(worker = %worker_id, "job worker started");
    while !shared.shutdown.is_set() {
        let claimed = shared
            .store
            .jobs()
            .claim_next(&worker_id, shared.config.clock.now(), shared.config.lease)
            .await;
        match claimed {
            Ok(Some(job)) => {
                tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, worker = %worker_id, "job claimed");
                shared.publish(&job);
                run_job(&shared, &worker_id, job).await;
            }
            Ok(None) => idle(&shared).await,
            Err(error) => {
                tracing::warn!(%error, worker = %worker_id, "cannot claim jobs");
                idle(&shared).await;
            }
        }
    }
    tracing::debug!(worker = %worker_id, "job worker stopped");
}

/// Until a job is submitted, the poll interval passes (expired leases), the earliest
/// `run_after` is due, or shutdown.
async fn idle(shared: &Shared) {
    let pause = until_next_run_after(shared)
        .await
        .map_or(shared.config.idle_poll, |due| {
            due.min(shared.config.idle_poll)
        });
    tokio::select! {
        () = shared.wake.notified() => {}
        () = tokio::time::sleep(pause) => {}
        () = shared.shutdown.wait() => {}
    }
}

/// How long until the earliest queued job's `run_after` (by the engine's clock).
async fn until_next_run_after(shared: &Shared) -> Option<Duration> {
    let now = shared.config.clock.now();
    match shared.store.jobs().next_run_after(now).await {
        Ok(next) => next.map(|due| {
            let micros = due.unix_micros().saturating_sub(now.unix_micros());
            Duration::from_micros(micros.max(0) as u64)
        }),
        Err(error) => {
            tracing::warn!(%error, "cannot read the next scheduled job");
            None
        }
    }
}
