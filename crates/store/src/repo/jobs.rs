//! Durable jobs: rows with steps, claimed by workers under a lease.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
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

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: Uuid,
    /// What to do, e.g. `instance.create`; the domain maps it to a handler.
    pub kind: String,
    pub status: JobStatus,
    pub owner_id: Uuid,
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

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub owner_id: Uuid,
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub params: serde_json::Value,
    pub steps: Vec<JobStep>,
    /// From the `Idempotency-Key` header; unique per owner.
    pub idempotency_key: Option<String>,
}

/// The result of [`JobRepo::create`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedJob {
    pub job: Job,
    /// `false` when the owner already used the idempotency key: `job` is that earlier job.
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
}

/// What a job acts on: its `resource_kind` and `resource_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResource {
    /// e.g. `instance`.
    pub kind: String,
    pub id: String,
}

#[async_trait]
pub trait JobRepo: Send + Sync {
    /// Queues a job. With an idempotency key the owner already used, nothing is inserted
    /// and the earlier job is returned (`created: false`), even under concurrent calls.
    async fn create(&self, job: NewJob) -> Result<CreatedJob>;
    async fn get(&self, id: Uuid) -> Result<Job>;
    /// Newest first.
    async fn list(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>>;
    /// Claims the oldest job that is queued, or running with a lease that expired
    /// before `now` (its worker crashed), for `lease`. Concurrent claims never return
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
    /// Ends a job this worker holds (progress 100 on success; the error is kept).
    /// `Stale` when the job is not running under this worker.
    async fn finish(
        &self,
        id: Uuid,
        worker_id: &str,
        outcome: JobOutcome,
        now: Timestamp,
    ) -> Result<Job>;
    /// Gives a claimed job back to the queue (graceful shutdown), keeping its steps.
    async fn release(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job>;
    /// Cancels a job no worker has started. `Stale` when it is not queued.
    async fn cancel_queued(&self, id: Uuid, now: Timestamp) -> Result<Job>;
}
