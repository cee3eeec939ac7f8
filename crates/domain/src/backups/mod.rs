//! Backups: vzdump archives of instances on a Proxmox VE storage with `backup`
//! content, taken on demand and restored in place or as a new instance.
//!
//! - [`BackupService`] checks the caller and the request (4xx before anything touches
//!   Proxmox), records the backup and queues the job;
//! - `jobs` carries out `backup.create` and `backup.delete`, `restore_job`
//!   `backup.restore`, each step resumable after a crash;
//! - `archive` reads what vzdump reports (the archive's volume id comes from the task
//!   log, never from a guessed file name);
//! - `restore` holds the restore's checks and the disk-size rules.

mod archive;
mod jobs;
mod restore;
mod restore_job;
mod service;

#[cfg(test)]
mod tests;

pub use archive::MAX_NOTES;
/// The test world registers the backup jobs beside the instance jobs.
#[cfg(test)]
pub(crate) use jobs::register as register_handlers;
pub use jobs::{BackupJob, kinds, steps};
pub use restore::{RestoreBackup, RestoreMode};
pub use restore_job::{RestoreJob, steps as restore_steps};
pub use service::{BackupQuery, BackupService, CreateBackup};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`BackupService`] and registers the backup job kinds.
pub fn register(registry: &mut Registry, platform: &Platform) {
    jobs::register(
        registry.jobs(),
        platform.store.clone(),
        platform.connector.clone(),
        Some(platform.mirror.clone()),
    );
    registry.provide(Arc::new(BackupService::new(
        platform.store.clone(),
        platform.queue.clone(),
        platform.connector.clone(),
    )));
}
