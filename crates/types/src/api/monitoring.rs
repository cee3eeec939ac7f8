//! `GET /api/v1/monitoring/health`: the health map — clusters → nodes → guests, each
//! with a health colour and, when it is not plain, why. `GET /api/v1/monitoring/hosts`:
//! every cluster's nodes with their own figures (admins).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::instances::InstanceType;
use crate::Timestamp;

/// `ok` (green), `stopped` (grey), `warning` (yellow: CPU 70–90 %, memory ≥ 90 %,
/// paused, or a firing non-critical alert) or `critical` (red: CPU > 90 %, its node or
/// cluster unreachable, or a firing critical alert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum HealthDto {
    Ok,
    Stopped,
    Warning,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthMapDto {
    /// Clusters with something you may see (admins: every cluster with nodes).
    pub clusters: Vec<HealthClusterDto>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub generated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthClusterDto {
    pub id: Uuid,
    pub name: String,
    /// Since when it has been unreachable; absent while it answers.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_since: Option<Timestamp>,
    /// The worst of its nodes and guests.
    pub health: HealthDto,
    pub nodes: Vec<HealthNodeDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthNodeDto {
    pub name: String,
    /// `online`, `offline` or `unknown`.
    pub status: String,
    /// The node's own CPU and memory: admins only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<HealthNodeLoadDto>,
    pub health: HealthDto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Worst first, then by name.
    pub guests: Vec<HealthGuestDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthNodeLoadDto {
    /// 0.0..=1.0 of all its CPUs.
    pub cpu_usage: f64,
    pub cpus: u32,
    pub memory_bytes: u64,
    pub memory_used_bytes: u64,
}

/// One guest's tile: its size is what it is allocated (vCPUs, memory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthGuestDto {
    /// The instance id (`/instances/{id}`).
    pub id: Uuid,
    pub vmid: u32,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: InstanceType,
    pub status: String,
    pub cpus: f64,
    pub memory_bytes: u64,
    /// 0.0..=1.0 of its vCPUs.
    pub cpu_usage: f64,
    pub memory_used_bytes: u64,
    pub health: HealthDto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /api/v1/monitoring/hosts`: every registered cluster, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostsDto {
    pub clusters: Vec<HostClusterDto>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub generated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostClusterDto {
    pub id: Uuid,
    pub name: String,
    /// Since when it has been unreachable (its figures are from then); absent while it
    /// answers.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_since: Option<Timestamp>,
    /// By name; empty until its first poll answered.
    pub nodes: Vec<HostNodeDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostNodeDto {
    pub name: String,
    /// `online`, `offline` or `unknown`, as Proxmox says.
    pub status: String,
    /// 0.0..=1.0 of all its CPUs.
    pub cpu_usage: f64,
    pub cpus: u32,
    pub memory_bytes: u64,
    pub memory_used_bytes: u64,
    pub uptime_secs: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub seen_at: Timestamp,
    /// Guests on it (templates are images, not counted) and how many of them run.
    pub guests: u32,
    pub guests_running: u32,
    /// By name; a shared storage is listed under every node that reports it.
    pub storages: Vec<HostStorageDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostStorageDto {
    pub name: String,
    /// Proxmox's storage type: `dir`, `lvmthin`, `zfspool`, `nfs`, …
    #[serde(rename = "type")]
    pub storage_type: String,
    pub shared: bool,
    pub status: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
}
