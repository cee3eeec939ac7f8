//! Starting and stopping every worker, and reading their states.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use proxicloud_store::{Coordination, Leadership, Listener, Store};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::context::{Record, SharedRecord};
use super::slot::{self, Slot};
use super::{BackgroundWorker, WorkerState};

#[derive(Debug, Clone, Copy)]
pub struct SupervisorConfig {
    /// The wait before the first restart of a failed worker; doubles per consecutive
    /// failure up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// "One interval" of the election: how often a standby replica tries to take a
    /// deployment worker over, and how often the leader checks that it still holds it.
    /// A dead leader is replaced within about this long.
    pub election_interval: Duration,
    /// How long shutdown waits for a worker to return after cancelling it before
    /// aborting its task.
    pub shutdown_grace: Duration,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            election_interval: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

pub struct Supervisor;

impl Supervisor {
    /// Starts every worker at once (deployment workers on PostgreSQL first contend for
    /// their election). Needs a Tokio runtime.
    pub fn start(
        store: Arc<dyn Store>,
        workers: Vec<Arc<dyn BackgroundWorker>>,
        config: SupervisorConfig,
    ) -> SupervisorHandle {
        Self::start_with(Arc::new(StoreCoordination(store)), workers, config)
    }

    /// [`Supervisor::start`] with the elections held on `coordination` (tests).
    pub(super) fn start_with(
        coordination: Arc<dyn Coordination>,
        workers: Vec<Arc<dyn BackgroundWorker>>,
        config: SupervisorConfig,
    ) -> SupervisorHandle {
        let shutdown = CancellationToken::new();
        let mut records = Vec::with_capacity(workers.len());
        let mut tasks = Vec::with_capacity(workers.len());
        for worker in workers {
            let record: SharedRecord = Arc::new(Mutex::new(Record {
                state: WorkerState::new(worker.name(), worker.scope()),
                consecutive_failures: 0,
            }));
            records.push(record.clone());
            let slot = Slot {
                worker,
                coordination: coordination.clone(),
                config,
                record,
                shutdown: shutdown.clone(),
            };
            tasks.push(tokio::spawn(slot::supervise(slot)));
        }
        SupervisorHandle {
            shutdown,
            records,
            tasks,
        }
    }
}

/// The running workers. Dropping it without [`SupervisorHandle::shutdown`] leaves them
/// running until the runtime stops.
pub struct SupervisorHandle {
    shutdown: CancellationToken,
    records: Vec<SharedRecord>,
    tasks: Vec<JoinHandle<()>>,
}

impl SupervisorHandle {
    /// Every worker's state, in the order the workers were given.
    pub fn states(&self) -> Vec<WorkerState> {
        self.records
            .iter()
            .map(|r| r.lock().state.clone())
            .collect()
    }

    /// A cheap clonable reader of the states, for holders that must not own the
    /// handle (the API state, `/readyz`).
    pub fn states_reader(&self) -> WorkerStates {
        WorkerStates(self.records.clone())
    }

    /// Cancels every worker and waits for them (each at most the shutdown grace).
    /// Deployment workers give their election up.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "worker supervision ended abnormally");
            }
        }
    }
}

/// Reads the workers' states without owning them; see [`SupervisorHandle::states_reader`].
#[derive(Clone, Default)]
pub struct WorkerStates(Vec<SharedRecord>);

impl WorkerStates {
    pub fn states(&self) -> Vec<WorkerState> {
        self.0.iter().map(|r| r.lock().state.clone()).collect()
    }
}

/// The store's coordination, owned (the store hands it out only by reference).
pub(crate) struct StoreCoordination(pub(crate) Arc<dyn Store>);

#[async_trait]
impl Coordination for StoreCoordination {
    async fn try_lead(&self, name: &str) -> proxicloud_store::Result<Option<Box<dyn Leadership>>> {
        self.0.coordination().try_lead(name).await
    }

    async fn notify(&self, channel: &str, payload: &str) -> proxicloud_store::Result<()> {
        self.0.coordination().notify(channel, payload).await
    }

    async fn listen(&self, channel: &str) -> proxicloud_store::Result<Box<dyn Listener>> {
        self.0.coordination().listen(channel).await
    }
}
