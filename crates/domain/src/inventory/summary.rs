//! Counts and totals over the instances a caller may see, for the dashboard: one pass
//! over the in-memory index instead of the client paging through every row.

use std::collections::{BTreeMap, HashMap};

use proxicloud_store::{GuestFilter, Uuid};

use super::guest_index::GuestIndex;
use super::instances::Freshness;

const RUNNING: &str = "running";

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSummary {
    /// Instances, templates left out: a template is an image to launch from, not a
    /// stopped guest, so it is counted apart and in no status or cluster total.
    pub total: u64,
    /// How many instances are in each status (`running`, `stopped`, …).
    pub by_status: BTreeMap<String, u64>,
    pub templates: u64,
    /// Per cluster with visible instances, ordered by cluster id.
    pub clusters: Vec<ClusterUsage>,
    /// Stale when any of those clusters is, since the earliest outage.
    pub freshness: Freshness,
}

/// What a cluster's visible instances are configured with, and use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterUsage {
    pub cluster_id: Uuid,
    /// The cluster's name: everyone who sees its instances may know what it is called.
    pub cluster_name: String,
    /// Whether its mirrored data is current (staleness is per cluster).
    pub freshness: Freshness,
    pub instances: u64,
    pub running: u64,
    pub cpus: f64,
    pub memory_bytes: u64,
    pub memory_used_bytes: u64,
    pub disk_bytes: u64,
}

pub(super) fn summarise(
    index: &GuestIndex,
    filter: &GuestFilter,
    freshness_of: impl Fn(Uuid) -> Freshness,
    name_of: impl Fn(Uuid) -> String,
) -> InstanceSummary {
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut clusters: HashMap<Uuid, ClusterUsage> = HashMap::new();
    let mut total = 0;
    let mut templates = 0;
    for guest in index.matching(filter) {
        let observed = &guest.observed;
        if observed.template {
            templates += 1;
            continue;
        }
        total += 1;
        *by_status.entry(observed.status.clone()).or_default() += 1;
        let usage = clusters
            .entry(guest.cluster_id)
            .or_insert_with(|| ClusterUsage {
                cluster_id: guest.cluster_id,
                cluster_name: name_of(guest.cluster_id),
                freshness: freshness_of(guest.cluster_id),
                ..ClusterUsage::default()
            });
        usage.instances += 1;
        usage.running += u64::from(observed.status == RUNNING);
        usage.cpus += observed.cpus;
        usage.memory_bytes += observed.maxmem;
        usage.memory_used_bytes += observed.mem;
        usage.disk_bytes += observed.maxdisk;
    }
    let mut clusters: Vec<ClusterUsage> = clusters.into_values().collect();
    clusters.sort_by_key(|usage| usage.cluster_id);
    let freshness = clusters
        .iter()
        .map(|usage| usage.freshness)
        .fold(Freshness::Fresh, Freshness::combine);
    InstanceSummary {
        total,
        by_status,
        templates,
        clusters,
        freshness,
    }
}
