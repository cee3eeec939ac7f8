//! History for resources seen for the first time, from Proxmox's own RRD files, so a
//! fresh install shows the last day and month at once.
//!
//! Per node and guest: `rrddata?timeframe=day&cf=AVERAGE` gives the last 24 hours at
//! one minute (the `hour` timeframe is the same data, shorter), and `timeframe=month`
//! with `cf=AVERAGE` and `cf=MAX` gives 30 days at 30 minutes — exactly our rollups
//! (`week` is the same data, shorter). Rows without a value stay gaps. Storages have
//! no `rrddata` call in our client yet, clusters are derived: both start empty.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use proxicloud_pve::NodeName;
use proxicloud_pve::{Consolidation, Pve, RrdPoint, Timeframe};
use proxicloud_store::{MetricChunk, SeriesKey, Store, Uuid};
use proxicloud_tsdb::Sample;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::catalog::{ResourceKey, ResourceKind};
use super::collect::kind_of;
use super::writer::{RAW, RAW_SPAN, ROLLUP, ROLLUP_SPAN, pack};

/// Backfills `resources` with at most `concurrency` of them asking Proxmox at once;
/// returns those done (a resource whose RRD cannot be read is done too, without
/// history: it is not asked again by this process).
pub(crate) async fn run(
    store: &dyn Store,
    pve: Arc<dyn Pve>,
    resources: &[ResourceKey],
    ids: &HashMap<SeriesKey, i64>,
    concurrency: usize,
) -> Vec<ResourceKey> {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for resource in resources.iter().cloned() {
        let target = match target(store, &resource).await {
            Ok(target) => target,
            Err(error) => {
                tracing::warn!(resource = %resource.0, %error, "metrics backfill: no target");
                None
            }
        };
        let (pve, limit) = (pve.clone(), limit.clone());
        tasks.spawn(async move {
            let Some(target) = target else {
                return (resource, Ok(Rows::default()));
            };
            let _permit = limit.acquire_owned().await;
            (resource, fetch(&*pve, &target).await)
        });
    }
    let mut done = Vec::new();
    let mut chunks: Vec<MetricChunk> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((resource, rows)) = joined else {
            continue;
        };
        match rows {
            Ok(rows) => match to_chunks(&resource, &rows, ids) {
                Ok(mut more) => chunks.append(&mut more),
                Err(error) => tracing::warn!(resource = %resource.0, %error, "metrics backfill"),
            },
            Err(error) => tracing::warn!(resource = %resource.0, %error, "metrics backfill"),
        }
        done.push(resource);
    }
    if let Err(error) = store.metrics().put_chunks(&chunks).await {
        tracing::warn!(%error, "metrics backfill: writing chunks");
        return Vec::new();
    }
    done
}

/// Which RRD a resource has.
enum Target {
    Guest {
        node: NodeName,
        kind: proxicloud_pve::GuestType,
        vmid: proxicloud_pve::VmId,
    },
    Node(NodeName),
}

async fn target(store: &dyn Store, resource: &ResourceKey) -> Result<Option<Target>, String> {
    let mut parts = resource.0.split('/');
    let (_, id, node) = (parts.next(), parts.next(), parts.next());
    Ok(match kind_of(resource) {
        ResourceKind::Instance => {
            let id: Uuid = id.and_then(|id| id.parse().ok()).ok_or("bad key")?;
            let guest = store.guests().get(id).await.map_err(|e| e.to_string())?;
            Some(Target::Guest {
                node: NodeName::new(guest.observed.node).map_err(|e| e.to_string())?,
                kind: guest.observed.kind,
                vmid: guest.observed.vmid,
            })
        }
        ResourceKind::Node => Some(Target::Node(
            NodeName::new(node.ok_or("bad key")?).map_err(|e| e.to_string())?,
        )),
        ResourceKind::Storage | ResourceKind::Cluster => None,
    })
}

