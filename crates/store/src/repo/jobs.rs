//! Durable jobs: rows with steps, claimed by workers under a lease.
//!
//! A job is started by a user or by the system ([`JobActor`]); its row outlives the
//! user (`owner_id` becomes `None`, the actor keeps the id and name). A job may wait
//! for a time (`run_after`), be asked to stop (`request_cancel`), and start child jobs
//! (`NewJob::parent`): a parent parks in `Waiting` (`wait_for_children`) without
//! holding a worker, and the store re-queues it in the transaction that ends its last
//! unfinished child (`finish` or `request_cancel`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, Timestamp};

/// The key of a job's `params` object under which a job carries secrets it needs for
/// a while (sealed by the domain, e.g. a generated root password until the guest is
/// created). The store removes it when the job ends — finished, failed or cancelled —
/// and when its worker says it is no longer needed ([`JobRepo::drop_sealed`]), so no
/// secret outlives its use in the jobs table.
pub const SEALED_PARAMS: &str = "sealed";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    /// A parent parked until its children have ended; no worker holds it.
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Waiting => "waiting",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Waiting,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| format!("unknown job status '{text}'"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

/// One step of a job, stored inside the job's `steps` JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStep {
    pub name: String,
    pub status: StepStatus,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Progress text, or the error (e.g. Proxmox's task exit status) of a failed step.
    pub detail: Option<String>,
}

impl JobStep {
    pub fn pending(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status: StepStatus::Pending,
            started_at: None,
            finished_at: None,
            detail: None,
        }
    }
}

/// Who started a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobActor {
    /// A user (kept after the user is deleted; see [`Job::owner_id`]).
    User(Uuid),
    /// The system, e.g. `scheduler` or `retention`: no user clicked anything.
    System { name: String },
}

impl JobActor {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            JobActor::User(id) => Some(*id),
            JobActor::System { .. } => None,
        }
    }
}

/// Where a child job hangs: its parent and its name among the parent's children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildOf {
    pub parent_id: Uuid,
    /// Creating a child with a key its parent already used returns that child.
    pub key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: Uuid,
    /// What to do, e.g. `instance.create`; the domain maps it to a handler.
    pub kind: String,
    pub status: JobStatus,
    pub actor: JobActor,
    /// The user's name when the job was created, or the system actor's name.
    pub actor_name: String,
    /// The user who started it while that user exists: `None` for system jobs and
    /// once the user is deleted.
    pub owner_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// The key it was spawned under (children only).
    pub child_key: Option<String>,
    /// Not started before this time.
    pub run_after: Option<Timestamp>,
    /// Someone asked it to stop; the worker stops at its next step boundary.
    pub cancel_requested_at: Option<Timestamp>,
    /// Who cancelled it and why (also the `error` of the cancelled job).
    pub cancel_reason: Option<String>,
    /// What it acts on, e.g. `instance` and the guest id.
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub params: serde_json::Value,
    pub steps: Vec<JobStep>,
    /// Index into `steps` of the step being (or last) run.
    pub current_step: u32,
    /// 0..=100.
    pub progress: u8,
    pub error: Option<String>,
    /// The Proxmox task being waited on, to resume waiting after a restart.
    pub pve_upid: Option<String>,
    pub idempotency_key: Option<String>,
    /// How many times a worker claimed it (more than 1: resumed after a crash).
    pub attempts: u32,
    pub claimed_by: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

impl Job {
    /// Started by a user who has since been deleted.
    pub fn actor_deleted(&self) -> bool {
        matches!(self.actor, JobActor::User(_)) && self.owner_id.is_none()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub actor: JobActor,
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub params: serde_json::Value,
    pub steps: Vec<JobStep>,
    /// From the `Idempotency-Key` header; unique per user (per name for the system).
    pub idempotency_key: Option<String>,
    /// Not to be started before this time.
    pub run_after: Option<Timestamp>,
    /// Makes it a child job (idempotent per parent and key).
    pub parent: Option<ChildOf>,
}

impl NewJob {
    /// A job of `kind` with `steps` and nothing else set.
    pub fn new(kind: impl Into<String>, actor: JobActor, steps: Vec<JobStep>) -> Self {
        Self {
            kind: kind.into(),
            actor,
            resource_kind: None,
            resource_id: None,
            params: serde_json::Value::Object(Default::default()),
            steps,
            idempotency_key: None,
            run_after: None,
            parent: None,
        }
    }
}

/// The result of [`JobRepo::create`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedJob {
    pub job: Job,
    /// `false` when the actor already used the idempotency key (or the parent the child
    /// key): `job` is that earlier job.
    pub created: bool,
}

