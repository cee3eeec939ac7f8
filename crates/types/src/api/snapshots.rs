//! `/api/v1/instances/{id}/snapshots`: snapshots of a whole instance (disks and
//! configuration; for a VM optionally its RAM). Creating, rolling back and deleting
//! answer `202` with the job that waits for Proxmox's task.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotDto {
    pub name: String,
    pub description: String,
    /// When Proxmox took it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub taken_at: Option<Timestamp>,
    /// The snapshot it was taken on top of.
    pub parent: Option<String>,
    /// VMs: the RAM state was saved too (a rollback resumes the running VM).
    pub includes_ram: bool,
    /// The instance's live state descends from this snapshot (the latest one taken or
    /// rolled back to).
    pub current: bool,
}

/// The instance's snapshots, oldest first, as Proxmox has them now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotListDto {
    pub items: Vec<SnapshotDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSnapshotRequest {
    /// 2 to 40 letters, digits, `-` or `_`, starting with a letter; unique per
    /// instance (`current`, and `vzdump` for containers, `pending` for VMs, are
    /// Proxmox's own).
    pub name: String,
    /// At most 1024 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// VMs only: save the RAM state too, so a rollback resumes the running VM.
    #[serde(default)]
    pub include_ram: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RollbackSnapshotRequest {
    /// Start the instance once rolled back (Proxmox stops a running one first). A VM
    /// snapshot with RAM resumes the VM whatever this says.
    #[serde(default)]
    pub start: bool,
}
