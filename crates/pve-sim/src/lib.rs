//! A Proxmox VE simulator: `/api2/json` over an in-memory multi-node cluster, with
//! asynchronous tasks, fault injection, and every request checked against the
//! official API schema.

pub mod api;
pub mod handlers;
pub mod metrics;
pub mod model;
pub mod schema;
mod sim;
pub mod tasks;

pub use sim::{Cluster, Sim, SimConfig, SimInner};
