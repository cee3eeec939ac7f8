//! `/healthz` and `/readyz`: liveness and readiness of the answering replica.

use serde::{Deserialize, Serialize};

use super::workers::WorkerSummaryDto;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// `ok`, or `ready` for readiness.
    pub status: String,
}

/// Readiness of this replica, with the states of its background workers (which do not
/// decide readiness: a standby or backing-off worker is normal on a healthy replica).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessResponse {
    /// `ready`.
    pub status: String,
    pub workers: Vec<WorkerSummaryDto>,
}
