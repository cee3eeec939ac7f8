//! `/api/v1/jobs`: the durable jobs behind every long operation. Everyone reads their
//! own; admins read all (and may filter by owner). `JobDto` is also the `data` of
//! every `job.updated` event, so a client applies both the same way.

use axum::Json;
use axum::extract::State;
use proxicloud_domain::jobs::{JobListQuery, JobView, StepView};
use proxicloud_store::{JobStatus, StepStatus, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{PageQuery, Paginated};
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

impl From<JobStatus> for JobStatusDto {
    fn from(status: JobStatus) -> Self {
        match status {
            JobStatus::Queued => Self::Queued,
            JobStatus::Running => Self::Running,
            JobStatus::Succeeded => Self::Succeeded,
            JobStatus::Failed => Self::Failed,
            JobStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<JobStatusDto> for JobStatus {
    fn from(status: JobStatusDto) -> Self {
        match status {
            JobStatusDto::Queued => Self::Queued,
            JobStatusDto::Running => Self::Running,
            JobStatusDto::Succeeded => Self::Succeeded,
            JobStatusDto::Failed => Self::Failed,
            JobStatusDto::Cancelled => Self::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StepStatusDto {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Nothing to do (e.g. stopping an instance that is already stopped).
    Skipped,
}

impl From<StepStatus> for StepStatusDto {
    fn from(status: StepStatus) -> Self {
        match status {
            StepStatus::Pending => Self::Pending,
            StepStatus::Running => Self::Running,
            StepStatus::Succeeded => Self::Succeeded,
            StepStatus::Failed => Self::Failed,
            StepStatus::Skipped => Self::Skipped,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobStepDto {
    /// e.g. `reserve`, `create`, `await_create`, `start`, `finalize`.
    pub name: String,
    pub status: StepStatusDto,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
    /// Progress text, or the error of a failed step.
    pub detail: Option<String>,
}

impl From<StepView> for JobStepDto {
    fn from(step: StepView) -> Self {
        Self {
            name: step.name,
            status: step.status.into(),
            started_at: step.started_at,
            finished_at: step.finished_at,
            detail: step.detail,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
}

impl From<JobView> for JobDto {
    fn from(job: JobView) -> Self {
        Self {
            id: job.id,
            kind: job.kind,
            status: job.status.into(),
            owner_id: job.owner_id,
            resource_kind: job.resource_kind,
            resource_id: job.resource_id,
            steps: job.steps.into_iter().map(JobStepDto::from).collect(),
            current_step: job.current_step,
            progress: job.progress,
            error: job.error,
            pve_upid: job.pve_upid,
            attempts: job.attempts,
            created_at: job.created_at,
            updated_at: job.updated_at,
            finished_at: job.finished_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobListParams {
    #[param(value_type = Option<JobStatusDto>)]
    pub status: Option<JobStatusDto>,
    /// Admins: only this user's jobs (ignored for others, who see their own).
    pub owner: Option<Uuid>,
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List jobs, newest first: your own (admins: everyone's).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobListParams),
    responses((status = 200, body = Paginated<JobDto>), (status = 422, body = ErrorResponse)))]
async fn list_jobs(
    auth: Auth,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<JobListParams>,
) -> ApiResult<Json<Paginated<JobDto>>> {
    let query = JobListQuery {
        status: params.status.map(JobStatus::from),
        owner_id: params.owner,
    };
    let page = PageQuery {
        limit: params.limit,
        cursor: params.cursor,
    };
    let jobs = state
        .jobs
        .list(&auth.principal, &query, page.to_request())
        .await?;
    Ok(Json(Paginated::from_page(jobs, JobDto::from)))
}

/// Get a job: its steps, progress and outcome.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobDto), (status = 404, body = ErrorResponse)))]
async fn get_job(
    auth: Auth,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<JobDto>> {
    Ok(Json(state.jobs.get(&auth.principal, id).await?.into()))
}
