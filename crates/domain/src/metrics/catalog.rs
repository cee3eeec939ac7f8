//! Which series exist: their resources, names and whether Proxmox gives them as
//! gauges or as byte counters (stored as rates). To add a series, add its name to the
//! resource's list and map it from both sources below (`from_export`, `observe_*`).

use proxicloud_pve::ClusterResource;
use proxicloud_store::Uuid;

/// What a series belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Instance,
    Node,
    Cluster,
    Storage,
}

impl ResourceKind {
    /// Every series of this kind of resource, in the order the API lists them.
    pub fn series(self) -> &'static [&'static str] {
        match self {
            ResourceKind::Instance => &[
                "cpu",
                "mem",
                "maxmem",
                "disk",
                "maxdisk",
                "netin",
                "netout",
                "diskread",
                "diskwrite",
            ],
            ResourceKind::Node => &[
                "cpu",
                "loadavg",
                "iowait",
                "mem",
                "maxmem",
                "swap",
                "maxswap",
                "rootfs",
                "maxrootfs",
                "netin",
                "netout",
            ],
            ResourceKind::Cluster => &["cpu", "mem", "maxmem", "netin", "netout"],
            ResourceKind::Storage => &["used", "total"],
        }
    }

    /// The series a fresh resource is checked by: no data in it means no history yet.
    pub(crate) fn primary(self) -> &'static str {
        self.series()[0]
    }
}

/// A resource's key in the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey(pub String);

impl ResourceKey {
    pub fn instance(guest_id: Uuid) -> Self {
        Self(format!("guest/{guest_id}"))
    }
    pub fn node(cluster_id: Uuid, node: &str) -> Self {
        Self(format!("node/{cluster_id}/{node}"))
    }
    pub fn cluster(cluster_id: Uuid) -> Self {
        Self(format!("cluster/{cluster_id}"))
    }
    pub fn storage(cluster_id: Uuid, node: &str, storage: &str) -> Self {
        Self(format!("storage/{cluster_id}/{node}/{storage}"))
    }
}

/// Whether a reading is a level or a byte counter to turn into a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Gauge,
    Counter,
}

/// One value Proxmox reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub resource: ResourceKey,
    pub name: &'static str,
    pub t: i64,
    pub value: f64,
    pub reading: Reading,
}

/// Our name and reading of a `/cluster/metrics/export` metric of a guest (`qemu/…`,
/// `lxc/…`), a node or a storage (pve-manager's `PVE::PullMetric` names).
pub(crate) fn export_name(kind: &str, metric: &str) -> Option<(&'static str, Reading)> {
    use Reading::{Counter, Gauge};
    Some(match (kind, metric) {
        ("guest" | "node", "cpu_current") => ("cpu", Gauge),
        ("guest" | "node", "mem_used") => ("mem", Gauge),
        ("guest" | "node", "mem_total") => ("maxmem", Gauge),
        ("guest" | "node", "net_in") => ("netin", Counter),
        ("guest" | "node", "net_out") => ("netout", Counter),
        ("guest", "disk_used") => ("disk", Gauge),
        ("guest", "disk_total") => ("maxdisk", Gauge),
        ("guest", "disk_read") => ("diskread", Counter),
        ("guest", "disk_write") => ("diskwrite", Counter),
        ("node", "cpu_avg1") => ("loadavg", Gauge),
        ("node", "cpu_iowait") => ("iowait", Gauge),
        ("node", "swap_used") => ("swap", Gauge),
        ("node", "swap_total") => ("maxswap", Gauge),
        ("node", "disk_used") => ("rootfs", Gauge),
        ("node", "disk_total") => ("maxrootfs", Gauge),
        ("storage", "disk_used") => ("used", Gauge),
        ("storage", "disk_total") => ("total", Gauge),
        _ => return None,
    })
}

/// The readings of one `/cluster/resources` entry, for clusters without the export.
/// `resource` is the entry's key (see [`ResourceKey`]), `None` to skip it.
pub(crate) fn observe_resource(
    entry: &ClusterResource,
    resource: ResourceKey,
    t: i64,
    out: &mut Vec<Observation>,
) {
    let mut push = |name, value: Option<f64>, reading| {
        if let Some(value) = value {
            out.push(Observation {
                resource: resource.clone(),
                name,
                t,
                value,
                reading,
            });
        }
    };
    let num = |v: Option<u64>| v.map(|v| v as f64);
    let running = entry.status.as_deref() == Some("running");
    match entry.kind.as_str() {
        "qemu" | "lxc" => {
            if running {
                // A stopped guest's zeros are not measurements: leave a gap.
                push("cpu", entry.cpu, Reading::Gauge);
                push("mem", num(entry.mem), Reading::Gauge);
                push("netin", num(entry.netin), Reading::Counter);
                push("netout", num(entry.netout), Reading::Counter);
                push("diskread", num(entry.diskread), Reading::Counter);
                push("diskwrite", num(entry.diskwrite), Reading::Counter);
                if entry.kind == "lxc" {
                    push("disk", num(entry.disk), Reading::Gauge);
                }
            }
            push("maxmem", num(entry.maxmem), Reading::Gauge);
            push("maxdisk", num(entry.maxdisk), Reading::Gauge);
        }
        "node" if entry.status.as_deref() == Some("online") => {
            push("cpu", entry.cpu, Reading::Gauge);
            push("mem", num(entry.mem), Reading::Gauge);
            push("maxmem", num(entry.maxmem), Reading::Gauge);
            push("rootfs", num(entry.disk), Reading::Gauge);
            push("maxrootfs", num(entry.maxdisk), Reading::Gauge);
        }
        "storage" if entry.status.as_deref() == Some("available") => {
            push("used", num(entry.disk), Reading::Gauge);
            push("total", num(entry.maxdisk), Reading::Gauge);
        }
        _ => {}
    }
}
