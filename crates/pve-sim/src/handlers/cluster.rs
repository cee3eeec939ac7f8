//! `/version` and the cluster-wide views: `/cluster/status`, `/cluster/resources`,
//! `/cluster/nextid`, `/cluster/tasks` (pve-manager `PVE::API2::Cluster`,
//! `PVE::API2Tools::extract_*_stats`).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::tasks::task_entry;
use crate::api::{
    Answer, AnswerResult, ApiError, ApiResult, Data, Method, Req, Route, answer_route, route,
};
use crate::metrics::{GuestLoad, GuestSample, guest_memhost, guest_sample, node_sample_under};
use crate::model::{Guest, Node, Storage};
use crate::tasks::now;
use crate::{Cluster, Sim};

/// What `pveversion` reports for the PVE 9.1 the schema describes.
pub const PVE_VERSION: &str = "9.1.1";
pub const PVE_RELEASE: &str = "9.1";
pub const PVE_REPOID: &str = "42db4a6cf33dac83";

/// Recent tasks PVE's cluster-wide task list carries (each node broadcasts its latest).
const CLUSTER_TASKS_SHOWN: usize = 50;

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::Get, "/version", version),
        route(Method::Get, "/cluster/status", status),
        answer_route(Method::Get, "/cluster/resources", resources),
        route(Method::Get, "/cluster/nextid", next_id),
        route(Method::Get, "/cluster/tasks", tasks),
    ]
}

fn version(sim: &Sim, _: &Req) -> ApiResult {
    // `/sim/version` overrides the configured release at run time.
    let injected = sim.faults.version();
    let version = injected.as_deref().unwrap_or(&sim.config.pve_version);
    let release = if version == PVE_VERSION {
        PVE_RELEASE.to_string()
    } else {
        version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
    };
    Ok(json!({
        "version": version,
        "release": release,
        "repoid": PVE_REPOID,
    }))
}

fn status(sim: &Sim, _: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let online = cluster.nodes.values().filter(|n| n.online).count();
    let local = cluster.local_node_name();
    let mut entries = vec![json!({
        "type": "cluster",
        "id": "cluster",
        "name": cluster.name,
        "nodes": cluster.nodes.len(),
        "version": cluster.nodes.len() + 1,
        "quorate": u8::from(online * 2 > cluster.nodes.len()),
    })];
    for (index, node) in ordered_nodes(&cluster).into_iter().enumerate() {
        entries.push(json!({
            "type": "node",
            "id": format!("node/{}", node.name),
            "name": node.name,
            "nodeid": index + 1,
            "ip": node.ip,
            "local": u8::from(local.as_deref() == Some(node.name.as_str())),
            "online": u8::from(node.online),
            "level": "",
        }));
    }
    Ok(Value::Array(entries))
}

/// Nodes in natural order (pve2 before pve10), as an operator numbers them.
pub fn ordered_nodes(cluster: &Cluster) -> Vec<&Node> {
    let mut nodes: Vec<&Node> = cluster.nodes.values().collect();
    nodes.sort_by_key(|n| natural_key(&n.name));
    nodes
}

fn natural_key(name: &str) -> (String, u64) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, number) = name.split_at(name.len() - digits);
    (stem.to_string(), number.parse().unwrap_or(0))
}

