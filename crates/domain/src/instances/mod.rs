//! Instances (LXC containers and QEMU VMs): creation, power actions and termination,
//! each validated up front and carried out as a durable job.
//!
//! - [`InstanceService`] checks the caller and the request (422 with every field
//!   problem before anything touches Proxmox) and queues the job.
//! - [`register`] provides [`InstanceService`] and [`InstanceDetails`] and registers
//!   the job handlers (`instance.create`, `instance.{start,stop,shutdown,reboot}`,
//!   `instance.terminate`); [`InstanceSnapshots`] and `instance.snapshot.*`; the
//!   `instances.addresses` worker ([`AddressSweep`]).
//! - A container needs a way in: an SSH key or a generated root password
//!   ([`root_password`], returned once, carried sealed to the create job).
//! - [`InstanceEdits`] renames and retags (one synchronous config change);
//!   [`InstanceResizes`] queues `instance.resize` (cores, memory, root disk growth).
//! - Names are unique per cluster ([`require_unique_name`]): any new way of naming an
//!   instance (launch, rename) checks it there.
//! - Reads (`GET /api/v1/instances`) are served from the inventory mirror elsewhere.

mod address_sweep;
mod addresses;
mod clone_config;
mod create_job;
mod detail;
mod edit;
mod lifecycle_jobs;
pub mod names;
mod plan;
mod pve_steps;
mod request;
mod reservation;
mod resize;
mod resize_job;
mod resolve;
pub mod root_password;
mod service;
mod snapshot_jobs;
mod snapshot_support;
mod snapshots;
pub mod ssh_keys;
mod unique_name;

#[cfg(test)]
pub(crate) mod tests;

pub use address_sweep::{AddressSweep, Sweep};
pub use addresses::{AFTER_START_DELAYS, AddressLearner, Learned};
pub use create_job::KIND as CREATE_KIND;
pub use detail::{ConfigEntry, InstanceConfig, InstanceDetails, MASKED};
pub use edit::{InstanceEdit, InstanceEdits, MAX_TAG_LEN, MAX_TAGS, normalize_tags};
pub use lifecycle_jobs::{TERMINATE_KIND, power_kind};
pub use plan::{CreatePlan, Source, job_marker};
pub(crate) use pve_steps::run_power;
pub use pve_steps::{Power, Target};
pub use request::{CreateInstance, DEFAULT_BRIDGE, NO_WAY_IN, NetworkRequest};
pub use resize::{InstanceResizes, RESIZE_KIND, Resize};
pub use service::{InstanceRef, InstanceService, Launched, Queued};
pub(crate) use snapshot_jobs::{SnapshotAction, run_snapshot_action};
pub use snapshots::{
    CREATE_KIND as SNAPSHOT_CREATE_KIND, DELETE_KIND as SNAPSHOT_DELETE_KIND, InstanceSnapshots,
    ROLLBACK_KIND as SNAPSHOT_ROLLBACK_KIND, SnapshotList, SnapshotView,
    check_name as check_snapshot_name,
};
pub use unique_name::{guest_named, guests_named, require_unique_name};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides the instance services, registers every instance job kind and the
/// background worker that learns running guests' addresses.
pub fn register(registry: &mut Registry, platform: &Platform) {
    let store = &platform.store;
    let sweep = Arc::new(AddressSweep::new(
        store.clone(),
        platform.connector.clone(),
        AddressLearner::new(store.clone(), platform.events.clone()),
        Sweep::default(),
    ));
    registry.worker(sweep.worker());
    InstanceService::register_handlers(
        registry.jobs(),
        store.clone(),
        platform.connector.clone(),
        platform.events.clone(),
        Some(platform.mirror.clone()),
        platform.master_key.clone(),
    );
    registry.provide(Arc::new(InstanceService::new(
        store.clone(),
        platform.queue.clone(),
        platform.connector.clone(),
        platform.settings.clone(),
        platform.master_key.clone(),
    )));
    snapshot_jobs::register(
        registry.jobs(),
        platform.connector.clone(),
        Some(platform.mirror.clone()),
    );
    registry.provide(Arc::new(InstanceSnapshots::new(
        store.clone(),
        platform.queue.clone(),
        platform.connector.clone(),
    )));
    registry.jobs().register(
        RESIZE_KIND,
        Arc::new(resize_job::ResizeHandler {
            connector: platform.connector.clone(),
            refresh: Some(platform.mirror.clone()),
        }),
    );
    registry.provide(Arc::new(InstanceResizes::new(
        store.clone(),
        platform.queue.clone(),
    )));
    registry.provide(Arc::new(InstanceEdits::new(
        store.clone(),
        platform.connector.clone(),
        Some(platform.mirror.clone()),
    )));
    registry.provide(Arc::new(InstanceDetails::new(
        store.clone(),
        platform.connector.clone(),
        platform.events.clone(),
    )));
}
