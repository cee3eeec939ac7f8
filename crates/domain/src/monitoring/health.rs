//! The health map: every cluster → node → guest the caller may see, each with a
//! health from the mirror's live state and the alerts firing on it. Pure: built from
//! what [`super::MonitoringService`] read, so the rules are unit-tested.
//!
//! The rules (the issue's, made precise):
//! - critical: CPU above 90 %, a node that is not online, a cluster the mirror cannot
//!   reach (its guests too: their state is unknown), or a firing alert of severity
//!   `critical` on the resource (e.g. "guest down unexpectedly");
//! - warning: CPU 70–90 %, memory at 90 % or more, a paused guest, or a firing alert of
//!   another severity;
//! - stopped: a guest that is not running and nothing is wrong with it;
//! - ok: otherwise. Templates are images, not guests: left out.

use std::collections::{BTreeMap, HashMap};

use proxicloud_pve::GuestType;
use proxicloud_store::{Alert, Node, Timestamp, Uuid};

use crate::inventory::{IndexedGuest, VisibleInstances};

const CPU_WARNING: f64 = 0.70;
const CPU_CRITICAL: f64 = 0.90;
const MEMORY_HIGH: f64 = 0.90;

/// Worst last: the worst of several is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Ok,
    Stopped,
    Warning,
    Critical,
}

/// A health and, when it is not plain `ok`/`stopped`, why.
#[derive(Debug, Clone, PartialEq)]
struct Verdict {
    health: Health,
    reason: Option<String>,
}

impl Verdict {
    fn ok() -> Self {
        Self {
            health: Health::Ok,
            reason: None,
        }
    }

    /// Keeps the worse of the two (the first on a tie).
    fn worst(self, other: Verdict) -> Verdict {
        if other.health > self.health {
            other
        } else {
            self
        }
    }

