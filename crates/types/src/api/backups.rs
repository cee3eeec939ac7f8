//! `/api/v1/backups`: vzdump archives of instances, taken on demand, protected,
//! deleted and restored (in place or as a new instance).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::instances::InstanceType;
use crate::Timestamp;

/// How vzdump treats a running instance while it backs it up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BackupModeDto {
    /// Live, from a snapshot of the disks (no downtime; the default).
    #[default]
    Snapshot,
    /// Suspended while its state is copied (short downtime).
    Suspend,
    /// Stopped for the backup and started again afterwards.
    Stop,
}

impl BackupModeDto {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::Suspend => "suspend",
            Self::Stop => "stop",
        }
    }
}

/// A backup's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BackupStatusDto {
    Creating,
    Available,
    Deleting,
    Error,
}

impl BackupStatusDto {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "creating",
            Self::Available => "available",
            Self::Deleting => "deleting",
            Self::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupDto {
    pub id: Uuid,
    /// The instance backed up (it may no longer exist).
    #[serde(default)]
    pub instance_id: Option<Uuid>,
    /// The instance's name at backup time.
    pub instance_name: String,
    #[serde(rename = "type")]
    pub instance_type: InstanceType,
    pub vmid: u32,
    pub cluster_id: Uuid,
    pub node: String,
    pub storage: String,
    pub mode: BackupModeDto,
    /// `creating`, `available`, `deleting` or `error`.
    pub status: String,
    pub notes: String,
    /// Protected backups are neither deleted nor pruned.
    pub protected: bool,
    /// The archive's Proxmox VE volume id, once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// How long vzdump ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<u64>,
    /// The instance's configuration at backup time, as stored in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, String>>,
    /// Why the backup is in `error` (or why a delete failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateBackupRequest {
    pub instance_id: Uuid,
    /// A storage on the instance's node with `backup` content.
    pub storage: String,
    #[serde(default)]
    pub mode: BackupModeDto,
    /// Free text, up to 1024 characters (no `{{` or `}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Protect the archive from deletion and pruning.
    #[serde(default)]
    pub protected: bool,
}

/// Where a restore goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RestoreTargetDto {
    /// Over the instance the backup was taken of (stopped first).
    #[default]
    InPlace,
    /// A new instance with a new vmid and name.
    New,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestoreBackupRequest {
    #[serde(default)]
    pub target: RestoreTargetDto,
    /// `new`: the new instance's name (required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `new`: the node (default: the backup's; another node needs the archive on a
    /// shared storage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// `new`: the storage for its disks (default: where the root disk was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Start the instance once restored (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<bool>,
}

/// `GET /api/v1/backups` query: filters (all must match) and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BackupListParams {
    /// Only the backups of this instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", param(value_type = Option<BackupStatusDto>, inline))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<BackupStatusDto>,
    /// Items per page, 1 to 1000 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (same filters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A storage an instance's backups may go to: on its node, with `backup` content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackupStorageDto {
    pub storage: String,
    /// Seen by every node (a restore may go to another node).
    pub shared: bool,
    pub avail_bytes: u64,
    pub total_bytes: u64,
}