#[derive(Default)]
struct Rows {
    day: Vec<RrdPoint>,
    month_avg: Vec<RrdPoint>,
    month_max: Vec<RrdPoint>,
}

async fn fetch(pve: &dyn Pve, target: &Target) -> Result<Rows, String> {
    let get = |timeframe, cf| async move {
        match target {
            Target::Guest { node, kind, vmid } => {
                pve.guest_rrddata(node, *kind, *vmid, timeframe, cf).await
            }
            Target::Node(node) => pve.node_rrddata(node, timeframe, cf).await,
        }
        .map_err(|e| e.to_string())
    };
    Ok(Rows {
        day: get(Timeframe::Day, Consolidation::Average).await?,
        month_avg: get(Timeframe::Month, Consolidation::Average).await?,
        month_max: get(Timeframe::Month, Consolidation::Max).await?,
    })
}

/// A series' value in an RRD row. Node rows name memory and disks differently.
fn field(point: &RrdPoint, kind: ResourceKind, name: &str) -> Option<f64> {
    let other = |key: &str| point.other.get(key).and_then(serde_json::Value::as_f64);
    match (kind, name) {
        (_, "cpu") => point.cpu,
        (_, "netin") => point.netin,
        (_, "netout") => point.netout,
        (ResourceKind::Instance, "mem") => point.mem,
        (ResourceKind::Instance, "maxmem") => point.maxmem,
        (ResourceKind::Instance, "disk") => point.disk,
        (ResourceKind::Instance, "maxdisk") => point.maxdisk,
        (ResourceKind::Instance, "diskread") => point.diskread,
        (ResourceKind::Instance, "diskwrite") => point.diskwrite,
        (ResourceKind::Node, "mem") => other("memused"),
        (ResourceKind::Node, "maxmem") => other("memtotal"),
        (ResourceKind::Node, "swap") => other("swapused"),
        (ResourceKind::Node, "maxswap") => other("swaptotal"),
        (ResourceKind::Node, "rootfs") => other("rootused"),
        (ResourceKind::Node, "maxrootfs") => other("roottotal"),
        (ResourceKind::Node, "loadavg" | "iowait") => other(name),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

fn to_chunks(
    resource: &ResourceKey,
    rows: &Rows,
    ids: &HashMap<SeriesKey, i64>,
) -> Result<Vec<MetricChunk>, String> {
    let kind = kind_of(resource);
    let mut out = Vec::new();
    for name in kind.series() {
        let Some(&id) = ids.get(&SeriesKey::new(resource.0.clone(), *name)) else {
            continue;
        };
        let raw: Vec<Sample> = rows
            .day
            .iter()
            .filter_map(|p| Some(Sample::new(p.time?, field(p, kind, name)?)))
            .collect();
        // A rollup needs both its average and its maximum; its time is its start.
        let mut rollups: BTreeMap<i64, (Option<f64>, Option<f64>)> = BTreeMap::new();
        for p in &rows.month_avg {
            if let (Some(t), Some(v)) = (p.time, field(p, kind, name)) {
                rollups.entry(t - ROLLUP).or_default().0 = Some(v);
            }
        }
        for p in &rows.month_max {
            if let (Some(t), Some(v)) = (p.time, field(p, kind, name)) {
                rollups.entry(t - ROLLUP).or_default().1 = Some(v);
            }
        }
        let (avg, max): (Vec<Sample>, Vec<Sample>) = rollups
            .into_iter()
            .filter_map(|(t, pair)| match pair {
                (Some(a), Some(m)) => Some((Sample::new(t, a), Sample::new(t, m.max(a)))),
                _ => None,
            })
            .unzip();
        out.extend(pack(id, RAW, RAW_SPAN, &raw, None).map_err(|e| e.to_string())?);
        out.extend(pack(id, ROLLUP, ROLLUP_SPAN, &avg, Some(&max)).map_err(|e| e.to_string())?);
    }
    Ok(out)
}