/// `GET /cluster/resources[?type=vm|node|storage|sdn]`. Guests are most of the list
/// (10,000 in the benchmark) and every inventory cycle reads it, so their rows are
/// serialised straight from typed rows instead of a JSON map each.
fn resources(sim: &Sim, req: &Req) -> AnswerResult {
    let kind = req.str("type");
    let want = |k: &str| kind.as_deref().is_none_or(|wanted| wanted == k);
    let cluster = sim.cluster.lock();
    let t = now();
    let mut rows = ResourceRows::default();

    let node_online = |name: &str| cluster.nodes.get(name).is_some_and(|n| n.online);
    let (want_vm, want_node) = (want("vm"), want("node"));
    // Node figures sum their guests' load, so one sample per guest serves its row and
    // its node (guests on offline nodes report nothing and load nothing).
    let mut loads: HashMap<&str, GuestLoad> = HashMap::new();
    for guest in cluster.guests.values() {
        let online = node_online(&guest.node);
        let sample = (online && want_vm).then(|| guest_sample(guest, t));
        if want_node && online {
            let load = match &sample {
                Some(sample) => GuestLoad::of_sample(guest, sample),
                None => GuestLoad::of(guest, t),
            };
            *loads.entry(guest.node.as_str()).or_default() += load;
        }
        if want_vm {
            rows.guests.push(guest_row(guest, sample.as_ref(), t));
        }
    }
    let nodes = ordered_nodes(&cluster);
    if want_node {
        for node in &nodes {
            let load = loads.get(node.name.as_str()).copied().unwrap_or_default();
            let mut entry = node_entry_under(node, load, t);
            // Only the resources view adds the node's static info (cgroup v2 hosts).
            entry["cgroup-mode"] = json!(2);
            rows.others.push(entry);
        }
    }
    if want("storage") {
        for node in &nodes {
            for storage in node.storages.values().filter(|s| s.enabled) {
                rows.others.push(storage_entry(node, storage));
            }
        }
    }
    // PVE 9 nodes publish their networks instead of the old `sdn` entries, so a
    // `type=sdn` filter finds nothing and the unfiltered list carries `network` entries.
    if kind.is_none() {
        for node in &nodes {
            rows.others.extend(network_entries(&cluster, &node.name));
        }
    }
    Ok(Answer {
        data: Data::serialize(&rows)?,
        ..Answer::default()
    })
}

/// A node's networks: the default `localnetwork` zone, then every applied SDN zone
/// (pvestatd broadcasts the zones' status as `network` entries).
fn network_entries(cluster: &Cluster, node: &str) -> Vec<Value> {
    let zone = |id: &str, status: &str| {
        json!({
            "id": format!("network/{node}/zone/{id}"),
            "type": "network",
            "network-type": "zone",
            "network": id,
            "node": node,
            "status": status,
        })
    };
    let mut entries = vec![zone("localnetwork", "ok")];
    for (id, options) in &cluster.sdn.running.zones {
        let mut entry = zone(id, "available");
        if let Some(kind) = options.get("type") {
            entry["zone-type"] = kind.clone();
        }
        entries.push(entry);
    }
    entries
}

/// The entries of `/cluster/resources`: guests first, then nodes, storages and
/// networks (few enough to stay JSON values).
#[derive(Default)]
struct ResourceRows<'a> {
    guests: Vec<GuestRow<'a>>,
    others: Vec<Value>,
}

impl Serialize for ResourceRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.guests.len() + self.others.len()))?;
        for guest in &self.guests {
            seq.serialize_element(guest)?;
        }
        for other in &self.others {
            seq.serialize_element(other)?;
        }
        seq.end()
    }
}

/// A guest in `/cluster/resources`: `pvestatd`'s figures while its node reports, only
/// `status: unknown` once the node stopped reporting (PVE knows it exists, not how it is).
#[derive(Serialize)]
struct GuestRow<'a> {
    id: String,
    vmid: u32,
    node: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    usage: Option<GuestUsage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lock: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a str>,
}

#[derive(Serialize)]
struct GuestUsage {
    name: String,
    uptime: i64,
    template: u8,
    maxcpu: u64,
    cpu: f64,
    maxmem: u64,
    mem: u64,
    memhost: u64,
    maxdisk: u64,
    disk: u64,
    netin: u64,
    netout: u64,
    diskread: u64,
    diskwrite: u64,
}

