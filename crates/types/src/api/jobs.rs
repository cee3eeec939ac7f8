//! `/api/v1/jobs`: the durable jobs behind every long operation. `JobDto` is also the
//! `data` of every `job.updated` event, so a client applies both the same way.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum JobStatusDto {
    /// Waiting for a worker (or for its `run_after` time).
    Queued,
    /// A worker is running its steps (or it is being resumed after a restart).
    Running,
    /// Waiting for its child jobs to end; no worker holds it meanwhile.
    Waiting,
    Succeeded,
    /// `error` says why: for a failed Proxmox task, its exit status and log tail.
    Failed,
    Cancelled,
}

impl JobStatusDto {
    /// The name on the wire (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Succeeded, failed or cancelled: the job will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StepStatusDto {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Nothing to do (e.g. stopping an instance that is already stopped).
    Skipped,
}

impl StepStatusDto {
    /// The name on the wire (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobStepDto {
    /// e.g. `reserve`, `create`, `await_create`, `start`, `finalize`.
    pub name: String,
    pub status: StepStatusDto,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub started_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub finished_at: Option<Timestamp>,
    /// Progress text, or the error of a failed step.
    pub detail: Option<String>,
}

/// Whether a user or the system started a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobActorKindDto {
    User,
    /// Work nobody clicked: schedules, retention, alert evaluation, catch-up.
    System,
}

/// Who started a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobActorDto {
    pub kind: JobActorKindDto,
    /// The user's id (kept after the user is deleted); absent for the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The user's name when the job was created, or what the system was doing
    /// (`scheduler`, `retention`, …).
    pub name: String,
    /// The user has been deleted since; the job stays as history.
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobDto {
    pub id: Uuid,
    /// `instance.create`, `instance.start`, `instance.stop`, `instance.shutdown`,
    /// `instance.reboot`, `instance.terminate`.
    pub kind: String,
    pub status: JobStatusDto,
    /// Who started it. A job is visible to its user and to admins; a system job to
    /// admins and, when it acts on an instance, to whoever may see that instance.
    pub actor: JobActorDto,
    /// The job that started this one and waits for it; `null` for a top-level job.
    pub parent_id: Option<Uuid>,
    /// What it acts on (`instance`) and its id; a create job names its instance as
    /// soon as its `reserve` step has reserved one.
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub steps: Vec<JobStepDto>,
    /// Index into `steps` of the step running (or last run).
    pub current_step: u32,
    /// 0 to 100.
    pub progress: u8,
    /// Why it failed; for a failed Proxmox task, PVE's exit status then the end of
    /// the task log, verbatim.
    pub error: Option<String>,
    /// The Proxmox task (UPID) most recently started for it.
    pub pve_upid: Option<String>,
    /// Times a worker picked it up; more than 1 means it was resumed after a restart
    /// (or, for a parent, after waiting for its children).
    pub attempts: u32,
    /// Not started before this time.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub run_after: Option<Timestamp>,
    /// When cancellation was requested: a started job stops at its next step boundary,
    /// undoes what it did, and ends `cancelled` with `error` saying who cancelled it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub cancel_requested_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub finished_at: Option<Timestamp>,
    /// Its child jobs, oldest first, each with its own children: filled by
    /// `GET /api/v1/jobs/{id}` only (empty in lists and in `job.updated` events).
    /// While the job is `waiting`, its `progress` counts theirs in.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    #[serde(default)]
    pub children: Vec<JobDto>,
}

/// `GET /api/v1/jobs` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct JobListParams {
    #[cfg_attr(feature = "openapi", param(value_type = Option<JobStatusDto>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatusDto>,
    /// Admins: only this user's jobs (ignored for others, who see their own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Uuid>,
    /// Only this job's children (to anyone who may see the job). Without it, only
    /// top-level jobs are listed: children appear under their parent, in its tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Uuid>,
    /// Items per page, 1 to 1000 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{JobStatusDto, StepStatusDto};

    /// `as_str` is what the CLI prints; it must be the name the API sends.
    #[test]
    fn status_words_are_the_wire_names() {
        use JobStatusDto as J;
        for status in [
            J::Queued,
            J::Running,
            J::Waiting,
            J::Succeeded,
            J::Failed,
            J::Cancelled,
        ] {
            assert_eq!(serde_json::json!(status), status.as_str());
        }
        use StepStatusDto as S;
        for status in [S::Pending, S::Running, S::Succeeded, S::Failed, S::Skipped] {
            assert_eq!(serde_json::json!(status), status.as_str());
        }
    }
}
