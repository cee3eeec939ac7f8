//! Software-defined networking (`/cluster/sdn`), after pve-network
//! `PVE::API2::Network::SDN*` and `PVE::Network::SDN`.
//!
//! Edits change the section config files (`zones.cfg`, `vnets.cfg`, `subnets.cfg`);
//! nothing runs until `PUT /cluster/sdn` copies them into `.running-config` and
//! reloads every node's network in a `reloadnetworkall` task. Reads show the edited
//! files by default, the applied state with `running=1`, and the difference with
//! `pending=1` (`state: new|changed|deleted` plus a `pending` object).

mod hooks;
mod kind;
mod objects;
mod view;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::Sim;
use crate::api::{ApiResult, Method, Req, Route, route};
use crate::tasks::{TaskOutcome, TaskSpec};

/// One section-config object's options (including `type`), keyed by its id.
pub type Sections = BTreeMap<String, Map<String, Value>>;

/// The three configuration files the simulator models.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct SdnConfig {
    pub zones: Sections,
    pub vnets: Sections,
    pub subnets: Sections,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SdnState {
    /// The edited configuration files.
    pub config: SdnConfig,
    /// `/etc/pve/sdn/.running-config`: what the last apply committed.
    pub running: SdnConfig,
    /// The running config's version, bumped by every apply (0: never applied).
    pub version: u64,
}

impl SdnState {
    /// Vnets of the applied configuration: the bridges guests can use.
    pub fn running_vnets(&self) -> Vec<String> {
        self.running.vnets.keys().cloned().collect()
    }

    /// Whether some edit waits for `PUT /cluster/sdn`.
    pub fn has_pending_changes(&self) -> bool {
        self.config != self.running
    }
}

/// A section config file's digest: PVE uses the SHA-1 of the file; the simulator
/// hashes the file's model the same length, as clients treat it as opaque.
pub fn digest(sections: &Sections) -> String {
    let text = serde_json::to_string(sections).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))[..40].to_string()
}

pub fn routes() -> Vec<Route> {
    use objects::{create, delete, get, list, update};
    let mut routes = vec![
        route(Method::Get, "/cluster/sdn", index),
        route(Method::Put, "/cluster/sdn", apply),
    ];
    for (collection, item) in [
        ("/cluster/sdn/zones", "/cluster/sdn/zones/{zone}"),
        ("/cluster/sdn/vnets", "/cluster/sdn/vnets/{vnet}"),
        (
            "/cluster/sdn/vnets/{vnet}/subnets",
            "/cluster/sdn/vnets/{vnet}/subnets/{subnet}",
        ),
    ] {
        routes.extend([
            route(Method::Get, collection, list),
            route(Method::Post, collection, create),
            route(Method::Get, item, get),
            route(Method::Put, item, update),
            route(Method::Delete, item, delete),
        ]);
    }
    routes
}

/// `GET /cluster/sdn`: the directory index.
fn index(_sim: &Sim, _req: &Req) -> ApiResult {
    let ids = ["vnets", "zones", "controllers", "ipams", "dns", "fabrics"];
    Ok(Value::Array(
        ids.iter().map(|id| json!({ "id": id })).collect(),
    ))
}

/// `PUT /cluster/sdn`: commit the configuration at once (as PVE does, before its
/// task starts), then reload the network of every node in a `reloadnetworkall` task.
/// That reload also applies pending node network changes, since PVE runs `pvesh set
/// /nodes/<node>/network` on each node.
fn apply(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let sdn = &mut cluster.sdn;
    sdn.running = sdn.config.clone();
    sdn.version += 1;
    let node = answering_node(&cluster);
    let spec = TaskSpec::new(&node, "reloadnetworkall", "", Duration::from_secs(4), |c| {
        let nodes: Vec<String> = c
            .nodes
            .values()
            .filter(|n| n.online)
            .map(|n| n.name.clone())
            .collect();
        let mut log = Vec::new();
        for name in nodes {
            log.push(format!("{name}: reloading network config"));
            if let Some(net) = c.network.nodes.get_mut(&name)
                && let Some(pending) = net.pending.take()
            {
                net.running = pending;
            }
        }
        TaskOutcome::ok(log)
    });
    let upid = sim.spawn_task(&mut cluster, &req.user, spec);
    Ok(Value::String(upid))
}

/// The node that answers a cluster-wide call and runs its task: the simulator
/// answers as the first online node.
fn answering_node(cluster: &crate::Cluster) -> String {
    cluster
        .nodes
        .values()
        .find(|n| n.online)
        .or_else(|| cluster.nodes.values().next())
        .map_or_else(|| "localhost".to_string(), |n| n.name.clone())
}

#[cfg(test)]
mod tests;
