//! Proxmox VE API client.
//!
//! [`Pve`] is the interface the rest of ProxiCloud programs against (shared as
//! `Arc<dyn Pve>`); [`HttpPve`] implements it over HTTPS with API-token or ticket
//! authentication, certificate pinning, failover between node addresses, timeouts and
//! GET retries. Long operations return a [`Upid`]; [`Pve::wait_task`] waits for it.

mod access;
mod addresses;
mod api;
mod auth;
mod backup;
mod cluster;
mod config;
mod console;
mod console_socket;
mod create;
mod error;
/// The in-memory Proxmox VE of the unit tests (feature `fake`).
#[cfg(any(test, feature = "fake"))]
pub mod fake;
mod firewall;
mod guest_ops;
mod guests;
mod http;
mod metrics;
mod network;
mod nodes;
mod params;
mod pending;
mod sdn;
pub mod serde_util;
mod snapshots;
mod storage;
mod tasks;
mod tls;
mod transport;
mod upid;
mod upload;

pub use access::{AclEntry, ApiToken, User};
pub use addresses::{GuestAddress, GuestAddresses, UnavailableReason};
pub use api::Pve;
pub use backup::{BackupMode, RestoreRequest, VzdumpRequest, parse_extracted_config};
pub use cluster::{ClusterResource, ClusterStatusEntry, ResourceKind, Version};
pub use config::{
    Auth, ClusterConfig, DEFAULT_PORT, RetryPolicy, Secret, Timeouts, TlsMode, parse_address,
};
pub use console::{ConsoleTicket, VncProxyOptions};
pub use console_socket::{ConsoleIo, ConsoleMessage, ConsoleProtocol, ConsoleSocket, OpenConsole};
pub use create::{Created, LxcCreate, QemuCreate, with_free_vmid};
pub use error::{PveError, Result};
pub use firewall::{FirewallGroup, FirewallOptions, FirewallRule, FirewallRuleSpec, FirewallScope};
pub use guest_ops::{CloneRequest, MigrateRequest, MoveVolumeRequest, ResizeRequest};
pub use guests::{ConfigUpdate, DeleteOptions, GuestConfig, GuestStatus, PowerAction};
pub use http::HttpPve;
pub use metrics::{
    Consolidation, MetricKind, MetricSample, MetricsExportOptions, RrdPoint, Timeframe,
};
pub use network::{NetworkConfig, NetworkInterface, NetworkInterfaceSpec};
pub use nodes::{CpuInfo, NodeStatus, NodeSummary, Usage};
pub use params::{ParamValue, Params};
pub use pending::PendingEntry;
pub use sdn::{SdnSubnet, SdnSubnetSpec, SdnVnet, SdnVnetSpec, SdnZone, SdnZoneSpec, subnet_id};
pub use snapshots::{Snapshot, SnapshotRequest};
pub use storage::{
    AllocateVolume, Appliance, ContentFilter, StorageFilter, StorageStatus, StorageVolume,
    VolumeAttributes,
};
pub use tasks::{
    TaskFilter, TaskLog, TaskLogLine, TaskStatus, TaskSuccess, TaskSummary, WaitOptions, log_tail,
    parse_exit_status, wait_for_task,
};
pub use tls::Fingerprint;
pub use upid::{InvalidUpid, Upid};
pub use upload::{ByteStream, UploadFile};

/// Re-exported so callers name ids the same way this crate does.
pub use proxicloud_types::{GuestType, NodeName, VmId};
