//! One collection cycle for one cluster: ask Proxmox once, turn the answer into
//! one-minute samples and append them through the [`SeriesWriter`].
//!
//! Where the cluster has it, `/cluster/metrics/export?history=1&start-time=<last>`
//! (pvestatd's 10-second generations since our last point, Proxmox Datacenter
//! Manager's approach); otherwise `/cluster/resources` is sampled. Either way a
//! series keeps the first reading of each minute. Counters become rates between two
//! kept readings (`proxicloud_tsdb::counter_rate`): a reset or a reading more than
//! [`MAX_RATE_SPAN`] after the previous one gives no point, so gaps stay gaps.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use proxicloud_pve::{MetricsExportOptions, Pve, PveError};
use proxicloud_store::{SeriesKey, Store, Uuid};
use proxicloud_tsdb::{Sample, counter_rate};

use super::backfill;
use super::catalog::{
    Observation, Reading, ResourceKey, ResourceKind, export_name, observe_resource,
};
use super::writer::{RAW, SeriesWriter};

/// The longest interval a rate may average over; longer is an outage, left as a gap.
pub const MAX_RATE_SPAN: i64 = 300;
/// How far back the first export of a process asks.
const FIRST_EXPORT_WINDOW: i64 = 120;

/// What one cluster's collection remembers between cycles (in memory: after a
/// restart the stored chunks say where each series ends).
#[derive(Default)]
pub(crate) struct ClusterState {
    /// `Some(false)` once the cluster answered that it has no export.
    export: Option<bool>,
    /// The newest export timestamp seen.
    last_export: Option<i64>,
    /// The last kept reading of each counter series.
    counters: HashMap<i64, Sample>,
    /// Resources whose history was looked for (backfilled or found present).
    known: HashSet<ResourceKey>,
}

/// What a cycle did, for tests and the worker's log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CycleReport {
    pub used_export: bool,
    pub observations: usize,
    pub appended: usize,
    pub backfilled: usize,
    /// Guests Proxmox reported that the inventory mirror does not know yet: skipped
    /// this time, so the worker comes back soon rather than in a minute.
    pub unknown_guests: usize,
    /// Resources still without their history because a cycle backfills a bounded
    /// number: the worker comes back soon for them too.
    pub backfill_pending: usize,
}

pub(crate) struct Collector {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) writer: SeriesWriter,
    /// Series ids by key, so steady cycles need no id lookups.
    ids: HashMap<SeriesKey, i64>,
    pub(crate) clusters: HashMap<Uuid, ClusterState>,
    /// Resources backfilled per cycle at most, and at once.
    pub(crate) backfill_per_cycle: usize,
    pub(crate) backfill_concurrency: usize,
}

