//! `GET /api/v1/system/workers` (admin) and the `workers` of `/readyz`: the background
//! workers of the replica that answers (inventory polling, the event relay, …).

use serde::{Deserialize, Serialize};

use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkerScopeDto {
    /// Runs once per deployment, on the replica elected for it.
    Deployment,
    /// Runs on every replica.
    Replica,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkerStateDto {
    Running,
    /// Another replica runs this deployment worker; this one takes over if it goes.
    Standby,
    /// Failed; restarts at `next_run`.
    BackingOff,
    /// Shut down.
    Stopped,
}

/// One worker as the answering replica sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerDto {
    /// e.g. `inventory`, `events.relay`.
    pub name: String,
    pub scope: WorkerScopeDto,
    pub state: WorkerStateDto,
    /// This replica holds the worker's election (always true for a running
    /// replica-scoped worker).
    pub leader: bool,
    /// The end of the last round the worker reported.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_run: Option<Timestamp>,
    /// The last failure (of a round or of the worker), kept after recovery.
    pub last_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_error_at: Option<Timestamp>,
    /// When the next round, or the restart after a failure, is due.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_run: Option<Timestamp>,
    /// Restarts after failures since this replica started.
    pub restarts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerList {
    pub items: Vec<WorkerDto>,
}

/// A worker in `/readyz`, which anyone may read: no errors, no times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerSummaryDto {
    pub name: String,
    pub scope: WorkerScopeDto,
    pub state: WorkerStateDto,
    pub leader: bool,
}