/// A worker's checkpoint after (or during) a step.
#[derive(Debug, Clone, PartialEq)]
pub struct JobProgress {
    pub steps: Vec<JobStep>,
    pub current_step: u32,
    /// Clamped to 100.
    pub progress: u8,
    /// `None` keeps the stored UPID.
    pub pve_upid: Option<String>,
    /// The id of what the job acts on, once known (a create job learns its instance's
    /// id when it reserves it); `None` keeps the stored one.
    pub resource_id: Option<String>,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded,
    Failed { error: String },
    Cancelled { reason: Option<String> },
}

impl JobOutcome {
    pub fn status(&self) -> JobStatus {
        match self {
            JobOutcome::Succeeded => JobStatus::Succeeded,
            JobOutcome::Failed { .. } => JobStatus::Failed,
            JobOutcome::Cancelled { .. } => JobStatus::Cancelled,
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            JobOutcome::Succeeded => None,
            JobOutcome::Failed { error } => Some(error),
            JobOutcome::Cancelled { reason } => reason.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobFilter {
    pub owner_id: Option<Uuid>,
    pub status: Option<JobStatus>,
    /// Only the jobs acting on this resource.
    pub resource: Option<JobResource>,
    pub parent: ParentFilter,
}

/// Which level of the job trees a listing shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParentFilter {
    /// Every job, parents and children alike.
    #[default]
    Any,
    /// Jobs that are nobody's child.
    TopLevel,
    /// The children of one job.
    Of(Uuid),
}

/// What a job acts on: its `resource_kind` and `resource_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResource {
    /// e.g. `instance`.
    pub kind: String,
    pub id: String,
}

/// How many jobs of one kind are in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    pub kind: String,
    pub status: JobStatus,
    pub count: u64,
}

#[async_trait]
pub trait JobRepo: Send + Sync {
    /// Queues a job (the user's current name is recorded with it). With an idempotency
    /// key the actor already used, or a child key the parent already used, nothing is
    /// inserted and the earlier job is returned (`created: false`), even under
    /// concurrent calls.
    async fn create(&self, job: NewJob) -> Result<CreatedJob>;
    async fn get(&self, id: Uuid) -> Result<Job>;
    /// Newest first.
    async fn list(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>>;
    /// Claims the oldest job that is queued (and whose `run_after` is not after `now`),
    /// or running with a lease that expired before `now` (its worker crashed), for `lease`. Concurrent claims never return
    /// the same job (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer).
    async fn claim_next(
        &self,
        worker_id: &str,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Option<Job>>;
    /// Records progress and extends the lease to `now + lease`. `Stale` when the job is
    /// no longer running under this worker (its lease expired and another took it).
    async fn checkpoint(
        &self,
        id: Uuid,
        worker_id: &str,
        progress: &JobProgress,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Job>;
    /// Ends a job this worker holds (progress 100 on success; the error is kept; its
    /// [`SEALED_PARAMS`] are removed). If it
    /// was its parent's last unfinished child and the parent is waiting, the parent is
    /// queued again in the same transaction. `Stale` when the job is not running under
    /// this worker.
    async fn finish(
        &self,
        id: Uuid,
        worker_id: &str,
        outcome: JobOutcome,
        now: Timestamp,
    ) -> Result<Job>;
    /// Removes the job's [`SEALED_PARAMS`] now (the step that needed them has used
    /// them). `Stale` when the job is not running under this worker.
    async fn drop_sealed(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job>;
    /// Gives a claimed job back to the queue (graceful shutdown), keeping its steps.
    async fn release(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job>;
    /// Parks a job this worker holds until its children have ended: `Waiting`, with no
    /// worker and no lease. If none is unfinished any more it is `Queued` instead, to be
    /// claimed again at once. `Stale` when the job is not running under this worker.
    async fn wait_for_children(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job>;
    /// A job's children, oldest first.
    async fn children(&self, parent_id: Uuid) -> Result<Vec<Job>>;
    /// Every job below `id` down to `max_depth` levels (1: its children), oldest
    /// first, in one query: build the tree from their `parent_id`s.
    async fn descendants(&self, id: Uuid, max_depth: u32) -> Result<Vec<Job>>;
    /// The earliest `run_after` after `now` of a queued job: when an idle worker wakes.
    async fn next_run_after(&self, now: Timestamp) -> Result<Option<Timestamp>>;
    /// Unfinished jobs (queued, running, waiting) per kind and status, by kind then
    /// status: monitoring.
    async fn count_by_kind_and_status(&self) -> Result<Vec<JobCount>>;
    /// Cancels a job and its unfinished descendants, in one transaction: those never
    /// started end `Cancelled` with `reason` as their error at once; the others get
    /// `cancel_requested_at` (their worker stops at the next step boundary and
    /// compensates). A waiting parent left without unfinished children is queued again.
    /// Jobs ended here lose their [`SEALED_PARAMS`].
    /// Returns the job; `Stale` when it had already ended.
    async fn request_cancel(&self, id: Uuid, reason: &str, now: Timestamp) -> Result<Job>;
}
