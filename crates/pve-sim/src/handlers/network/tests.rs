use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::*;
use crate::api::Method;
use crate::model::Node;
use crate::{Cluster, SimConfig};

fn sim() -> Sim {
    let mut cluster = Cluster::default();
    cluster.nodes.insert(
        "pve1".into(),
        Node {
            name: "pve1".into(),
            online: true,
            ip: "10.0.0.11".into(),
            cpus: 4,
            maxmem: 1 << 34,
            storages: BTreeMap::new(),
            booted_at: 0,
        },
    );
    seed_node_network(&mut cluster.network, "pve1", "10.0.0.11");
    let config = SimConfig {
        time_scale: 0.0,
        ..Default::default()
    };
    Sim::new(config, cluster)
}

fn req(method: Method, template: &str, iface: Option<&str>, params: Value) -> Req {
    let mut path = BTreeMap::from([("node".to_string(), "pve1".to_string())]);
    if let Some(iface) = iface {
        path.insert("iface".into(), iface.into());
    }
    Req {
        method,
        template: template.into(),
        path,
        params: params.as_object().cloned().unwrap_or_else(Map::new),
        user: "root@pam".into(),
    }
}

fn list_answer(sim: &Sim) -> Answer {
    let r = req(Method::Get, "/nodes/{node}/network", None, json!({}));
    list(sim, &r).unwrap()
}

fn list_ifaces(sim: &Sim) -> Vec<Value> {
    list_answer(sim)
        .data
        .into_value()
        .as_array()
        .unwrap()
        .clone()
}

fn find(items: &[Value], name: &str) -> Option<Value> {
    items.iter().find(|i| i["iface"] == name).cloned()
}

fn create_bridge(sim: &Sim, name: &str, params: Value) -> ApiResult {
    let mut params = params;
    params["iface"] = name.into();
    params["type"] = "bridge".into();
    let r = req(Method::Post, "/nodes/{node}/network", None, params);
    edit::create(sim, &r)
}

