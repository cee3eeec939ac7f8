//! Workers: domain states → [`proxicloud_types::api::workers`].

use proxicloud_domain::workers::{WorkerScope, WorkerState, WorkerStatus};
use proxicloud_types::api::workers::{WorkerDto, WorkerScopeDto, WorkerStateDto, WorkerSummaryDto};

use super::IntoDto;

impl IntoDto for WorkerScope {
    type Dto = WorkerScopeDto;
    fn into_dto(self) -> WorkerScopeDto {
        match self {
            Self::Deployment => WorkerScopeDto::Deployment,
            Self::Replica => WorkerScopeDto::Replica,
        }
    }
}

impl IntoDto for WorkerStatus {
    type Dto = WorkerStateDto;
    fn into_dto(self) -> WorkerStateDto {
        match self {
            Self::Running => WorkerStateDto::Running,
            Self::Standby => WorkerStateDto::Standby,
            Self::BackingOff => WorkerStateDto::BackingOff,
            Self::Stopped => WorkerStateDto::Stopped,
        }
    }
}

impl IntoDto for WorkerState {
    type Dto = WorkerDto;
    fn into_dto(self) -> WorkerDto {
        WorkerDto {
            name: self.name,
            scope: self.scope.into_dto(),
            state: self.status.into_dto(),
            leader: self.leader,
            last_run: self.last_run,
            last_error: self.last_error,
            last_error_at: self.last_error_at,
            next_run: self.next_run,
            restarts: self.restarts,
        }
    }
}

/// What `/readyz` shows of a worker.
pub fn summary(state: WorkerState) -> WorkerSummaryDto {
    WorkerSummaryDto {
        name: state.name,
        scope: state.scope.into_dto(),
        state: state.status.into_dto(),
        leader: state.leader,
    }
}
