//! The inventory mirror: what `/cluster/resources` last said about each cluster.

use async_trait::async_trait;
use proxicloud_types::{GuestType, VmId};
use uuid::Uuid;

use crate::{Result, Timestamp};

/// One node as reported by Proxmox.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeObservation {
    pub name: String,
    /// `online`, `offline` or `unknown`, as Proxmox says.
    pub status: String,
    /// CPU usage, 0.0..=1.0 per node.
    pub cpu: f64,
    pub maxcpu: u32,
    pub mem: u64,
    pub maxmem: u64,
    pub uptime: u64,
}

/// A mirrored node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub cluster_id: Uuid,
    pub observed: NodeObservation,
    pub seen_at: Timestamp,
}

/// One storage on one node as reported by Proxmox (shared storages appear once per node).
#[derive(Debug, Clone, PartialEq)]
pub struct StorageObservation {
    pub node: String,
    pub storage: String,
    /// Proxmox's storage type: `dir`, `lvmthin`, `zfspool`, `nfs`, …
    pub storage_type: String,
    /// Comma-separated content types: `images,rootdir,vztmpl,iso,backup`.
    pub content: String,
    pub total: u64,
    pub used: u64,
    pub avail: u64,
    pub shared: bool,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Storage {
    pub cluster_id: Uuid,
    pub observed: StorageObservation,
    pub seen_at: Timestamp,
}

/// One guest as reported by Proxmox.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestObservation {
    pub vmid: VmId,
    pub node: String,
    pub kind: GuestType,
    pub name: String,
    /// `running`, `stopped`, `paused`, … as Proxmox says.
    pub status: String,
    pub cpus: f64,
    pub maxmem: u64,
    pub mem: u64,
    pub maxdisk: u64,
    pub disk: u64,
    pub uptime: u64,
    pub template: bool,
    pub lock: Option<String>,
    /// Proxmox's `;`-separated tag list.
    pub tags: Option<String>,
    /// CPU share and I/O: usage, refreshed on every sync, never a change on its own.
    pub activity: GuestActivity,
}

/// What a guest is doing: Proxmox's CPU share and I/O counters from
/// `/cluster/resources`, and the rates the sync derives from two consecutive samples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GuestActivity {
    /// Share of its vCPUs in use, 0.0..=1.0 (PVE's `cpu`).
    pub cpu: f64,
    pub counters: IoCounters,
    /// Filled in by the sync; an observation straight from Proxmox has none.
    pub rates: IoRates,
}

/// Bytes since the guest started (PVE's `netin`, `netout`, `diskread`, `diskwrite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoCounters {
    pub netin: u64,
    pub netout: u64,
    pub diskread: u64,
    pub diskwrite: u64,
}

/// Bytes per second between two samples of [`IoCounters`]; `None` without an earlier
/// sample, or for a counter that went down (the guest restarted: its counters began
/// again at zero, so the difference means nothing).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IoRates {
    pub netin: Option<f64>,
    pub netout: Option<f64>,
    pub diskread: Option<f64>,
    pub diskwrite: Option<f64>,
}

impl IoRates {
    /// The rates from `before` (taken at `before_at`) to `now` (at `now_at`), as
    /// `proxicloud_tsdb::rate_over` reckons them: none for a counter that went back (a
    /// restart), none at all when no time passed (or the clock went back).
    pub fn between(
        before: &IoCounters,
        before_at: Timestamp,
        now: &IoCounters,
        now_at: Timestamp,
    ) -> Self {
        let seconds = (now_at.unix_micros() - before_at.unix_micros()) as f64 / 1e6;
        let rate = |old: u64, new: u64| proxicloud_tsdb::rate_over(old as f64, new as f64, seconds);
        Self {
            netin: rate(before.netin, now.netin),
            netout: rate(before.netout, now.netout),
            diskread: rate(before.diskread, now.diskread),
            diskwrite: rate(before.diskwrite, now.diskwrite),
        }
    }
}

impl GuestObservation {
    /// Whether anything a user would call a change differs. Live usage (mem, disk,
    /// uptime, activity) is refreshed on every sync but is not an event on its own.
    pub fn differs_in_state(&self, other: &GuestObservation) -> bool {
        self.node != other.node
            || self.kind != other.kind
            || self.name != other.name
            || self.status != other.status
            || self.cpus != other.cpus
            || self.maxmem != other.maxmem
            || self.maxdisk != other.maxdisk
            || self.template != other.template
            || self.lock != other.lock
            || self.tags != other.tags
    }
}

/// Everything one `/cluster/resources` call returned for a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct InventorySnapshot {
    /// When the call was answered; becomes `seen_at` of every row it contains.
    pub observed_at: Timestamp,
    pub nodes: Vec<NodeObservation>,
    pub storages: Vec<StorageObservation>,
    pub guests: Vec<GuestObservation>,
}

/// Which guest rows one sync created, changed and marked removed (by guest id), so the
/// server can emit events. `changed` and `disappeared` are in vmid order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Guests seen for the first time (new rows, unmanaged and unowned).
    pub appeared: Vec<Uuid>,
    /// Existing guests whose state changed (see [`GuestObservation::differs_in_state`]),
    /// including reservations that Proxmox now reports for the first time.
    pub changed: Vec<Uuid>,
    /// Guests missing from the snapshot, now marked `removed_at`.
    pub disappeared: Vec<Uuid>,
}

impl SyncReport {
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.changed.is_empty() && self.disappeared.is_empty()
    }
}

#[async_trait]
pub trait InventoryRepo: Send + Sync {
    /// Applies a whole snapshot of one cluster in one transaction:
    /// - nodes and storages are replaced by the snapshot's;
    /// - guests are matched to live rows by `(cluster_id, vmid)`; Proxmox's fields are
    ///   overwritten, ours (`id`, `owner_id`, `managed`, `created_by_job`, `created_at`)
    ///   never are. A vmid that now holds the other kind of guest is a new guest;
    /// - live guests missing from the snapshot get `removed_at`, except reservations
    ///   Proxmox has not reported yet (their create job is still running).
    ///
    /// Guests are written with multi-row statements, so 10,000 guests take a few dozen
    /// statements, not 10,000 round trips.
    async fn sync(&self, cluster_id: Uuid, snapshot: &InventorySnapshot) -> Result<SyncReport>;
    /// Ordered by cluster, then name. `None`: all clusters.
    async fn list_nodes(&self, cluster_id: Option<Uuid>) -> Result<Vec<Node>>;
    /// Ordered by cluster, node, storage. `None`: all clusters.
    async fn list_storages(&self, cluster_id: Option<Uuid>) -> Result<Vec<Storage>>;
}