/// A guest's row; `sample` is its state at `t`, `None` while its node is offline.
fn guest_row<'a>(guest: &'a Guest, sample: Option<&GuestSample>, t: i64) -> GuestRow<'a> {
    let usage = sample.map(|sample| GuestUsage {
        name: guest.name(),
        uptime: guest.started_at.map_or(0, |s| (t - s).max(0)),
        template: u8::from(guest.is_template()),
        maxcpu: guest.cpus(),
        cpu: sample.cpu,
        maxmem: guest.max_mem(),
        mem: sample.mem,
        memhost: guest_memhost(guest, sample),
        maxdisk: guest.max_disk(),
        disk: sample.disk,
        netin: sample.netin,
        netout: sample.netout,
        diskread: sample.diskread,
        diskwrite: sample.diskwrite,
    });
    GuestRow {
        id: format!("{}/{}", guest.kind, guest.vmid),
        vmid: guest.vmid,
        node: &guest.node,
        kind: guest.kind.as_str(),
        status: match sample {
            Some(_) => guest.status.pve_status(),
            None => "unknown",
        },
        usage,
        lock: guest.config.get("lock").map(String::as_str),
        tags: guest.config.get("tags").map(String::as_str),
    }
}

/// A node in `/cluster/resources` and `/nodes`: usage only while it is online.
pub fn node_entry(node: &Node, guests: &[&Guest], t: i64) -> Value {
    node_entry_under(node, GuestLoad::of_guests(guests, t), t)
}

/// [`node_entry`] from the summed load of the node's guests.
fn node_entry_under(node: &Node, load: GuestLoad, t: i64) -> Value {
    let sample = node_sample_under(node, load, t);
    let mut entry = json!({
        "id": format!("node/{}", node.name),
        "node": node.name,
        "type": "node",
        "status": if node.online { "online" } else { "offline" },
        "level": "",
        "maxcpu": node.cpus,
        "maxmem": node.maxmem,
        "maxdisk": sample.rootfs_total,
    });
    if node.online {
        entry["uptime"] = json!((t - node.booted_at).max(0));
        entry["cpu"] = json!(sample.cpu);
        entry["mem"] = json!(sample.mem);
        entry["disk"] = json!(sample.rootfs_used);
    }
    entry
}

fn storage_entry(node: &Node, storage: &Storage) -> Value {
    let mut entry = json!({
        "id": format!("storage/{}/{}", node.name, storage.id),
        "storage": storage.id,
        "node": node.name,
        "type": "storage",
        "plugintype": storage.kind,
        "status": "unknown",
        "shared": u8::from(storage.shared),
        "content": storage.content.join(","),
    });
    if node.online {
        entry["status"] = json!("available");
        entry["maxdisk"] = json!(storage.total);
        entry["disk"] = json!(storage.used());
    }
    entry
}

/// PVE returns the id as a string (the Perl scalar was used as a hash key first).
fn next_id(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    if let Some(vmid) = req.int("vmid")? {
        let taken = u32::try_from(vmid).is_ok_and(|id| cluster.guests.contains_key(&id));
        if taken {
            return Err(ApiError::param("vmid", format!("VM {vmid} already exists")));
        }
        return Ok(json!(vmid.to_string()));
    }
    const LOWER: u32 = 100;
    const UPPER: u32 = 1_000_000;
    (LOWER..UPPER)
        .find(|id| !cluster.guests.contains_key(id))
        .map(|id| json!(id.to_string()))
        .ok_or_else(|| {
            ApiError::internal(format!(
                "unable to get any free VMID in range [{LOWER}, {UPPER}]"
            ))
        })
}

fn tasks(sim: &Sim, _: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let entries: Vec<Value> = cluster
        .tasks
        .iter()
        .rev()
        .take(CLUSTER_TASKS_SHOWN)
        .map(task_entry)
        .collect();
    Ok(Value::Array(entries))
}

impl Cluster {
    /// The node the client talks to (`localhost` in paths): the first by natural order.
    pub fn local_node_name(&self) -> Option<String> {
        ordered_nodes(self).first().map(|n| n.name.clone())
    }

    /// Guests on one node.
    pub fn guests_on<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Guest> + 'a {
        self.guests.values().filter(move |g| g.node == node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_puts_pve2_before_pve10() {
        let mut names = vec!["pve10", "pve2", "pve1"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["pve1", "pve2", "pve10"]);
    }
}
