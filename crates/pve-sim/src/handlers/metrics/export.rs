//! `GET /cluster/metrics/export`: pve-manager's pull-metric cache, which pvestatd
//! fills every 10 seconds and keeps for 180 older generations (30 minutes).
//!
//! Each generation yields, per node: `node/<name>` metrics, `qemu/<vmid>` and
//! `lxc/<vmid>` metrics of its guests and `storage/<node>/<sid>` of its storages
//! (`PVE::PullMetric`). Counters are `derive` values, the rest `gauge`s; the result is
//! sorted by timestamp.

use std::collections::BTreeSet;

use proxicloud_types::GuestType;
use serde_json::{Value, json};

use super::json_number;
use crate::api::{ApiError, ApiResult, Req};
use crate::metrics::{guest_sample, node_sample};
use crate::model::{Guest, GuestStatus, Node};
use crate::tasks::now;
use crate::{Cluster, Sim};

/// pvestatd's update interval.
const INTERVAL: i64 = 10;
/// `PVE::PullMetric::max_generations`: 180 old generations plus the newest one.
const MAX_GENERATIONS: i64 = 181;

pub fn metrics_export(sim: &Sim, req: &Req) -> ApiResult {
    let local_only = req.flag("local-only")?;
    let history = req.flag("history")?;
    let start = req.int("start-time")?;
    let node_list: Vec<String> = req
        .str("node-list")
        .map(|list| split_list(&list))
        .unwrap_or_default();

    let now = now();
    let generations = match (history, start) {
        (false, _) => 1,
        (true, Some(start)) => ((now - start) / INTERVAL).clamp(1, MAX_GENERATIONS),
        (true, None) => MAX_GENERATIONS,
    };
    let newest = now - now.rem_euclid(INTERVAL);
    let timestamps: Vec<i64> = (0..generations)
        .rev()
        .map(|g| newest - g * INTERVAL)
        .filter(|&ts| start.is_none_or(|start| ts > start))
        .collect();

    let cluster = sim.cluster.lock();
    let nodes = selected_nodes(&cluster, local_only, &node_list)?;
    let mut metrics = Vec::new();
    for &ts in &timestamps {
        for node in &nodes {
            let guests: Vec<&Guest> = cluster
                .guests
                .values()
                .filter(|g| g.node == node.name)
                .collect();
            node_metrics(node, &guests, ts, &mut metrics);
            for kind in [GuestType::Qemu, GuestType::Lxc] {
                for guest in guests.iter().filter(|g| g.kind == kind) {
                    guest_metrics(guest, ts, &mut metrics);
                }
            }
            for storage in node.storages.values().filter(|s| s.enabled) {
                let id = format!("storage/{}/{}", node.name, storage.id);
                metrics.push(gauge(&id, ts, "disk_total", storage.total as f64));
                metrics.push(gauge(&id, ts, "disk_used", storage.used() as f64));
            }
        }
    }
    Ok(json!({ "data": metrics }))
}

/// PVE::Tools::split_list: comma, semicolon or whitespace separated.
fn split_list(list: &str) -> Vec<String> {
    list.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The node answering the request plus the cluster members it fans out to. The
/// simulator answers as the first online node; offline members are skipped (PVE logs
/// a warning and goes on).
fn selected_nodes<'a>(
    cluster: &'a Cluster,
    local_only: bool,
    node_list: &[String],
) -> Result<Vec<&'a Node>, ApiError> {
    let unknown: Vec<&str> = node_list
        .iter()
        .filter(|n| !cluster.nodes.contains_key(n.as_str()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::internal(format!(
            "Requested node-list contains unknown nodes - {}",
            unknown.join(", ")
        )));
    }
    let local = cluster.nodes.values().find(|n| n.online);
    let wanted: BTreeSet<&str> = if !node_list.is_empty() {
        node_list.iter().map(String::as_str).collect()
    } else if local_only {
        local.iter().map(|n| n.name.as_str()).collect()
    } else {
        cluster.nodes.keys().map(String::as_str).collect()
    };
    // The local node comes first, then the members in the order PVE queries them.
    let mut nodes: Vec<&Node> = local
        .filter(|n| wanted.contains(n.name.as_str()))
        .into_iter()
        .collect();
    nodes.extend(cluster.nodes.values().filter(|n| {
        n.online
            && wanted.contains(n.name.as_str())
            && Some(n.name.as_str()) != local.map(|l| l.name.as_str())
    }));
    Ok(nodes)
}

