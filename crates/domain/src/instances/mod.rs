//! Instances (LXC containers and QEMU VMs): creation, power actions and termination,
//! each validated up front and carried out as a durable job.
//!
//! - [`InstanceService`] checks the caller and the request (422 with every field
//!   problem before anything touches Proxmox) and queues the job.
//! - The job handlers (`instance.create`, `instance.{start,stop,shutdown,reboot}`,
//!   `instance.terminate`) are registered on the engine with
//!   [`InstanceService::register_handlers`]; [`start_job_engine`] does it all for
//!   the server.
//! - Reads (`GET /api/v1/instances`) are served from the inventory mirror elsewhere.

mod addresses;
mod clone_config;
mod connector;
mod create_job;
mod detail;
mod engine;
mod lifecycle_jobs;
pub mod names;
mod plan;
mod pve_steps;
mod request;
mod reservation;
mod resolve;
mod service;
pub mod ssh_keys;

#[cfg(test)]
mod tests;

pub use addresses::{AFTER_START_DELAYS, AddressLearner, Learned};
pub use connector::{ClusterConnector, MirrorRefresh, PveConnector};
pub use create_job::KIND as CREATE_KIND;
pub use detail::{ConfigEntry, InstanceConfig, InstanceDetails, MASKED};
pub use engine::start_job_engine;
pub use lifecycle_jobs::{TERMINATE_KIND, power_kind};
pub use plan::{CreatePlan, Source, job_marker};
pub use pve_steps::{Power, Target};
pub use request::{CreateInstance, DEFAULT_BRIDGE, NetworkRequest};
pub use service::InstanceService;
