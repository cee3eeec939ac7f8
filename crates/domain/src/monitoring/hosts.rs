//! The hosts view of the Monitoring page: every cluster's nodes with their own CPU,
//! memory, uptime and storages, and how many guests each runs. Nodes are shared
//! infrastructure, so only admins get it. Pure: built from what
//! [`super::MonitoringService`] read, so it is unit-tested without a database.

use std::collections::HashMap;

use proxicloud_store::{Node, Storage, Timestamp, Uuid};

use crate::inventory::VisibleInstances;

#[derive(Debug, Clone, PartialEq)]
pub struct Hosts {
    /// By name.
    pub clusters: Vec<HostCluster>,
    pub generated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostCluster {
    pub id: Uuid,
    pub name: String,
    /// Since when the mirror could not reach it (its figures are from then).
    pub stale_since: Option<Timestamp>,
    /// By name; empty until the first poll answered.
    pub nodes: Vec<HostNode>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostNode {
    pub name: String,
    /// `online`, `offline` or `unknown`, as Proxmox says.
    pub status: String,
    /// 0.0..=1.0 of all its CPUs.
    pub cpu_usage: f64,
    pub cpus: u32,
    pub memory_bytes: u64,
    pub memory_used_bytes: u64,
    pub uptime_secs: u64,
    pub seen_at: Timestamp,
    /// Guests (not templates) on it, and how many of them run.
    pub guests: u32,
    pub guests_running: u32,
    /// By name. A shared storage is listed under every node that reports it.
    pub storages: Vec<HostStorage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostStorage {
    pub name: String,
    /// Proxmox's type: `dir`, `lvmthin`, `zfspool`, `nfs`, …
    pub storage_type: String,
    pub shared: bool,
    pub status: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
}

/// Every cluster of `visible` (an admin's view: every cluster and guest) with its
/// `nodes` and their `storages`, and the guests on each node.
pub(super) fn build(
    nodes: &[Node],
    storages: &[Storage],
    visible: &VisibleInstances,
    now: Timestamp,
) -> Hosts {
    let mut counts: HashMap<(Uuid, &str), (u32, u32)> = HashMap::new();
    for guest in visible.iter().filter(|g| !g.observed.template) {
        let entry = counts
            .entry((guest.cluster_id, guest.observed.node.as_str()))
            .or_default();
        entry.0 += 1;
        entry.1 += u32::from(guest.observed.status == "running");
    }
    let mut by_node: HashMap<(Uuid, &str), Vec<HostStorage>> = HashMap::new();
    for storage in storages {
        let observed = &storage.observed;
        by_node
            .entry((storage.cluster_id, observed.node.as_str()))
            .or_default()
            .push(HostStorage {
                name: observed.storage.clone(),
                storage_type: observed.storage_type.clone(),
                shared: observed.shared,
                status: observed.status.clone(),
                used_bytes: observed.used,
                total_bytes: observed.total,
            });
    }
    let mut clusters: Vec<HostCluster> = visible
        .clusters()
        .map(|(cluster_id, cluster_name)| {
            let mut nodes: Vec<HostNode> = nodes
                .iter()
                .filter(|node| node.cluster_id == cluster_id)
                .map(|node| {
                    let name = node.observed.name.as_str();
                    let (guests, guests_running) =
                        counts.get(&(cluster_id, name)).copied().unwrap_or_default();
                    let mut storages = by_node.remove(&(cluster_id, name)).unwrap_or_default();
                    storages.sort_by(|a, b| a.name.cmp(&b.name));
                    HostNode {
                        name: name.to_owned(),
                        status: node.observed.status.clone(),
                        cpu_usage: node.observed.cpu,
                        cpus: node.observed.maxcpu,
                        memory_bytes: node.observed.maxmem,
                        memory_used_bytes: node.observed.mem,
                        uptime_secs: node.observed.uptime,
                        seen_at: node.seen_at,
                        guests,
                        guests_running,
                        storages,
                    }
                })
                .collect();
            nodes.sort_by(|a, b| a.name.cmp(&b.name));
            HostCluster {
                id: cluster_id,
                name: cluster_name.to_owned(),
                stale_since: visible.freshness(cluster_id).stale_since(),
                nodes,
            }
        })
        .collect();
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    Hosts {
        clusters,
        generated_at: now,
    }
}

#[cfg(test)]
mod tests;
