//! Volumes: EBS-like data disks that outlive instances, with snapshots. How they map
//! onto Proxmox VE (a holder container per volume, attachments as config references,
//! snapshots of the holder) is in the README, "Volumes".
//!
//! - [`VolumeService`] checks the caller and the request (4xx before anything touches
//!   Proxmox) and queues the job;
//! - `jobs` carries them out (`volume.create`, `.attach`, `.detach`, `.grow`,
//!   `.delete`, `.snapshot`, `.snapshot_delete`, `.restore`, `.clone`);
//! - `rules` holds the pure rules (sizes, paths, storage features, slots);
//! - `index` answers the list from memory.

pub mod classes;
mod index;
mod jobs;
pub mod launch;
pub mod rules;
mod service;

#[cfg(test)]
mod tests;

pub use index::{IndexedVolume, VolumeSort, listed_status};
/// The test world registers the volume jobs beside the instance jobs.
#[cfg(test)]
pub(crate) use jobs::register as register_handlers;
pub use jobs::{VolumeJob, kinds};
pub use service::{AttachVolume, CreateVolume, VolumeService, VolumeView};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`VolumeService`] and registers every volume job kind.
pub fn register(registry: &mut Registry, platform: &Platform) {
    jobs::register(
        registry.jobs(),
        platform.store.clone(),
        platform.connector.clone(),
        Some(platform.mirror.clone()),
    );
    registry.provide(Arc::new(VolumeService::new(
        platform.store.clone(),
        platform.queue.clone(),
    )));
}
