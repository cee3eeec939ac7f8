//! A Proxmox VE simulator: `/api2/json` over an in-memory multi-node cluster, with
//! asynchronous tasks, fault injection, and every request checked against the
//! official API schema.
//!
//! [`start`] serves it (HTTPS with a generated certificate by default); the `/sim/…`
//! endpoints that inject faults are documented in `control.rs` and the crate README.

pub mod api;
pub mod auth;
pub mod console;
mod control;
mod dispatch;
pub mod faults;
pub mod handlers;
pub mod metrics;
pub mod model;
pub mod persist;
pub mod record;
pub mod schema;
pub mod seed;
mod server;
mod sim;
pub mod tasks;
pub mod tls;
pub mod upload;
mod versions;
mod wire;

pub use record::RecordEntry;
pub use schema::RecordedRequest;
pub use server::{RunningSim, serve_forever, start};
pub use sim::{Cluster, Sim, SimConfig, SimInner, SimParts};
