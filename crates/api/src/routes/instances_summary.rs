//! `GET /api/v1/instances/summary` — counts by status and per-cluster totals of the
//! instances the caller may see, from the mirror (for the dashboard, which then need
//! not page through every instance).

use proxicloud_domain::inventory::InstanceDirectory;
use std::collections::BTreeMap;

use axum::Json;
use axum::response::Response;
use proxicloud_domain::inventory::{ClusterUsage, InstanceSummary};
use proxicloud_store::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::ApiResult;
use crate::respond::with_cache_status;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(summarize_instances))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceSummaryDto {
    pub total: u64,
    /// Instances per status (`running`, `stopped`, …).
    pub by_status: BTreeMap<String, u64>,
    /// One entry per cluster with instances you may see.
    pub clusters: Vec<ClusterUsageDto>,
    /// Set while any of those clusters is unreachable: the earliest outage.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stale_since: Option<Timestamp>,
}

/// What a cluster's instances (those you may see) are configured with and use.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterUsageDto {
    pub cluster_id: Uuid,
    pub instances: u64,
    pub running: u64,
    /// Configured vCPUs.
    pub cpus: f64,
    /// Configured memory.
    pub memory_bytes: u64,
    /// Memory in use by running instances.
    pub memory_used_bytes: u64,
    /// Configured disk.
    pub disk_bytes: u64,
}

impl From<ClusterUsage> for ClusterUsageDto {
    fn from(usage: ClusterUsage) -> Self {
        Self {
            cluster_id: usage.cluster_id,
            instances: usage.instances,
            running: usage.running,
            cpus: usage.cpus,
            memory_bytes: usage.memory_bytes,
            memory_used_bytes: usage.memory_used_bytes,
            disk_bytes: usage.disk_bytes,
        }
    }
}

impl From<InstanceSummary> for InstanceSummaryDto {
    fn from(summary: InstanceSummary) -> Self {
        Self {
            total: summary.total,
            by_status: summary.by_status,
            clusters: summary.clusters.into_iter().map(Into::into).collect(),
            stale_since: summary.freshness.stale_since(),
        }
    }
}

/// Counts and totals of the instances you may see (admins: all).
#[utoipa::path(get, path = "/api/v1/instances/summary", tag = "instances",
    responses((status = 200, body = InstanceSummaryDto,
        headers(("X-Cache-Status" = String, description = "`HIT`, or `STALE` while a cluster is unreachable")))))]
async fn summarize_instances(
    auth: Auth,
    Domain(instances): Domain<InstanceDirectory>,
) -> ApiResult<Response> {
    let summary = instances.summary(&auth.principal).await?;
    let freshness = summary.freshness;
    Ok(with_cache_status(
        freshness,
        Json(InstanceSummaryDto::from(summary)),
    ))
}
