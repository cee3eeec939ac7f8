//! Durable jobs: every long operation (create, power actions, terminate, …) is a row
//! in the `jobs` table with ordered steps, run by the [`JobEngine`]'s workers.
//!
//! - Services queue work with [`JobQueue::submit`] and answer `202 {job}` at once.
//! - Each job kind has a [`JobHandler`] whose steps are idempotent; the engine
//!   checkpoints before and after each step (steps, progress, the Proxmox UPID being
//!   waited on), extends the lease while waiting, retries transient failures, runs
//!   compensation when a step fails, and publishes `job.updated` on every checkpoint.
//! - [`JobService`] reads jobs for the API under the ownership rules.
//!
//! Crash recovery, SQLite start-up and shutdown are described in `engine.rs`.

mod engine;
mod handler;
pub(crate) mod pve_task;
mod queue;
mod run;
mod view;
pub(crate) mod vmids;
mod worker;

#[cfg(test)]
pub(crate) mod tests;

pub use engine::{Clock, EngineConfig, JobEngine};
pub use handler::{Interruption, JobHandler, JobHandlers, StepError, task_failure_text};
pub use queue::{
    JobListQuery, JobQueue, JobService, MAX_IDEMPOTENCY_KEY_LEN, Submitted, check_idempotency_key,
};
pub use run::JobRun;
pub use view::{ActorView, JobView, StepView};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`JobService`] (job reads) and the [`JobQueue`] (submitting and
/// cancelling). The engine itself is started by `app::Services::start` with every
/// feature's handlers.
pub fn register(registry: &mut Registry, platform: &Platform) {
    registry.provide(Arc::new(JobService::new(platform.store.clone())));
    registry.provide(Arc::new(platform.queue.clone()));
}
