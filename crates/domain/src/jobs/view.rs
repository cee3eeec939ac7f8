//! The client-facing shape of a job: what `GET /api/v1/jobs/{id}` returns and what
//! every `job.updated` event carries, so a console can apply either the same way.

use proxicloud_store::{Job, JobStatus, JobStep, StepStatus, Timestamp, Uuid};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    pub id: Uuid,
    /// e.g. `instance.create`, `instance.start`, `instance.terminate`.
    pub kind: String,
    pub status: JobStatus,
    pub owner_id: Uuid,
    /// What the job acts on (`instance`) and its id, when known.
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub steps: Vec<StepView>,
    /// Index of the step being (or last) run.
    pub current_step: u32,
    /// 0..=100.
    pub progress: u8,
    /// Why it failed: Proxmox's task exit status and log tail, verbatim, when a task failed.
    pub error: Option<String>,
    /// The Proxmox task (UPID) most recently started for this job.
    pub pve_upid: Option<String>,
    /// How many times a worker picked it up; more than one means it was resumed.
    pub attempts: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepView {
    pub name: String,
    pub status: StepStatus,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub detail: Option<String>,
}

impl From<&JobStep> for StepView {
    fn from(step: &JobStep) -> Self {
        Self {
            name: step.name.clone(),
            status: step.status,
            started_at: step.started_at,
            finished_at: step.finished_at,
            detail: step.detail.clone(),
        }
    }
}

impl From<&Job> for JobView {
    fn from(job: &Job) -> Self {
        Self {
            id: job.id,
            kind: job.kind.clone(),
            status: job.status,
            owner_id: job.owner_id,
            resource_kind: job.resource_kind.clone(),
            resource_id: job.resource_id.clone(),
            steps: job.steps.iter().map(StepView::from).collect(),
            current_step: job.current_step,
            progress: job.progress,
            error: job.error.clone(),
            pve_upid: job.pve_upid.clone(),
            attempts: job.attempts,
            created_at: job.created_at,
            updated_at: job.updated_at,
            finished_at: job.finished_at,
        }
    }
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        Self::from(&job)
    }
}
