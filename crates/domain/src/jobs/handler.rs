//! What a kind of job does: a handler runs its steps one at a time.
//!
//! The engine calls [`JobHandler::run_step`] for each step that has not succeeded
//! yet, in order, checkpointing before and after. A step may be run more than once:
//! after a crash the job is resumed at the step that was running, and after a
//! transient failure the step is retried. So every step must be idempotent — it
//! first finds out what an earlier attempt already did (a reservation row, a guest
//! carrying the job's marker, a recorded UPID) and only then acts.
//!
//! A step that fans out (an app deploy: guest, then configuration, then DNS; a
//! backup run: one child per instance) starts child jobs with
//! [`JobRun::spawn_child`] under keys of its choosing and then returns
//! `run.wait_for_children().await?`: the first time, the job is parked until they
//! end; the next time (the step runs again from its start, spawning nothing twice)
//! it gets every child's outcome and decides what a failed one means. Jobs the system
//! starts (schedules, retention, …) are submitted with `JobActor::System`, and
//! `NewJob::run_after` delays a job; a cancelled job runs [`JobHandler::compensate`]
//! for the step it did not run.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::PveError;
use proxicloud_store::StoreError;

use super::run::JobRun;

/// Why a step did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The step cannot succeed: the job fails with this text (for a failed Proxmox
    /// task, its exit status and log tail verbatim).
    Failed(String),
    /// Worth retrying the same step later (Proxmox unreachable, a database hiccup).
    Transient(String),
    /// Stop working on this job now without finishing it: the lease was lost to another
    /// worker, a checkpoint could not be written, or the process is shutting down. The
    /// job's checkpoints tell whoever resumes it where to continue.
    Interrupted(Interruption),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// Graceful shutdown: the job is handed back to the queue.
    Shutdown,
    /// Another worker holds the job now (our lease expired).
    LeaseLost,
    /// A checkpoint failed to save; the lease will expire and someone resumes it.
    CheckpointFailed,
    /// The step waits for child jobs ([`JobRun::wait_for_children`]): the job is parked
    /// without a worker and the same step runs again once every child has ended.
    WaitingForChildren,
}

impl StepError {
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }
}

/// Proxmox errors: a failed task becomes PVE's own text; outages are transient;
/// anything else (PVE refused the request) is a failure with PVE's message.
impl From<PveError> for StepError {
    fn from(error: PveError) -> Self {
        match error {
            PveError::TaskFailed {
                exitstatus,
                log_tail,
                ..
            } => StepError::Failed(task_failure_text(&exitstatus, &log_tail)),
            error if error.is_transient() => StepError::Transient(error.to_string()),
            error => StepError::Failed(error.to_string()),
        }
    }
}

/// A failed task reads as PVE shows it: the exit status, then the end of its log.
pub fn task_failure_text(exitstatus: &str, log_tail: &[String]) -> String {
    let mut text = exitstatus.trim_end().to_owned();
    for line in log_tail {
        text.push('\n');
        text.push_str(line);
    }
    text
}

/// Database failures inside a step are retried: the step is idempotent, and if the
/// database stays down the next checkpoint fails and the job is left for later.
impl From<StoreError> for StepError {
    fn from(error: StoreError) -> Self {
        StepError::Transient(format!("{DATABASE_OUTAGE}{error}"))
    }
}

/// How a transient failure of the database starts (every other one is Proxmox's).
const DATABASE_OUTAGE: &str = "database: ";

/// What a transient failure could not reach, in words for the job's owner: its text
/// (node addresses, OS errors) is for the server log, where each retry puts it.
pub(super) fn unreachable_part(message: &str) -> &'static str {
    if message.starts_with(DATABASE_OUTAGE) {
        "the database"
    } else {
        "Proxmox VE"
    }
}

#[async_trait]
pub trait JobHandler: Send + Sync {
    /// Runs the step named `step` (the job's `current_step`). Record progress with
    /// [`JobRun::checkpoint`] / [`JobRun::record_upid`] as soon as a side effect has
    /// happened, so a resumed run can find it.
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError>;

    /// Undoes what the job did before `failed_step` failed, where leaving it would
    /// harm (e.g. a half-made guest). Also called when the job is cancelled, with the
    /// step it was about to run. Called again if the process dies while compensating,
    /// so it must be idempotent too. The default does nothing.
    async fn compensate(&self, run: &mut JobRun<'_>, failed_step: &str) -> Result<(), StepError> {
        let _ = (run, failed_step);
        Ok(())
    }
}

/// Handlers by job kind (`instance.create`, …).
#[derive(Clone, Default)]
pub struct JobHandlers {
    by_kind: HashMap<String, Arc<dyn JobHandler>>,
}

impl JobHandlers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, kind: impl Into<String>, handler: Arc<dyn JobHandler>) -> &mut Self {
        self.by_kind.insert(kind.into(), handler);
        self
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.by_kind.get(kind).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxicloud_pve::Upid;

    #[test]
    fn failed_tasks_keep_pves_exit_status_and_log_verbatim() {
        let upid: Upid = "UPID:pve1:00001234:00005678:65A1B2C3:vzcreate:101:root@pam:"
            .parse()
            .unwrap();
        let error = PveError::TaskFailed {
            upid: Box::new(upid),
            exitstatus: "unable to create CT 101 - no space left".into(),
            log_tail: vec![
                "extracting archive".into(),
                "TASK ERROR: unable to create CT 101 - no space left".into(),
            ],
        };
        assert_eq!(
            StepError::from(error),
            StepError::Failed(
                "unable to create CT 101 - no space left\nextracting archive\nTASK ERROR: unable to create CT 101 - no space left"
                    .into()
            )
        );
    }

    #[test]
    fn outages_are_retried_refusals_are_not() {
        let down = PveError::Unreachable {
            attempts: vec!["10.0.0.1: refused".into()],
        };
        assert!(matches!(StepError::from(down), StepError::Transient(_)));
        let refused = PveError::Conflict {
            message: "CT 101 already running".into(),
        };
        assert!(
            matches!(StepError::from(refused), StepError::Failed(m) if m.contains("already running"))
        );
    }
}
