//! `/api/v1/jobs`: the durable jobs behind every long operation. `JobDto` is also the
//! `data` of every `job.updated` event, so a client applies both the same way.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum JobStatusDto {
    /// Waiting for a worker.
    Queued,
    /// A worker is running its steps (or it is being resumed after a restart).
    Running,
    Succeeded,
    /// `error` says why: for a failed Proxmox task, its exit status and log tail.
    Failed,
    Cancelled,
}

impl JobStatusDto {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobDto {
    pub id: Uuid,
    /// `instance.create`, `instance.start`, `instance.stop`, `instance.shutdown`,
    /// `instance.reboot`, `instance.terminate`.
    pub kind: String,
    pub status: JobStatusDto,
    /// Who started it.
    pub owner_id: Uuid,
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
    /// Times a worker picked it up; more than 1 means it was resumed after a restart.
    pub attempts: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub finished_at: Option<Timestamp>,
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
    /// Items per page, 1 to 1000 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}
