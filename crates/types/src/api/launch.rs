//! `GET /api/v1/launch-options`: what the launch wizard can offer for a cluster —
//! nodes with their bridges and disk storages, templates, ISOs, size presets and
//! the defaults of Settings → Resources.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LaunchOptionsQuery {
    /// The cluster (default: the first registered cluster by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<Uuid>,
}

/// Everything the launch wizard offers for one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchOptionsDto {
    /// Every registered cluster, by name (ask again with `cluster_id` for another).
    pub clusters: Vec<LaunchClusterDto>,
    pub cluster_id: Uuid,
    pub cluster_name: String,
    /// By name, offline nodes included (flagged).
    pub nodes: Vec<LaunchNodeDto>,
    /// Container templates (`vztmpl` volumes) for `template`.
    pub lxc_templates: Vec<LaunchVolumeDto>,
    /// Installer ISOs for `iso`.
    pub isos: Vec<LaunchVolumeDto>,
    /// VM templates for `clone_from`.
    pub vm_templates: Vec<LaunchVmTemplateDto>,
    /// Instance sizes, smallest first.
    pub presets: Vec<SizePresetDto>,
    /// What a request gets for a value it leaves out.
    pub defaults: LaunchDefaultsDto,
    /// When Proxmox VE was asked (answers are reused for up to 30 s).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub fetched_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchClusterDto {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchNodeDto {
    pub name: String,
    pub online: bool,
    pub cores: u32,
    pub memory_total_bytes: u64,
    pub memory_free_bytes: u64,
    /// Bridges for `network.bridge`.
    pub bridges: Vec<String>,
    /// Enabled, active storages that can hold a root disk.
    pub storages: Vec<LaunchStorageDto>,
    /// Why this node's storages or bridges could not be listed.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchStorageDto {
    pub storage: String,
    /// Proxmox's storage type: `dir`, `lvmthin`, `zfspool`, `nfs`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub shared: bool,
    /// Holds container root disks (`rootdir`).
    pub for_containers: bool,
    /// Holds VM disks (`images`).
    pub for_vms: bool,
    pub avail_bytes: u64,
    pub total_bytes: u64,
}

/// A container template or ISO volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchVolumeDto {
    /// e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    pub volid: String,
    /// The file name.
    pub name: String,
    pub size_bytes: u64,
    /// Nodes that have it.
    pub nodes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchVmTemplateDto {
    pub vmid: u32,
    pub name: String,
    pub node: String,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
}

/// An instance size, like a cloud's instance type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SizePresetDto {
    /// `nano`, `small`, `medium`, `large`.
    pub name: String,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchDefaultsDto {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub bridge: String,
}