async fn apply_and_wait(sim: &Sim) {
    let r = req(Method::Put, "/nodes/{node}/network", None, json!({}));
    let upid = apply(sim, &r).unwrap();
    let upid = upid.as_str().unwrap().to_string();
    assert!(upid.starts_with("UPID:pve1:") && upid.contains(":srvreload:networking:root@pam:"));
    for _ in 0..100 {
        if sim
            .cluster
            .lock()
            .task(&upid)
            .is_some_and(|t| !t.is_running())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("srvreload task did not finish");
}

#[test]
fn seeded_node_has_eno1_enslaved_to_vmbr0() {
    let sim = sim();
    let items = list_ifaces(&sim);
    assert_eq!(items.len(), 2, "lo is not listed: {items:?}");
    let eno1 = find(&items, "eno1").unwrap();
    assert_eq!(eno1["type"], "eth");
    assert_eq!(
        (eno1["active"].clone(), eno1["exists"].clone()),
        (json!(1), json!(1))
    );
    let vmbr0 = find(&items, "vmbr0").unwrap();
    assert_eq!(vmbr0["bridge_ports"], "eno1");
    assert_eq!(vmbr0["cidr"], "10.0.0.11/24");
    assert_eq!(vmbr0["netmask"], "24");
    assert_eq!(vmbr0["gateway"], "10.0.0.1");
    assert_eq!(vmbr0["method"], "static");
    assert_eq!(vmbr0["bridge_stp"], "off");
    assert_eq!(vmbr0["bridge_fd"], "0");
    assert_eq!(
        (vmbr0["autostart"].clone(), vmbr0["active"].clone()),
        (json!(1), json!(1))
    );
    assert!(eno1["priority"].as_i64() < vmbr0["priority"].as_i64());
    assert!(sim.cluster.lock().network.pending_changes("pve1").is_none());
}

#[tokio::test]
async fn new_bridge_is_pending_until_apply_then_active() {
    let sim = sim();
    create_bridge(
        &sim,
        "vmbr1",
        json!({ "cidr": "192.168.50.1/24", "autostart": "1", "comments": "lab" }),
    )
    .unwrap();

    let pending = find(&list_ifaces(&sim), "vmbr1").expect("reads show the pending file");
    assert!(
        pending.get("active").is_none(),
        "not active before apply: {pending}"
    );
    assert_eq!(pending["address"], "192.168.50.1");
    assert_eq!(pending["comments"], "lab\n");
    // The list carries the pending diff beside `data`, as PVE's `changes` attribute.
    let diff = list_answer(&sim)
        .changes
        .expect("changes while a change is pending");
    assert_eq!(
        Some(&diff),
        sim.cluster.lock().network.pending_changes("pve1").as_ref()
    );
    assert!(diff.starts_with("--- /etc/network/interfaces\n+++ /etc/network/interfaces.new\n"));
    assert!(
        diff.contains("+auto vmbr1\n+iface vmbr1 inet static\n+\taddress 192.168.50.1/24\n"),
        "{diff}"
    );

    apply_and_wait(&sim).await;
    let applied = find(&list_ifaces(&sim), "vmbr1").unwrap();
    assert_eq!(applied["active"], 1);
    assert_eq!(
        list_answer(&sim).changes,
        None,
        "nothing pending after apply"
    );
}

#[test]
fn revert_drops_pending_changes() {
    let sim = sim();
    create_bridge(&sim, "vmbr1", json!({})).unwrap();
    let r = req(Method::Delete, "/nodes/{node}/network", None, json!({}));
    assert_eq!(revert(&sim, &r).unwrap(), Value::Null);
    assert!(find(&list_ifaces(&sim), "vmbr1").is_none());
    assert!(sim.cluster.lock().network.nodes["pve1"].pending.is_none());
}

#[test]
fn update_and_delete_work_on_the_pending_file() {
    let sim = sim();
    let r = req(
        Method::Put,
        "/nodes/{node}/network/{iface}",
        Some("vmbr0"),
        json!({
            "type": "bridge", "cidr": "10.0.0.12/24", "gateway": "10.0.0.254", "mtu": "9000"
        }),
    );
    edit::update(&sim, &r).unwrap();
    let r = req(
        Method::Get,
        "/nodes/{node}/network/{iface}",
        Some("vmbr0"),
        json!({}),
    );
    let vmbr0 = get_iface(&sim, &r).unwrap();
    assert_eq!(vmbr0["cidr"], "10.0.0.12/24");
    assert_eq!(vmbr0["mtu"], "9000");
    assert_eq!(vmbr0["active"], 1, "the running bridge stays up");
    assert!(
        vmbr0.get("iface").is_none(),
        "single reads carry no iface key"
    );
    let running_cidr = sim.cluster.lock().network.nodes["pve1"].running["vmbr0"]["cidr"].clone();
    assert_eq!(running_cidr, "10.0.0.11/24", "running config untouched");

    let r = req(
        Method::Delete,
        "/nodes/{node}/network/{iface}",
        Some("vmbr0"),
        json!({}),
    );
    edit::delete(&sim, &r).unwrap();
    assert!(find(&list_ifaces(&sim), "vmbr0").is_none());
    let err = get_iface(
        &sim,
        &req(
            Method::Get,
            "/nodes/{node}/network/{iface}",
            Some("vmbr0"),
            json!({}),
        ),
    )
    .unwrap_err();
    assert_eq!(
        (err.status, err.errors["iface"].as_str()),
        (400, "interface does not exist")
    );
}

#[test]
fn pve_rejects_duplicates_and_bad_members() {
    let sim = sim();
    let err = create_bridge(&sim, "vmbr0", json!({})).unwrap_err();
    assert_eq!(err.errors["iface"], "interface already exists");
    let err = create_bridge(
        &sim,
        "vmbr1",
        json!({ "gateway": "10.0.0.1", "cidr": "10.0.0.2/24" }),
    )
    .unwrap_err();
    assert_eq!(
        err.errors["gateway"],
        "Default gateway already exists on interface 'vmbr0'."
    );
    let err = create_bridge(&sim, "vmbr1", json!({ "bridge_ports": "eno1" })).unwrap_err();
    assert_eq!(
        err.errors["bridge_ports"],
        "eno1 is already used on interface 'vmbr0'."
    );

    let r = req(
        Method::Post,
        "/nodes/{node}/network",
        None,
        json!({ "iface": "bond0", "type": "bond", "slaves": "eno9" }),
    );
    let err = edit::create(&sim, &r).unwrap_err();
    assert_eq!(err.status, 500);
    assert_eq!(
        err.message,
        "bond 'bond0' - wrong interface type on slave 'eno9' ('' != 'eth or bond')"
    );
    assert!(
        sim.cluster.lock().network.nodes["pve1"].pending.is_none(),
        "failed writes leave no file"
    );
}

#[test]
fn vlan_and_bond_get_their_derived_fields_and_type_filter_works() {
    let sim = sim();
    let r = req(
        Method::Post,
        "/nodes/{node}/network",
        None,
        json!({ "iface": "vmbr0.20", "type": "vlan" }),
    );
    edit::create(&sim, &r).unwrap();
    let vlan = find(&list_ifaces(&sim), "vmbr0.20").unwrap();
    assert_eq!(
        (vlan["vlan-raw-device"].as_str(), vlan["vlan-id"].as_str()),
        (Some("vmbr0"), Some("20"))
    );

    let r = req(
        Method::Get,
        "/nodes/{node}/network",
        None,
        json!({ "type": "any_bridge" }),
    );
    let bridges = list(&sim, &r).unwrap().data.into_value();
    let names: Vec<&str> = bridges
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["iface"].as_str())
        .collect();
    assert_eq!(names, ["vmbr0"]);
}
