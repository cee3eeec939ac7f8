//! Volumes (EBS-like data disks), their attachment to a guest and their snapshots.
//!
//! A volume row is created `creating` before its Proxmox work starts (so the job can
//! find what it made), records its holder vmid and volume id as soon as Proxmox has
//! them, and is `available` once usable. The attachment (guest, config key, mount
//! path) is separate from the lifecycle status: "in-use" is derived from it, and the
//! database clears it when the guest's row is deleted. To add a field: a column in a
//! new migration for both backends, the record in `sql/volumes.rs`, a conformance case.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Page, PageRequest, Result, Timestamp};

/// Lifecycle states (`volumes.status`, `volume_snapshots.status`).
pub mod status {
    pub const CREATING: &str = "creating";
    pub const AVAILABLE: &str = "available";
    pub const ERROR: &str = "error";
    pub const DELETING: &str = "deleting";
}

#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub node: String,
    pub storage: String,
    /// The volume class it was created in (`None`: an explicit storage).
    pub class: Option<String>,
    pub name: String,
    pub size_bytes: u64,
    pub status: String,
    /// The holder container's vmid, once chosen.
    pub holder_vmid: Option<u32>,
    /// The Proxmox volume id (`storage:vm-<holder>-disk-1`), once allocated.
    pub volid: Option<String>,
    pub error: Option<String>,
    pub owner_id: Option<Uuid>,
    pub attachment: Option<Attachment>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where a volume is attached: the guest and the config key (`mp1`, `scsi2`), plus the
/// mount path inside a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub guest_id: Uuid,
    pub key: String,
    pub mount_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVolume {
    pub cluster_id: Uuid,
    pub node: String,
    pub storage: String,
    pub class: Option<String>,
    pub name: String,
    pub size_bytes: u64,
    pub owner_id: Option<Uuid>,
}

/// Which volumes a list shows; every filter set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeFilter {
    /// Only this user's volumes.
    pub owner_id: Option<Uuid>,
    /// Only the volumes attached to this guest.
    pub attached_to: Option<Uuid>,
    /// The status the API shows: a lifecycle status, or `in-use` (available and
    /// attached; `available` then means available and detached).
    pub status: Option<String>,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
    /// Only volumes created in this class.
    pub class: Option<String>,
}

/// The status the API shows for attached, available volumes.
pub const IN_USE: &str = "in-use";

#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSnapshot {
    pub id: Uuid,
    pub volume_id: Uuid,
    pub name: String,
    pub description: String,
    pub size_bytes: u64,
    pub status: String,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait VolumeRepo: Send + Sync {
    /// A new volume in `creating`.
    async fn insert(&self, volume: NewVolume) -> Result<Volume> {
        self.insert_as(Uuid::now_v7(), volume).await
    }
    /// A new volume in `creating` with an id chosen beforehand (a job that must find
    /// the row it made when it runs again); `Conflict` when the id is taken.
    async fn insert_as(&self, id: Uuid, volume: NewVolume) -> Result<Volume>;
    async fn get(&self, id: Uuid) -> Result<Volume>;
    /// Oldest first (creation time, then id), a page at a time.
    async fn list(&self, filter: &VolumeFilter, page: PageRequest) -> Result<Page<Volume>>;
    /// Every volume, in no particular order: for in-memory views (see `Store::writes`).
    async fn list_all(&self) -> Result<Vec<Volume>>;
    /// The volumes attached to one guest.
    async fn list_attached_to(&self, guest_id: Uuid) -> Result<Vec<Volume>>;
    /// Records the holder vmid (`Conflict` when another volume of the cluster has it).
    async fn set_holder(&self, id: Uuid, holder_vmid: u32, now: Timestamp) -> Result<()>;
    /// Records the Proxmox volume id and marks the volume `available`.
    async fn set_ready(&self, id: Uuid, volid: &str, now: Timestamp) -> Result<()>;
    /// Sets the lifecycle status and error text (`None` clears it).
    async fn set_status(
        &self,
        id: Uuid,
        status: &str,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<()>;
    async fn set_size(&self, id: Uuid, size_bytes: u64, now: Timestamp) -> Result<()>;
    /// Attaches a detached volume; `Stale` when it is attached already, `Conflict`
    /// when the guest's key is taken by another volume.
    async fn attach(&self, id: Uuid, attachment: &Attachment, now: Timestamp) -> Result<()>;
    /// Idempotent.
    async fn detach(&self, id: Uuid, now: Timestamp) -> Result<()>;
    /// Deletes the volume and its snapshots.
    async fn delete(&self, id: Uuid) -> Result<()>;

    /// A new snapshot in `creating`; `Conflict` when the volume has one of that name.
    async fn insert_snapshot(
        &self,
        volume_id: Uuid,
        name: &str,
        description: &str,
        size_bytes: u64,
    ) -> Result<VolumeSnapshot>;
    /// Oldest first.
    async fn list_snapshots(&self, volume_id: Uuid) -> Result<Vec<VolumeSnapshot>>;
    async fn get_snapshot(&self, id: Uuid) -> Result<VolumeSnapshot>;
    async fn set_snapshot_status(&self, id: Uuid, status: &str) -> Result<()>;
    async fn delete_snapshot(&self, id: Uuid) -> Result<()>;
}
