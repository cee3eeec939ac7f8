//! `/metrics` in the Prometheus text format, from the inventory mirror (so a scrape
//! never waits on Proxmox), encoded with the `prometheus-client` crate.
//!
//! Names follow prometheus-pve-exporter where they overlap (`pve_up`, `pve_*_info`,
//! `pve_cpu_usage_ratio`, `pve_memory_*_bytes`, `pve_disk_*_bytes`, labelled `id` as
//! Proxmox names the resource, e.g. `qemu/100`), plus a `cluster` label since we manage
//! several; ours are `proxicloud_*`: HTTP requests ([`super::http`]), jobs by kind and
//! state, inventory age per cluster, worker health. To add a family: register it in
//! [`exposition`] and fill it from the mirror (or what [`Scrape`] brings).

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use proxicloud_store::{ClusterStatus, Store, Timestamp};

use super::http::HttpTelemetry;
use crate::error::{DomainError, DomainResult};
use crate::workers::{WorkerState, WorkerStatus};

type Labels = Vec<(&'static str, String)>;
type Gauges = Family<Labels, Gauge<f64, AtomicU64>>;
type Counters = Family<Labels, Counter>;

/// What a scrape reports besides the store: this replica's own state.
pub struct Scrape<'a> {
    pub http: &'a HttpTelemetry,
    pub workers: &'a [WorkerState],
}

/// Registers a counter family (exposed with `_total`) and returns it.
fn counters(registry: &mut Registry, name: &str, help: &str) -> Counters {
    let family = Counters::default();
    registry.register(name, help, family.clone());
    family
}

fn seconds(t: Timestamp) -> f64 {
    t.unix_micros() as f64 / 1e6
}

/// Registers a gauge family and returns a setter for it.
fn gauges(registry: &mut Registry, name: &str, help: &str) -> Gauges {
    let family = Gauges::default();
    registry.register(name, help, family.clone());
    family
}

fn set(family: &Gauges, labels: Labels, value: f64) {
    family.get_or_create(&labels).set(value);
}

