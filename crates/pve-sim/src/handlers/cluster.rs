//! `/version` and the cluster-wide views: `/cluster/status`, `/cluster/resources`,
//! `/cluster/nextid`, `/cluster/tasks` (pve-manager `PVE::API2::Cluster`,
//! `PVE::API2Tools::extract_*_stats`).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::tasks::task_entry;
use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::metrics::{guest_memhost, guest_sample, node_sample};
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
        route(Method::Get, "/cluster/resources", resources),
        route(Method::Get, "/cluster/nextid", next_id),
        route(Method::Get, "/cluster/tasks", tasks),
    ]
}

fn version(_: &Sim, _: &Req) -> ApiResult {
    Ok(json!({
        "version": PVE_VERSION,
        "release": PVE_RELEASE,
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

fn resources(sim: &Sim, req: &Req) -> ApiResult {
    let kind = req.str("type");
    let want = |k: &str| kind.as_deref().is_none_or(|wanted| wanted == k);
    let cluster = sim.cluster.lock();
    let t = now();
    let mut entries = Vec::new();

    // One pass groups guests by node, so node figures stay O(guests) overall.
    let mut by_node: HashMap<&str, Vec<&Guest>> = HashMap::new();
    for guest in cluster.guests.values() {
        by_node.entry(guest.node.as_str()).or_default().push(guest);
    }
    let node_online = |name: &str| cluster.nodes.get(name).is_some_and(|n| n.online);

    if want("vm") {
        entries.extend(
            cluster
                .guests
                .values()
                .map(|g| guest_entry(g, node_online(&g.node), t)),
        );
    }
    let nodes = ordered_nodes(&cluster);
    if want("node") {
        for node in &nodes {
            let guests = by_node
                .get(node.name.as_str())
                .map_or(&[][..], Vec::as_slice);
            let mut entry = node_entry(node, guests, t);
            // Only the resources view adds the node's static info (cgroup v2 hosts).
            entry["cgroup-mode"] = json!(2);
            entries.push(entry);
        }
    }
    if want("storage") {
        for node in &nodes {
            for storage in node.storages.values().filter(|s| s.enabled) {
                entries.push(storage_entry(node, storage));
            }
        }
    }
    // PVE 9 nodes publish their networks instead of the old `sdn` entries, so a
    // `type=sdn` filter finds nothing and the unfiltered list carries `network` entries.
    if kind.is_none() {
        for node in &nodes {
            entries.extend(network_entries(&cluster, &node.name));
        }
    }
    Ok(Value::Array(entries))
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

fn guest_entry(guest: &Guest, node_online: bool, t: i64) -> Value {
    let mut entry = Map::new();
    entry.insert("id".into(), json!(format!("{}/{}", guest.kind, guest.vmid)));
    entry.insert("vmid".into(), json!(guest.vmid));
    entry.insert("node".into(), json!(guest.node));
    entry.insert("type".into(), json!(guest.kind.as_str()));
    if node_online {
        let sample = guest_sample(guest, t);
        let uptime = guest.started_at.map_or(0, |s| (t - s).max(0));
        let stats = json!({
            "status": guest.status.pve_status(),
            "name": guest.name(),
            "uptime": uptime,
            "template": u8::from(guest.is_template()),
            "maxcpu": guest.cpus(),
            "cpu": sample.cpu,
            "maxmem": guest.max_mem(),
            "mem": sample.mem,
            "memhost": guest_memhost(guest, &sample),
            "maxdisk": guest.max_disk(),
            "disk": sample.disk,
            "netin": sample.netin,
            "netout": sample.netout,
            "diskread": sample.diskread,
            "diskwrite": sample.diskwrite,
        });
        if let Value::Object(stats) = stats {
            entry.extend(stats);
        }
    } else {
        // The node stopped reporting: PVE knows the guest exists, not how it is.
        entry.insert("status".into(), json!("unknown"));
    }
    for key in ["lock", "tags"] {
        if let Some(value) = guest.config.get(key) {
            entry.insert(key.into(), json!(value));
        }
    }
    Value::Object(entry)
}

/// A node in `/cluster/resources` and `/nodes`: usage only while it is online.
pub fn node_entry(node: &Node, guests: &[&Guest], t: i64) -> Value {
    let sample = node_sample(node, guests, t);
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