fn metric(id: &str, ts: i64, name: &str, value: f64, kind: &str) -> Value {
    json!({ "id": id, "metric": name, "timestamp": ts, "type": kind, "value": json_number(value) })
}

fn gauge(id: &str, ts: i64, name: &str, value: f64) -> Value {
    metric(id, ts, name, value, "gauge")
}

fn derive(id: &str, ts: i64, name: &str, value: f64) -> Value {
    metric(id, ts, name, value, "derive")
}

fn node_metrics(node: &Node, guests: &[&Guest], ts: i64, out: &mut Vec<Value>) {
    let id = format!("node/{}", node.name);
    let s = node_sample(node, guests, ts);
    out.push(gauge(
        &id,
        ts,
        "uptime",
        (ts - node.booted_at).max(0) as f64,
    ));
    out.push(derive(&id, ts, "net_in", s.netin as f64));
    out.push(derive(&id, ts, "net_out", s.netout as f64));
    out.push(gauge(&id, ts, "cpu_avg1", s.loadavg[0]));
    out.push(gauge(&id, ts, "cpu_avg5", s.loadavg[1]));
    out.push(gauge(&id, ts, "cpu_avg15", s.loadavg[2]));
    out.push(gauge(&id, ts, "cpu_max", node.cpus as f64));
    out.push(gauge(&id, ts, "cpu_current", s.cpu));
    out.push(gauge(&id, ts, "cpu_iowait", s.iowait));
    out.push(gauge(&id, ts, "mem_total", s.maxmem as f64));
    out.push(gauge(&id, ts, "mem_used", s.mem as f64));
    out.push(gauge(&id, ts, "swap_total", s.swap_total as f64));
    out.push(gauge(&id, ts, "swap_used", s.swap_used as f64));
    out.push(gauge(&id, ts, "disk_total", s.rootfs_total as f64));
    out.push(gauge(&id, ts, "disk_used", s.rootfs_used as f64));
}

fn guest_metrics(guest: &Guest, ts: i64, out: &mut Vec<Value>) {
    let id = format!("{}/{}", guest.kind.as_str(), guest.vmid);
    let s = guest_sample(guest, ts);
    let running = guest.status != GuestStatus::Stopped;
    if running {
        out.push(gauge(&id, ts, "cpu_current", s.cpu));
        out.push(gauge(&id, ts, "mem_used", s.mem as f64));
        out.push(derive(&id, ts, "disk_read", s.diskread as f64));
        out.push(derive(&id, ts, "disk_write", s.diskwrite as f64));
        out.push(derive(&id, ts, "net_in", s.netin as f64));
        out.push(derive(&id, ts, "net_out", s.netout as f64));
        if guest.kind == GuestType::Lxc {
            out.push(gauge(&id, ts, "disk_used", s.disk as f64));
        }
    }
    let uptime = match (running, guest.started_at) {
        (true, Some(started)) => (ts - started).max(0),
        _ => 0,
    };
    out.push(gauge(&id, ts, "uptime", uptime as f64));
    out.push(gauge(&id, ts, "cpu_max", guest.cpus() as f64));
    out.push(gauge(&id, ts, "mem_total", guest.max_mem() as f64));
    out.push(gauge(&id, ts, "disk_total", guest.max_disk() as f64));
}
