//! Node network configuration (`/nodes/{node}/network`), after pve-manager
//! `PVE::API2::Network` over pve-common `PVE::Network::Interfaces`.
//!
//! PVE edits a shadow file: every write goes to `/etc/network/interfaces.new` and
//! reads show that pending file whenever it exists. `PUT /nodes/{node}/network` runs
//! a `srvreload` task that moves it over `/etc/network/interfaces` and reloads
//! (ifreload), `DELETE /nodes/{node}/network` throws it away. The kernel state shows
//! in the `active` flag: an interface only created in the pending file is not active
//! until applied.

mod edit;
mod iface;
mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Sim;
use crate::api::{
    Answer, AnswerResult, ApiError, ApiResult, Method, Req, Route, answer_route, route,
};
use crate::tasks::{TaskOutcome, TaskSpec};

/// One interface as PVE's parser returns it (without its name): `type`, `method`,
/// `families`, `address`, `bridge_ports`, … Values are strings as read from the
/// file, except `priority`, `autostart`, `bridge_vlan_aware` (numbers) and
/// `families` (array).
pub type Iface = Map<String, Value>;

/// A node's `/etc/network/interfaces`, keyed by interface name.
pub type Interfaces = BTreeMap<String, Iface>;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct NetworkState {
    pub nodes: BTreeMap<String, NodeNetwork>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct NodeNetwork {
    /// `/etc/network/interfaces`: what the node runs.
    pub running: Interfaces,
    /// `/etc/network/interfaces.new`, present while changes wait for apply or revert.
    pub pending: Option<Interfaces>,
    /// Network cards that physically exist (reported as `exists`).
    pub physical: BTreeSet<String>,
}

impl NodeNetwork {
    /// What reads show: the pending file when there is one.
    pub fn current(&self) -> &Interfaces {
        self.pending.as_ref().unwrap_or(&self.running)
    }

    /// Interfaces the kernel has up: configured in the running file and either
    /// auto-started or enslaved to another interface (a bridge port comes up with
    /// its bridge).
    fn active_set(&self) -> BTreeSet<&str> {
        let enslaved: BTreeSet<&str> = self
            .running
            .values()
            .flat_map(iface::member_ports)
            .collect();
        self.running
            .iter()
            .filter(|(name, d)| d.contains_key("autostart") || enslaved.contains(name.as_str()))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// An interface as reads return it: the stored options plus `active`/`exists`.
    fn view(&self, name: &str, d: &Iface, active: &BTreeSet<&str>) -> Iface {
        let mut out = d.clone();
        if active.contains(name) {
            out.insert("active".into(), Value::from(1));
        }
        let exists = match d.get("type").and_then(Value::as_str) {
            Some("vlan") => d
                .get("vlan-raw-device")
                .and_then(Value::as_str)
                .is_some_and(|raw| self.physical.contains(raw)),
            _ => self.physical.contains(name),
        };
        if exists {
            out.insert("exists".into(), Value::from(1));
        }
        out
    }
}

impl NetworkState {
    /// The unified diff between `/etc/network/interfaces` and the pending file, which
    /// PVE returns as the `changes` attribute next to `data` in `GET
    /// /nodes/{node}/network`. `None` when nothing is pending.
    pub fn pending_changes(&self, node: &str) -> Option<String> {
        let net = self.nodes.get(node)?;
        let pending = net.pending.as_ref()?;
        render::unified_diff(
            "/etc/network/interfaces",
            "/etc/network/interfaces.new",
            &render::interfaces_file(&net.running),
            &render::interfaces_file(pending),
        )
    }
}

/// Seed a node's network the way the installer leaves it: the NIC `eno1` enslaved to
/// the bridge `vmbr0`, which carries the node address (`ip`, optionally with a
/// `/prefix`, default /24) and a gateway at `.1` of that network.
pub fn seed_node_network(state: &mut NetworkState, node: &str, ip: &str) {
    let (address, prefix) = ip.split_once('/').unwrap_or((ip, "24"));
    let gateway = address
        .rsplit_once('.')
        .map(|(net, _)| format!("{net}.1"))
        .unwrap_or_default();
    let mut running = Interfaces::new();
    running.insert("eno1".into(), iface::eth());
    let mut bridge = iface::bridge("eno1");
    bridge.insert("method".into(), "static".into());
    bridge.insert("address".into(), address.into());
    bridge.insert("netmask".into(), prefix.into());
    if !gateway.is_empty() {
        bridge.insert("gateway".into(), gateway.into());
    }
    bridge.insert("autostart".into(), Value::from(1));
    running.insert("vmbr0".into(), bridge);
    iface::finish_write(&mut running);
    state.nodes.insert(
        node.to_string(),
        NodeNetwork {
            running,
            pending: None,
            physical: BTreeSet::from(["eno1".to_string()]),
        },
    );
}

pub fn routes() -> Vec<Route> {
    vec![
        answer_route(Method::Get, "/nodes/{node}/network", list),
        route(Method::Post, "/nodes/{node}/network", edit::create),
        route(Method::Put, "/nodes/{node}/network", apply),
        route(Method::Delete, "/nodes/{node}/network", revert),
        route(Method::Get, "/nodes/{node}/network/{iface}", get_iface),
        route(Method::Put, "/nodes/{node}/network/{iface}", edit::update),
        route(
            Method::Delete,
            "/nodes/{node}/network/{iface}",
            edit::delete,
        ),
    ]
}

/// `GET /nodes/{node}/network[?type=…]`: every interface but `lo`, sorted by name,
/// with the diff of pending changes as the `changes` attribute beside `data`.
fn list(sim: &Sim, req: &Req) -> AnswerResult {
    let node = req.node()?;
    let filter = req.str("type");
    let cluster = sim.cluster.lock();
    let net = cluster.network.nodes.get(node).cloned().unwrap_or_default();
    let active = net.active_set();
    let mut out: Vec<Value> = net
        .current()
        .iter()
        .filter(|(_, d)| filter.as_deref().is_none_or(|f| iface::type_matches(d, f)))
        .map(|(name, d)| {
            let mut view = net.view(name, d, &active);
            view.insert("iface".into(), Value::from(name.as_str()));
            Value::Object(view)
        })
        .collect();
    // `any_bridge`, `vnet` and `include_sdn` also list the applied SDN vnets, which
    // guests can use like bridges.
    if matches!(
        filter.as_deref(),
        Some("any_bridge" | "vnet" | "include_sdn")
    ) {
        out.extend(
            cluster
                .sdn
                .running_vnets()
                .into_iter()
                .map(|vnet| serde_json::json!({ "iface": vnet, "type": "vnet", "active": 1 })),
        );
    }
    Ok(Answer {
        changes: cluster.network.pending_changes(node),
        ..Answer::from(Value::Array(out))
    })
}

/// `GET /nodes/{node}/network/{iface}`.
fn get_iface(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?;
    let name = req.path("iface")?;
    let cluster = sim.cluster.lock();
    let net = cluster.network.nodes.get(node).cloned().unwrap_or_default();
    let d = net.current().get(name).ok_or_else(iface::no_such_iface)?;
    Ok(Value::Object(net.view(name, d, &net.active_set())))
}

/// `PUT /nodes/{node}/network`: a `srvreload` task makes the pending file the
/// running one.
fn apply(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?.to_string();
    let mut cluster = sim.cluster.lock();
    let target = node.clone();
    let spec = TaskSpec::new(
        &node,
        "srvreload",
        "networking",
        Duration::from_secs(3),
        move |c| {
            let net = c.network.nodes.entry(target).or_default();
            if let Some(pending) = net.pending.take() {
                net.running = pending;
            }
            TaskOutcome::ok(Vec::new())
        },
    );
    let upid = sim.spawn_task(&mut cluster, &req.user, spec);
    Ok(Value::String(upid))
}

/// `DELETE /nodes/{node}/network`: drop the pending file.
fn revert(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?;
    let mut cluster = sim.cluster.lock();
    if let Some(net) = cluster.network.nodes.get_mut(node) {
        net.pending = None;
    }
    Ok(Value::Null)
}

/// Run `change` on a copy of the node's current configuration and, if it succeeds,
/// store the result as the pending file (PVE always writes `interfaces.new`).
fn write_pending(
    sim: &Sim,
    node: &str,
    change: impl FnOnce(&mut Interfaces) -> Result<(), ApiError>,
) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let net = cluster.network.nodes.entry(node.to_string()).or_default();
    let mut config = net.current().clone();
    change(&mut config)?;
    iface::check_write(&config)?;
    iface::finish_write(&mut config);
    net.pending = Some(config);
    Ok(Value::Null)
}

#[cfg(test)]
mod tests;
