//! Backups: vzdump archives of instances, as ProxiCloud made and recorded them.
//!
//! A row is written `creating` before vzdump runs, with an id the job chose, so that a
//! job resumed after a crash finds the row it made. It becomes `available` once the
//! archive exists, with what Proxmox VE reported: the volume id from the task log, the
//! size from the storage's content listing, and the instance's configuration at backup
//! time. To add a field: a column in a new migration for both backends, the record in
//! `sql/backups.rs`, a conformance case.

use async_trait::async_trait;
use proxicloud_types::{GuestType, VmId};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, Timestamp};

/// Lifecycle states (`backups.status`).
pub mod status {
    pub const CREATING: &str = "creating";
    pub const AVAILABLE: &str = "available";
    pub const ERROR: &str = "error";
    pub const DELETING: &str = "deleting";
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    pub id: Uuid,
    pub cluster_id: Uuid,
    /// The instance's owner when it was backed up (`None`: an admin's unowned guest).
    pub owner_id: Option<Uuid>,
    /// The instance backed up; kept after the instance is gone.
    pub guest_id: Option<Uuid>,
    pub guest_name: String,
    pub guest_kind: GuestType,
    pub vmid: VmId,
    pub node: String,
    pub storage: String,
    /// `snapshot`, `suspend` or `stop`.
    pub mode: String,
    pub status: String,
    pub notes: String,
    pub protected: bool,
    /// `storage:backup/vzdump-…`, once the archive exists.
    pub volid: Option<String>,
    pub size_bytes: Option<u64>,
    /// The instance's configuration at backup time (Proxmox's keys and values).
    pub config: Option<serde_json::Value>,
    pub error: Option<String>,
    /// When vzdump started and ended (the duration is their difference).
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewBackup {
    pub cluster_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub guest_id: Option<Uuid>,
    pub guest_name: String,
    pub guest_kind: GuestType,
    pub vmid: VmId,
    pub node: String,
    pub storage: String,
    pub mode: String,
    pub notes: String,
    pub protected: bool,
}

/// What a finished vzdump left: recorded with the switch to `available`.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupArchive {
    pub volid: String,
    pub size_bytes: u64,
    pub config: serde_json::Value,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

/// Which backups a list shows; every filter set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupFilter {
    /// Only this user's backups.
    pub owner_id: Option<Uuid>,
    /// Only the backups of this instance.
    pub guest_id: Option<Uuid>,
    pub status: Option<String>,
}

#[async_trait]
pub trait BackupRepo: Send + Sync {
    /// A new backup in `creating` with an id chosen beforehand; `Conflict` when taken.
    async fn insert_as(&self, id: Uuid, backup: NewBackup) -> Result<Backup>;
    async fn get(&self, id: Uuid) -> Result<Backup>;
    /// Newest first (creation time, then id, both descending), a page at a time.
    async fn list(&self, filter: &BackupFilter, page: PageRequest) -> Result<Page<Backup>>;
    /// The archive exists: records it and makes the backup `available`.
    async fn record_archive(&self, id: Uuid, archive: &BackupArchive, at: Timestamp) -> Result<()>;
    async fn set_status(
        &self,
        id: Uuid,
        status: &str,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    async fn set_protected(&self, id: Uuid, protected: bool, at: Timestamp) -> Result<()>;
    async fn delete(&self, id: Uuid) -> Result<()>;
}
