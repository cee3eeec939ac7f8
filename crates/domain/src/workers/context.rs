//! What a running worker gets from the supervisor: its cancellation and a place to
//! report its rounds.

use std::sync::Arc;

use parking_lot::Mutex;
use proxicloud_store::Timestamp;
use tokio_util::sync::CancellationToken;

use super::WorkerState;

/// The state of one worker plus what only the supervisor needs.
#[derive(Debug)]
pub(super) struct Record {
    pub(super) state: WorkerState,
    /// Failures since the last successful round; sets the back-off.
    pub(super) consecutive_failures: u32,
}

pub(super) type SharedRecord = Arc<Mutex<Record>>;

#[derive(Clone)]
pub struct WorkerContext {
    cancel: CancellationToken,
    record: SharedRecord,
}

impl WorkerContext {
    pub(super) fn new(cancel: CancellationToken, record: SharedRecord) -> Self {
        Self { cancel, record }
    }

    /// A context outside any supervisor, for running a worker directly (tests, tools):
    /// it is cancelled through `cancel` and its reports go nowhere.
    pub fn detached(cancel: CancellationToken) -> Self {
        let record = Record {
            state: WorkerState::new("detached", super::WorkerScope::Replica),
            consecutive_failures: 0,
        };
        Self::new(cancel, Arc::new(Mutex::new(record)))
    }

    /// Resolves when the worker must stop (shutdown, or lost election).
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// A token cancelled with this context, for tasks the worker spawns itself (which
    /// it must still join before returning).
    pub fn child_token(&self) -> CancellationToken {
        self.cancel.child_token()
    }

    /// Reports a finished round: its outcome and when the next is due. An `Err` is
    /// shown as the worker's last error but does not restart it; a successful round
    /// resets the restart back-off.
    pub fn record_run(&self, result: Result<(), String>, next_run: Option<Timestamp>) {
        let now = Timestamp::now();
        let mut record = self.record.lock();
        record.state.last_run = Some(now);
        record.state.next_run = next_run;
        match result {
            Ok(()) => record.consecutive_failures = 0,
            Err(error) => {
                record.state.last_error = Some(error);
                record.state.last_error_at = Some(now);
            }
        }
    }
}
