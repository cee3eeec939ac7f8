//! The client-facing shape of a job: what `GET /api/v1/jobs/{id}` returns and what
//! every `job.updated` event carries, so a console can apply either the same way.

use proxicloud_store::{Job, JobActor, JobStatus, JobStep, StepStatus, Timestamp, Uuid};
use serde::Serialize;

/// Who started a job: a user (possibly deleted since; `name` is their name at the
/// time) or the system (`name` says what: `scheduler`, `retention`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActorView {
    /// `user` or `system`.
    pub kind: &'static str,
    /// The user's id; absent for the system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub name: String,
    /// The user has been deleted since (the job stays, as history).
    pub deleted: bool,
}

impl From<&Job> for ActorView {
    fn from(job: &Job) -> Self {
        let (kind, id) = match job.actor {
            JobActor::User(id) => ("user", Some(id)),
            JobActor::System { .. } => ("system", None),
        };
        Self {
            kind,
            id,
            name: job.actor_name.clone(),
            deleted: job.actor_deleted(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    pub id: Uuid,
    /// e.g. `instance.create`, `instance.start`, `instance.terminate`.
    pub kind: String,
    pub status: JobStatus,
    pub actor: ActorView,
    /// The job that started this one (a step of it waits for this one).
    pub parent_id: Option<Uuid>,
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
    /// Not started before this time.
    pub run_after: Option<Timestamp>,
    /// Someone asked it to stop; it stops at its next step boundary.
    pub cancel_requested_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// Its child jobs, nested, oldest first: filled by `JobService::get` only (lists
    /// and events leave it empty).
    pub children: Vec<JobView>,
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
            actor: ActorView::from(job),
            parent_id: job.parent_id,
            resource_kind: job.resource_kind.clone(),
            resource_id: job.resource_id.clone(),
            steps: job.steps.iter().map(StepView::from).collect(),
            current_step: job.current_step,
            progress: job.progress,
            error: job.error.clone(),
            pve_upid: job.pve_upid.clone(),
            attempts: job.attempts,
            run_after: job.run_after,
            cancel_requested_at: job.cancel_requested_at,
            created_at: job.created_at,
            updated_at: job.updated_at,
            finished_at: job.finished_at,
            children: Vec::new(),
        }
    }
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        Self::from(&job)
    }
}

impl JobView {
    /// Attaches `children` and, while the job waits for them, counts their progress
    /// into its own: the waiting step's share of the job is split among the children.
    pub fn with_children(mut self, children: Vec<JobView>) -> Self {
        if self.status == JobStatus::Waiting && !children.is_empty() {
            let steps = self.steps.len().max(1) as u32;
            let share = 100 / steps;
            let done: u32 = children.iter().map(|c| u32::from(c.progress)).sum();
            let average = done / children.len() as u32;
            let before = (self.current_step * 100 / steps).min(99);
            self.progress = (before + average * share / 100).min(99) as u8;
        }
        self.children = children;
        self
    }
}
