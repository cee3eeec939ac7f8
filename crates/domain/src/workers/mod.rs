//! Background workers: everything that runs on its own rather than per request —
//! the inventory poller today; metrics collection, schedulers, retention and alert
//! evaluation next.
//!
//! One [`Supervisor`] starts them all, stops them on shutdown, restarts one that fails
//! (an `Err` or a panic) after an exponential back-off, and keeps each one's
//! [`WorkerState`] for `GET /api/v1/system/workers` and `/readyz`.
//!
//! **Adding a worker**: implement [`BackgroundWorker`] (or wrap an interval and an
//! async tick in [`Periodic`]) and add it in your feature's `register`. Choose its
//! [`WorkerScope`]:
//! - [`WorkerScope::Deployment`] for work that must happen once however many replicas
//!   run (polling Proxmox, firing schedules, pruning history): on PostgreSQL the
//!   supervisor elects one replica per worker with an advisory lock
//!   (`Store::coordination`) and cancels the worker at once if the lock's connection
//!   is lost, while another replica takes over within one election interval; on SQLite
//!   it simply runs.
//! - [`WorkerScope::Replica`] for work every replica does for itself (relaying events to
//!   its own browsers, local caches).
//!
//! A worker runs until its [`WorkerContext`] is cancelled, reporting each round with
//! [`WorkerContext::record_run`] so its state shows when it last ran and will run next.

mod context;
mod periodic;
mod slot;
mod supervisor;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use proxicloud_store::Timestamp;
use serde::Serialize;

pub use context::WorkerContext;
pub use periodic::Periodic;
pub(crate) use supervisor::StoreCoordination;
pub use supervisor::{Supervisor, SupervisorConfig, SupervisorHandle, WorkerStates};

/// Where a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerScope {
    /// Once per deployment: on the replica elected for it (on PostgreSQL).
    Deployment,
    /// On every replica.
    Replica,
}

#[async_trait]
pub trait BackgroundWorker: Send + Sync + 'static {
    /// Stable and unique, e.g. `inventory`, `events.relay`: it names the worker in its
    /// state and (for deployment workers) its lock, so it must be the same on every
    /// replica and across versions.
    fn name(&self) -> &str;
    fn scope(&self) -> WorkerScope;
    /// Runs until `ctx` is cancelled, then returns `Ok(())`. An `Err`, a panic, or
    /// returning before cancellation is recorded and the worker is started again
    /// after a back-off.
    async fn run(&self, ctx: WorkerContext) -> Result<(), String>;
}

/// What a worker is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    Running,
    /// A deployment worker another replica runs (or the election cannot be held:
    /// the database is unreachable); this replica retries every election interval.
    Standby,
    /// Failed; starts again at `next_run`.
    BackingOff,
    /// Shut down.
    Stopped,
}

/// One worker as seen by this replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerState {
    pub name: String,
    pub scope: WorkerScope,
    pub status: WorkerStatus,
    /// Whether this replica holds the worker's election (always for `Replica` workers
    /// while running).
    pub leader: bool,
    /// The end of the last round the worker reported.
    pub last_run: Option<Timestamp>,
    /// The last failure, whether of a round or of the worker itself; kept after
    /// recovery so an admin sees what happened (compare `last_error_at` and `last_run`).
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
    /// When the next round (or the restart, when backing off) is due, if known.
    pub next_run: Option<Timestamp>,
    /// How many times the supervisor restarted the worker after a failure.
    pub restarts: u32,
}

impl WorkerState {
    fn new(name: &str, scope: WorkerScope) -> Self {
        Self {
            name: name.to_owned(),
            scope,
            status: WorkerStatus::Standby,
            leader: false,
            last_run: None,
            last_error: None,
            last_error_at: None,
            next_run: None,
            restarts: 0,
        }
    }
}