/// The exposition at `now`.
pub async fn exposition(
    store: &dyn Store,
    now: Timestamp,
    scrape: &Scrape<'_>,
) -> DomainResult<String> {
    let clusters = store.clusters().list().await?;
    let nodes = store.inventory().list_nodes(None).await?;
    let storages = store.inventory().list_storages(None).await?;
    let guests = store.guests().list_live().await?;
    let cluster_name = |id| {
        clusters
            .iter()
            .find(|c| c.id == id)
            .map_or_else(String::new, |c| c.config.name.clone())
    };

    let mut r = Registry::default();
    let up = gauges(
        &mut r,
        "pve_up",
        "Whether the cluster, node or guest is up (1) or not (0)",
    );
    let node_info = gauges(&mut r, "pve_node_info", "Node information (always 1)");
    let guest_info = gauges(&mut r, "pve_guest_info", "Guest information (always 1)");
    let cpu = gauges(
        &mut r,
        "pve_cpu_usage_ratio",
        "CPU in use, as a fraction of the CPUs",
    );
    let cpus = gauges(&mut r, "pve_cpu_usage_limit", "CPUs available");
    let mem = gauges(&mut r, "pve_memory_usage_bytes", "Memory in use");
    let mem_size = gauges(&mut r, "pve_memory_size_bytes", "Memory size");
    let disk = gauges(
        &mut r,
        "pve_disk_usage_bytes",
        "Disk or storage space in use",
    );
    let disk_size = gauges(&mut r, "pve_disk_size_bytes", "Disk or storage size");
    let uptime = gauges(
        &mut r,
        "pve_uptime_seconds",
        "Seconds since the guest started",
    );
    let received = counters(
        &mut r,
        "pve_network_receive_bytes",
        "Bytes the guest received since it started",
    );
    let transmitted = counters(
        &mut r,
        "pve_network_transmit_bytes",
        "Bytes the guest sent since it started",
    );
    let read = counters(
        &mut r,
        "pve_disk_read_bytes",
        "Bytes the guest read from its disks since it started",
    );
    let written = counters(
        &mut r,
        "pve_disk_write_bytes",
        "Bytes the guest wrote to its disks since it started",
    );
    let age = gauges(
        &mut r,
        "proxicloud_inventory_age_seconds",
        "Seconds since the inventory mirror last heard from the cluster",
    );

    for c in &clusters {
        let online = c.health.status == ClusterStatus::Online;
        set(
            &up,
            vec![("cluster", c.config.name.clone()), ("id", "cluster".into())],
            f64::from(u8::from(online)),
        );
        if let Some(seen) = c.health.last_seen_at {
            let seconds = (now.unix_micros() - seen.unix_micros()).max(0) as f64 / 1e6;
            set(&age, vec![("cluster", c.config.name.clone())], seconds);
        }
    }
    for n in &nodes {
        let o = &n.observed;
        let (cluster, id) = (cluster_name(n.cluster_id), format!("node/{}", o.name));
        let at =
            |cluster: &String, id: &String| vec![("cluster", cluster.clone()), ("id", id.clone())];
        set(
            &up,
            at(&cluster, &id),
            f64::from(u8::from(o.status == "online")),
        );
        let mut info = at(&cluster, &id);
        info.push(("name", o.name.clone()));
        set(&node_info, info, 1.0);
        set(&cpu, at(&cluster, &id), o.cpu);
        set(&cpus, at(&cluster, &id), f64::from(o.maxcpu));
        set(&mem, at(&cluster, &id), o.mem as f64);
        set(&mem_size, at(&cluster, &id), o.maxmem as f64);
    }
    for s in &storages {
        let o = &s.observed;
        let labels = vec![
            ("cluster", cluster_name(s.cluster_id)),
            ("id", format!("storage/{}/{}", o.node, o.storage)),
        ];
        set(&disk, labels.clone(), o.used as f64);
        set(&disk_size, labels, o.total as f64);
    }
    for g in &guests {
        let o = &g.observed;
        if g.seen_at.is_none() {
            continue; // a reservation Proxmox has not reported yet
        }
        let cluster = cluster_name(g.cluster_id);
        let id = format!("{}/{}", o.kind.as_str(), o.vmid.get());
        let at = || vec![("cluster", cluster.clone()), ("id", id.clone())];
        set(&up, at(), f64::from(u8::from(o.status == "running")));
        let mut info = at();
        info.extend([
            ("node", o.node.clone()),
            ("name", o.name.clone()),
            ("type", o.kind.as_str().to_owned()),
            (
                "owner",
                g.owner_id.map(|u| u.to_string()).unwrap_or_default(),
            ),
            ("instance_id", g.id.to_string()),
        ]);
        set(&guest_info, info, 1.0);
        set(&cpu, at(), o.activity.cpu);
        set(&uptime, at(), o.uptime as f64);
        let io = &o.activity.counters;
        received.get_or_create(&at()).inc_by(io.netin);
        transmitted.get_or_create(&at()).inc_by(io.netout);
        read.get_or_create(&at()).inc_by(io.diskread);
        written.get_or_create(&at()).inc_by(io.diskwrite);
        set(&cpus, at(), o.cpus);
        set(&mem, at(), o.mem as f64);
        set(&mem_size, at(), o.maxmem as f64);
        set(&disk, at(), o.disk as f64);
        set(&disk_size, at(), o.maxdisk as f64);
    }
    let jobs = gauges(
        &mut r,
        "proxicloud_jobs",
        "Unfinished jobs (queued, running, waiting) by kind and state, deployment-wide",
    );
    for count in store.jobs().count_by_kind_and_status().await? {
        let labels = vec![
            ("kind", count.kind),
            ("state", count.status.as_str().to_owned()),
        ];
        set(&jobs, labels, count.count as f64);
    }
    workers(&mut r, scrape.workers);
    scrape.http.register(&mut r);
    let mut text = String::new();
    encode(&mut text, &r).map_err(|e| DomainError::Internal(format!("metrics exposition: {e}")))?;
    Ok(text)
}

/// Background workers as this replica sees them: healthy (running, or standing by for
/// another replica) or not (backing off after a failure, stopped), leading, last round,
/// restarts.
fn workers(r: &mut Registry, states: &[WorkerState]) {
    let healthy = gauges(
        r,
        "proxicloud_worker_healthy",
        "Whether the background worker is running or standing by (1) or failing or stopped (0)",
    );
    let leader = gauges(
        r,
        "proxicloud_worker_leader",
        "Whether this replica runs the background worker (1) or another one does (0)",
    );
    let last_run = gauges(
        r,
        "proxicloud_worker_last_run_timestamp_seconds",
        "When the background worker last finished a round (unix seconds)",
    );
    let restarts = counters(
        r,
        "proxicloud_worker_restarts",
        "Times the background worker was restarted after a failure",
    );
    for w in states {
        let at = || vec![("worker", w.name.clone())];
        let ok = matches!(w.status, WorkerStatus::Running | WorkerStatus::Standby);
        set(&healthy, at(), f64::from(u8::from(ok)));
        set(&leader, at(), f64::from(u8::from(w.leader)));
        if let Some(t) = w.last_run {
            set(&last_run, at(), seconds(t));
        }
        restarts.get_or_create(&at()).inc_by(u64::from(w.restarts));
    }
}
