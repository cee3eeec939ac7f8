//! Jobs: domain views → [`proxicloud_types::api::jobs`].

use proxicloud_domain::jobs::{ActorView, JobView, StepView};
use proxicloud_store::{JobStatus, StepStatus};
use proxicloud_types::api::jobs::{
    JobActorDto, JobActorKindDto, JobDto, JobStatusDto, JobStepDto, StepStatusDto,
};

use super::IntoDto;

impl IntoDto for JobStatus {
    type Dto = JobStatusDto;
    fn into_dto(self) -> JobStatusDto {
        match self {
            Self::Queued => JobStatusDto::Queued,
            Self::Running => JobStatusDto::Running,
            Self::Waiting => JobStatusDto::Waiting,
            Self::Succeeded => JobStatusDto::Succeeded,
            Self::Failed => JobStatusDto::Failed,
            Self::Cancelled => JobStatusDto::Cancelled,
        }
    }
}

/// A `?status=` filter as the store's status.
pub fn job_status(status: JobStatusDto) -> JobStatus {
    match status {
        JobStatusDto::Queued => JobStatus::Queued,
        JobStatusDto::Running => JobStatus::Running,
        JobStatusDto::Waiting => JobStatus::Waiting,
        JobStatusDto::Succeeded => JobStatus::Succeeded,
        JobStatusDto::Failed => JobStatus::Failed,
        JobStatusDto::Cancelled => JobStatus::Cancelled,
    }
}

impl IntoDto for StepStatus {
    type Dto = StepStatusDto;
    fn into_dto(self) -> StepStatusDto {
        match self {
            Self::Pending => StepStatusDto::Pending,
            Self::Running => StepStatusDto::Running,
            Self::Succeeded => StepStatusDto::Succeeded,
            Self::Failed => StepStatusDto::Failed,
            Self::Skipped => StepStatusDto::Skipped,
        }
    }
}

impl IntoDto for StepView {
    type Dto = JobStepDto;
    fn into_dto(self) -> JobStepDto {
        JobStepDto {
            name: self.name,
            status: self.status.into_dto(),
            started_at: self.started_at,
            finished_at: self.finished_at,
            detail: self.detail,
        }
    }
}

impl IntoDto for ActorView {
    type Dto = JobActorDto;
    fn into_dto(self) -> JobActorDto {
        JobActorDto {
            kind: match self.kind {
                "system" => JobActorKindDto::System,
                _ => JobActorKindDto::User,
            },
            id: self.id,
            name: self.name,
            deleted: self.deleted,
        }
    }
}

impl IntoDto for JobView {
    type Dto = JobDto;
    fn into_dto(self) -> JobDto {
        JobDto {
            id: self.id,
            kind: self.kind,
            status: self.status.into_dto(),
            actor: self.actor.into_dto(),
            parent_id: self.parent_id,
            resource_kind: self.resource_kind,
            resource_id: self.resource_id,
            steps: self.steps.into_dto(),
            current_step: self.current_step,
            progress: self.progress,
            error: self.error,
            pve_upid: self.pve_upid,
            attempts: self.attempts,
            run_after: self.run_after,
            cancel_requested_at: self.cancel_requested_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
            children: self.children.into_iter().map(IntoDto::into_dto).collect(),
        }
    }
}
