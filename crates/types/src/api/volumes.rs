//! `/api/v1/volumes` and `/api/v1/volume-snapshots`: EBS-like data volumes, their
//! attachment to instances and their snapshots (how they map onto Proxmox VE: README,
//! "Volumes").

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// `available`, `in-use` (attached), `creating`, `deleting` or `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeDto {
    pub id: Uuid,
    pub name: String,
    pub size_gib: u64,
    pub cluster_id: Uuid,
    pub node: String,
    pub storage: String,
    /// The volume class it was created in; absent when it was created on a named storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// `available`, `in-use`, `creating`, `deleting` or `error`.
    pub status: String,
    /// Why the volume is in `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<VolumeAttachmentDto>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// Whether the volume's storage can take snapshots (Proxmox VE's storage features).
    pub snapshots_supported: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeAttachmentDto {
    pub instance_id: Uuid,
    /// The config key on the instance: `mp1` on a container, `scsi1` on a VM.
    pub device: String,
    /// Where a container sees the volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateVolumeRequest {
    /// 1 to 63 characters: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// 1 to 16384 (16 TiB).
    pub size_gib: u64,
    /// Required unless `attach` is given (then it is the instance's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<Uuid>,
    /// Required unless `attach` is given (then it is the instance's node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// A storage of the node that holds container volumes (`rootdir`). Give this or
    /// `class`, not both; with neither, the node's container storage with the most room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// A volume class (`GET /api/v1/settings/volume-classes`): the class's storage on the
    /// node with the most room is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Attach the new volume to this instance in the same job (created on its node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<AttachVolumeRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachVolumeRequest {
    /// An instance on the volume's node.
    pub instance_id: Uuid,
    /// Where a container mounts it (absolute path, e.g. `/data`); required for
    /// containers, not allowed for VMs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
    /// A VM's bus: `scsi` (default) or `virtio`; the next free slot is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrowVolumeRequest {
    /// The new size: larger than the current one, at most 16384.
    pub size_gib: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeSnapshotDto {
    pub id: Uuid,
    pub volume_id: Uuid,
    pub name: String,
    pub description: String,
    /// The volume's size when the snapshot was taken.
    pub size_gib: u64,
    /// `creating`, `available`, `deleting` or `error`.
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateVolumeSnapshotRequest {
    /// 2 to 40 characters, a letter first, then letters, digits, `-`, `_`.
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CloneVolumeRequest {
    /// The new volume's name.
    pub name: String,
}

/// A volume's status as the list filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum VolumeStatusDto {
    Available,
    InUse,
    Creating,
    Deleting,
    Error,
}

impl VolumeStatusDto {
    /// The word the API shows in `VolumeDto::status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::InUse => "in-use",
            Self::Creating => "creating",
            Self::Deleting => "deleting",
            Self::Error => "error",
        }
    }
}

/// `GET /api/v1/volumes` query: filters (all must match) and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct VolumeListParams {
    /// Only the volumes attached to this instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", param(value_type = Option<VolumeStatusDto>, inline))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<VolumeStatusDto>,
    /// Part of the name, case-insensitive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Only volumes created in this class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// `created` (default: oldest first), `name`, `size`, `status` (as listed) or
    /// `node` (node, then storage); `-` first for descending.
    #[cfg_attr(feature = "openapi", param(value_type = Option<VolumeSortDto>, inline))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<VolumeSortDto>,
    /// Items per page, 1 to 1000 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (same filters and sort).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// The order of `GET /api/v1/volumes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VolumeSortDto {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "-created")]
    CreatedDesc,
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "size")]
    Size,
    #[serde(rename = "-size")]
    SizeDesc,
    #[serde(rename = "status")]
    Status,
    #[serde(rename = "-status")]
    StatusDesc,
    #[serde(rename = "node")]
    Node,
    #[serde(rename = "-node")]
    NodeDesc,
}

/// `GET|PUT /api/v1/settings/volume-classes`: named classes (`ssd`, `hdd`, …) an admin
/// maps onto storages; `POST /api/v1/volumes` with `class` picks one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VolumeClassesDto {
    pub classes: Vec<VolumeClassDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VolumeClassDto {
    /// 1 to 32 characters: lower-case letters, digits, `-`, `_`; a letter or digit first.
    #[cfg_attr(feature = "openapi", schema(example = "ssd"))]
    pub name: String,
    /// Storages that hold container volumes (content `rootdir`), at least one.
    pub storages: Vec<VolumeClassStorageDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VolumeClassStorageDto {
    pub cluster_id: Uuid,
    /// The storage's id (`local-lvm`); every node of the cluster that has it counts.
    pub storage: String,
}

/// A volume of a launch (`CreateInstanceRequest::volumes`): an existing available
/// volume on the instance's node (`volume_id`), or a new one (`name`, `size_gib`, and
/// `class` or `storage`, or neither: the node's container storage with the most room).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LaunchVolumeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 1 to 16384.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_gib: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Containers: where it is mounted (absolute path, e.g. `/data`); required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
    /// VMs: `scsi` (default) or `virtio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
}