impl Collector {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self {
            writer: SeriesWriter::new(store.clone()),
            store,
            ids: HashMap::new(),
            clusters: HashMap::new(),
            backfill_per_cycle: 50,
            backfill_concurrency: 4,
        }
    }

    /// Collects one cluster at `now` (unix seconds).
    pub(crate) async fn cycle(
        &mut self,
        cluster_id: Uuid,
        pve: Arc<dyn Pve>,
        now: i64,
    ) -> Result<CycleReport, String> {
        let guests = guest_ids(&*self.store, cluster_id).await?;
        let state = self.clusters.entry(cluster_id).or_default();
        let mut report = CycleReport::default();
        let mut observations = Vec::new();
        if state.export != Some(false) {
            let options = MetricsExportOptions {
                history: true,
                start_time: Some(state.last_export.unwrap_or(now - FIRST_EXPORT_WINDOW)),
                ..Default::default()
            };
            match pve.metrics_export(&options).await {
                Ok(samples) => {
                    state.export = Some(true);
                    report.used_export = true;
                    let mut unknown = HashSet::new();
                    for s in &samples {
                        match from_export(cluster_id, &guests, s) {
                            Some(o) => observations.push(o),
                            None if is_unknown_guest(&guests, &s.id) => {
                                unknown.insert(s.id.as_str());
                            }
                            None => {}
                        }
                    }
                    report.unknown_guests = unknown.len();
                    if let Some(newest) = samples.iter().filter_map(|s| s.timestamp).max() {
                        state.last_export = Some(newest);
                    }
                }
                Err(e) if export_missing(&e) => state.export = Some(false),
                Err(e) => return Err(format!("metrics export: {e}")),
            }
        }
        if state.export == Some(false) {
            let entries = pve
                .cluster_resources(None)
                .await
                .map_err(|e| format!("cluster resources: {e}"))?;
            for entry in &entries {
                match resource_key(cluster_id, &guests, &entry.id) {
                    Some(key) => observe_resource(entry, key, now, &mut observations),
                    None if is_unknown_guest(&guests, &entry.id) => report.unknown_guests += 1,
                    None => {}
                }
            }
        }
        report.observations = observations.len();
        self.backfill_new(cluster_id, &pve, &guests, &observations, &mut report)
            .await?;
        report.appended = self.append(cluster_id, observations).await?;
        self.writer.flush().await.map_err(|e| e.to_string())?;
        Ok(report)
    }

    async fn series_ids(&mut self, keys: &[SeriesKey]) -> Result<Vec<i64>, String> {
        let missing: Vec<SeriesKey> = keys
            .iter()
            .filter(|k| !self.ids.contains_key(*k))
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            let ids = self
                .store
                .metrics()
                .ensure_series(&missing)
                .await
                .map_err(|e| e.to_string())?;
            self.ids.extend(missing.into_iter().zip(ids));
        }
        Ok(keys.iter().map(|k| self.ids[k]).collect())
    }

    /// Backfills resources seen for the first time whose primary series is empty: those
    /// observed this cycle and every guest the mirror knows. The mirror's guests count
    /// even without an observation, because the export only brings data newer than the
    /// last cycle: a guest skipped while the mirror had not caught up with it may have
    /// nothing new when it has, and would otherwise wait a whole minute for its history.
    async fn backfill_new(
        &mut self,
        cluster_id: Uuid,
        pve: &Arc<dyn Pve>,
        guests: &HashMap<u32, Uuid>,
        observations: &[Observation],
        report: &mut CycleReport,
    ) -> Result<(), String> {
        let state = self.clusters.entry(cluster_id).or_default();
        let fresh: Vec<ResourceKey> = observations
            .iter()
            .map(|o| o.resource.clone())
            .chain(guests.values().map(|id| ResourceKey::instance(*id)))
            .filter(|r| !state.known.contains(r))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let primaries: Vec<SeriesKey> = fresh
            .iter()
            .map(|r| SeriesKey::new(r.0.clone(), kind_of(r).primary()))
            .collect();
        let ids = self.series_ids(&primaries).await?;
        let stored = self
            .store
            .metrics()
            .latest_chunks(&ids, RAW)
            .await
            .map_err(|e| e.to_string())?;
        let has_data: HashSet<i64> = stored.iter().map(|c| c.series_id).collect();
        let mut todo = Vec::new();
        let state = self.clusters.entry(cluster_id).or_default();
        for (resource, id) in fresh.into_iter().zip(ids) {
            if has_data.contains(&id) {
                state.known.insert(resource);
            } else if todo.len() < self.backfill_per_cycle {
                todo.push(resource);
            } else {
                report.backfill_pending += 1;
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        let keys: Vec<SeriesKey> = todo
            .iter()
            .flat_map(|r| {
                kind_of(r)
                    .series()
                    .iter()
                    .map(|n| SeriesKey::new(r.0.clone(), *n))
            })
            .collect();
        let ids = self.series_ids(&keys).await?;
        let by_key: HashMap<SeriesKey, i64> = keys.into_iter().zip(ids.iter().copied()).collect();
        let done = backfill::run(
            &*self.store,
            pve.clone(),
            &todo,
            &by_key,
            self.backfill_concurrency,
        )
        .await;
        self.writer.unload(&ids);
        let state = self.clusters.entry(cluster_id).or_default();
        for resource in done {
            state.known.insert(resource);
            report.backfilled += 1;
        }
        Ok(())
    }

    async fn append(
        &mut self,
        cluster_id: Uuid,
        mut observations: Vec<Observation>,
    ) -> Result<usize, String> {
        let state = self.clusters.entry(cluster_id).or_default();
        // Resources awaiting their backfill are not collected yet: the backfill will
        // bring this minute too.
        let known = state.known.clone();
        observations.retain(|o| known.contains(&o.resource));
        observations.sort_by_key(|o| o.t);
        let keys: Vec<SeriesKey> = observations
            .iter()
            .map(|o| SeriesKey::new(o.resource.0.clone(), o.name))
            .collect();
        let ids = self.series_ids(&keys).await?;
        self.writer.load(&ids).await.map_err(|e| e.to_string())?;
        let mut points: Vec<(ResourceKey, &'static str, i64, f64)> = Vec::new();
        let state = self.clusters.entry(cluster_id).or_default();
        let mut appended = 0;
        for (o, id) in observations.iter().zip(&ids) {
            let minute = o.t - o.t.rem_euclid(RAW);
            if self.writer.last_t(*id).is_some_and(|last| minute <= last) {
                continue;
            }
            let value = match o.reading {
                Reading::Gauge => Some(o.value),
                Reading::Counter => {
                    let reading = Sample::new(o.t, o.value);
                    let previous = state.counters.insert(*id, reading);
                    previous
                        .filter(|p| o.t - p.t <= MAX_RATE_SPAN)
                        .and_then(|p| counter_rate(p, reading))
                }
            };
            let Some(value) = value else { continue };
            if self
                .writer
                .append(*id, minute, value)
                .map_err(|e| e.to_string())?
            {
                appended += 1;
                points.push((o.resource.clone(), o.name, minute, value));
            }
        }
        appended += self.append_cluster(cluster_id, &points).await?;
        Ok(appended)
    }

    /// The cluster's series: node CPU averaged, memory and network summed, per minute.
    async fn append_cluster(
        &mut self,
        cluster_id: Uuid,
        points: &[(ResourceKey, &'static str, i64, f64)],
    ) -> Result<usize, String> {
        let mut sums: BTreeMap<(&'static str, i64), (f64, u32)> = BTreeMap::new();
        for (resource, name, t, value) in points {
            if !resource.0.starts_with("node/") {
                continue;
            }
            if ResourceKind::Cluster.series().contains(name) {
                let entry = sums.entry((*name, *t)).or_default();
                entry.0 += value;
                entry.1 += 1;
            }
        }
        if sums.is_empty() {
            return Ok(0);
        }
        let cluster = ResourceKey::cluster(cluster_id);
        let keys: Vec<SeriesKey> = sums
            .keys()
            .map(|(name, _)| SeriesKey::new(cluster.0.clone(), *name))
            .collect();
        let ids = self.series_ids(&keys).await?;
        self.writer.load(&ids).await.map_err(|e| e.to_string())?;
        let mut by_time: Vec<(i64, i64, f64)> = sums
            .iter()
            .zip(&ids)
            .map(|(((name, t), (sum, n)), id)| {
                let value = if *name == "cpu" {
                    sum / f64::from(*n)
                } else {
                    *sum
                };
                (*t, *id, value)
            })
            .collect();
        by_time.sort_by_key(|(t, id, _)| (*t, *id));
        let mut appended = 0;
        for (t, id, value) in by_time {
            if self
                .writer
                .append(id, t, value)
                .map_err(|e| e.to_string())?
            {
                appended += 1;
            }
        }
        Ok(appended)
    }
}

pub(crate) fn kind_of(resource: &ResourceKey) -> ResourceKind {
    match resource.0.split('/').next() {
        Some("guest") => ResourceKind::Instance,
        Some("node") => ResourceKind::Node,
        Some("storage") => ResourceKind::Storage,
        _ => ResourceKind::Cluster,
    }
}

/// Proxmox answers an endpoint its version lacks with 501 "Method … not implemented".
fn export_missing(error: &PveError) -> bool {
    matches!(
        error,
        PveError::MethodNotImplemented { .. }
            | PveError::NotImplemented { .. }
            | PveError::NotFound { .. }
            | PveError::Server { status: 501, .. }
    )
}

/// The mirror's instance ids of one cluster, by vmid.
async fn guest_ids(store: &dyn Store, cluster_id: Uuid) -> Result<HashMap<u32, Uuid>, String> {
    let guests = store
        .guests()
        .list_live()
        .await
        .map_err(|e| e.to_string())?;
    Ok(guests
        .into_iter()
        .filter(|g| g.cluster_id == cluster_id)
        .map(|g| (g.observed.vmid.get(), g.id))
        .collect())
}

/// Whether `id` names a guest (`qemu/…`, `lxc/…`) the mirror does not have.
fn is_unknown_guest(guests: &HashMap<u32, Uuid>, id: &str) -> bool {
    match id.split_once('/') {
        Some(("qemu" | "lxc", vmid)) => vmid.parse().is_ok_and(|v: u32| !guests.contains_key(&v)),
        _ => false,
    }
}

/// Our key for a Proxmox id (`qemu/100`, `node/pve1`, `storage/pve1/local`); guests
/// the mirror does not know yet are skipped until it does.
fn resource_key(cluster_id: Uuid, guests: &HashMap<u32, Uuid>, id: &str) -> Option<ResourceKey> {
    let mut parts = id.split('/');
    match (parts.next()?, parts.next()?, parts.next()) {
        ("qemu" | "lxc", vmid, None) => {
            let guest = guests.get(&vmid.parse::<u32>().ok()?)?;
            Some(ResourceKey::instance(*guest))
        }
        ("node", node, None) => Some(ResourceKey::node(cluster_id, node)),
        ("storage", node, Some(storage)) => Some(ResourceKey::storage(cluster_id, node, storage)),
        _ => None,
    }
}

fn from_export(
    cluster_id: Uuid,
    guests: &HashMap<u32, Uuid>,
    sample: &proxicloud_pve::MetricSample,
) -> Option<Observation> {
    let resource = resource_key(cluster_id, guests, &sample.id)?;
    let kind = match kind_of(&resource) {
        ResourceKind::Instance => "guest",
        ResourceKind::Node => "node",
        ResourceKind::Storage => "storage",
        ResourceKind::Cluster => return None,
    };
    let (name, reading) = export_name(kind, &sample.metric)?;
    Some(Observation {
        resource,
        name,
        t: sample.timestamp?,
        value: sample.value?,
        reading,
    })
}
