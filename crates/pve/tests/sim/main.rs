//! `HttpPve` against the simulator over real HTTPS: every endpoint, task waiting,
//! auth, TLS pinning, failover and retries. Each test runs its own simulator and ends
//! by checking every request it sent against the official PVE API schema.

mod common;

mod access_and_cluster;
mod addresses;
mod auth;
mod backup_and_storage;
mod backup_protection;
mod console;
mod errors;
mod firewall;
mod lxc;
mod network_and_sdn;
mod qemu;
mod tasks;
mod transport;