    fn of(health: Health, reason: impl Into<String>) -> Self {
        Self {
            health,
            reason: Some(reason.into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthMap {
    pub clusters: Vec<ClusterTile>,
    pub generated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterTile {
    pub id: Uuid,
    pub name: String,
    /// Since when the mirror could not reach it; `None` while it answers.
    pub stale_since: Option<Timestamp>,
    /// The worst of its nodes and guests.
    pub health: Health,
    pub nodes: Vec<NodeTile>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeTile {
    pub name: String,
    /// `online`, `offline` or `unknown`, as Proxmox says (`unknown` when never seen).
    pub status: String,
    /// The node's own load: for admins only (others see their guests grouped by node).
    pub load: Option<NodeLoad>,
    pub health: Health,
    pub reason: Option<String>,
    /// Worst first, then by name: problems are at the top of a large map.
    pub guests: Vec<GuestTile>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeLoad {
    pub cpu_usage: f64,
    pub cpus: u32,
    pub memory_bytes: u64,
    pub memory_used_bytes: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GuestTile {
    pub id: Uuid,
    pub vmid: u32,
    pub name: String,
    pub kind: GuestType,
    pub status: String,
    /// Allocated vCPUs and memory: what a tile's size shows.
    pub cpus: f64,
    pub memory_bytes: u64,
    pub cpu_usage: f64,
    pub memory_used_bytes: u64,
    pub health: Health,
    pub reason: Option<String>,
}

/// Firing alerts by resource (`instance:<id>`, `node:<cluster>:<name>`, `cluster:<id>`).
struct Firing<'a>(HashMap<(&'a str, &'a str), Vec<&'a Alert>>);

impl<'a> Firing<'a> {
    fn new(alerts: &'a [Alert]) -> Self {
        let mut by_resource: HashMap<(&str, &str), Vec<&Alert>> = HashMap::new();
        for alert in alerts {
            let key = (alert.resource.kind.as_str(), alert.resource.id.as_str());
            by_resource.entry(key).or_default().push(alert);
        }
        Self(by_resource)
    }

    fn verdict(&self, kind: &str, id: &str) -> Verdict {
        let Some(alerts) = self.0.get(&(kind, id)) else {
            return Verdict::ok();
        };
        alerts.iter().fold(Verdict::ok(), |verdict, alert| {
            let health = match alert.severity.as_str() {
                "critical" => Health::Critical,
                _ => Health::Warning,
            };
            verdict.worst(Verdict::of(health, format!("alert: {}", alert.message)))
        })
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.0} %", ratio * 100.0)
}

fn load_verdict(cpu: f64, memory_used: u64, memory: u64) -> Verdict {
    let memory_ratio = if memory == 0 {
        0.0
    } else {
        memory_used as f64 / memory as f64
    };
    if cpu > CPU_CRITICAL {
        Verdict::of(Health::Critical, format!("CPU {}", percent(cpu)))
    } else if cpu >= CPU_WARNING {
        Verdict::of(Health::Warning, format!("CPU {}", percent(cpu)))
    } else if memory_ratio >= MEMORY_HIGH {
        Verdict::of(Health::Warning, format!("memory {}", percent(memory_ratio)))
    } else {
        Verdict::ok()
    }
}

fn guest_verdict(guest: &IndexedGuest, host: &Verdict, firing: &Firing<'_>) -> Verdict {
    let observed = &guest.observed;
    // An unreachable host makes its guests' state unknown: the host's reason says why.
    let own = if host.health == Health::Critical {
        host.clone()
    } else {
        match observed.status.as_str() {
            "running" => load_verdict(observed.activity.cpu, observed.mem, observed.maxmem),
            "paused" => Verdict::of(Health::Warning, "paused"),
            _ => Verdict {
                health: Health::Stopped,
                reason: None,
            },
        }
    };
    own.worst(firing.verdict("instance", &guest.id.to_string()))
}

/// A node as the map groups it: the mirror's node (if seen) and its visible guests.
type NodeGroup<'a> = (Option<&'a Node>, Vec<GuestTile>);

/// The map of `visible`'s guests, grouped under `nodes`; `admin` also shows every node
/// and cluster (with their own load) even without guests.
pub(super) fn build(
    visible: &VisibleInstances,
    nodes: &[Node],
    firing: &[Alert],
    admin: bool,
) -> HealthMap {
    let firing = Firing::new(firing);
    let mut clusters: BTreeMap<Uuid, BTreeMap<String, NodeGroup<'_>>> = BTreeMap::new();
    if admin {
        for node in nodes {
            clusters
                .entry(node.cluster_id)
                .or_default()
                .entry(node.observed.name.clone())
                .or_default()
                .0 = Some(node);
        }
    }
    let node_of: HashMap<(Uuid, &str), &Node> = nodes
        .iter()
        .map(|n| ((n.cluster_id, n.observed.name.as_str()), n))
        .collect();
    for guest in visible.iter().filter(|g| !g.observed.template) {
        let node = node_of
            .get(&(guest.cluster_id, guest.observed.node.as_str()))
            .copied();
        let host = host_verdict(visible, guest.cluster_id, node, &guest.observed.node);
        let verdict = guest_verdict(guest, &host, &firing);
        let entry = clusters
            .entry(guest.cluster_id)
            .or_default()
            .entry(guest.observed.node.clone())
            .or_default();
        entry.0 = node;
        entry.1.push(GuestTile {
            id: guest.id,
            vmid: guest.observed.vmid.get(),
            name: guest.observed.name.clone(),
            kind: guest.observed.kind,
            status: guest.observed.status.clone(),
            cpus: guest.observed.cpus,
            memory_bytes: guest.observed.maxmem,
            cpu_usage: guest.observed.activity.cpu,
            memory_used_bytes: guest.observed.mem,
            health: verdict.health,
            reason: verdict.reason,
        });
    }
    let clusters = clusters
        .into_iter()
        .map(|(cluster_id, nodes)| {
            let nodes: Vec<NodeTile> = nodes
                .into_iter()
                .map(|(name, (node, mut guests))| {
                    guests
                        .sort_by(|a, b| b.health.cmp(&a.health).then_with(|| a.name.cmp(&b.name)));
                    let host = host_verdict(visible, cluster_id, node, &name);
                    let own = match (admin, node) {
                        (true, Some(node)) => host
                            .worst(load_verdict(
                                node.observed.cpu,
                                node.observed.mem,
                                node.observed.maxmem,
                            ))
                            .worst(firing.verdict("node", &format!("{cluster_id}:{name}"))),
                        _ => host,
                    };
                    NodeTile {
                        status: node
                            .map_or_else(|| "unknown".to_owned(), |n| n.observed.status.clone()),
                        load: node.filter(|_| admin).map(|n| NodeLoad {
                            cpu_usage: n.observed.cpu,
                            cpus: n.observed.maxcpu,
                            memory_bytes: n.observed.maxmem,
                            memory_used_bytes: n.observed.mem,
                        }),
                        health: own.health,
                        reason: own.reason,
                        name,
                        guests,
                    }
                })
                .collect();
            let stale_since = visible.freshness(cluster_id).stale_since();
            let worst_node = nodes.iter().map(|n| n.health).max().unwrap_or(Health::Ok);
            let worst_guest = nodes
                .iter()
                .flat_map(|n| n.guests.iter().map(|g| g.health))
                .max()
                .unwrap_or(Health::Ok);
            ClusterTile {
                id: cluster_id,
                name: visible.cluster_name(cluster_id).to_owned(),
                stale_since,
                health: worst_node.max(worst_guest),
                nodes,
            }
        })
        .collect();
    HealthMap {
        clusters,
        generated_at: Timestamp::now(),
    }
}

/// Whether the host of a guest can be trusted: its cluster answers and its node is
/// online. Critical with the reason when not.
fn host_verdict(
    visible: &VisibleInstances,
    cluster: Uuid,
    node: Option<&Node>,
    name: &str,
) -> Verdict {
    if let Some(since) = visible.freshness(cluster).stale_since() {
        return Verdict::of(
            Health::Critical,
            format!("cluster unreachable since {since}"),
        );
    }
    match node {
        Some(node) if node.observed.status != "online" => Verdict::of(
            Health::Critical,
            format!("node {name} is {}", node.observed.status),
        ),
        _ => Verdict::ok(),
    }
}

#[cfg(test)]
mod tests;
