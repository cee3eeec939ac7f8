use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::objects::{create, delete, get, list, update};
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
    let config = SimConfig {
        time_scale: 0.0,
        ..Default::default()
    };
    Sim::new(config, cluster)
}

fn req(method: Method, template: &str, path: &[(&str, &str)], params: Value) -> Req {
    Req {
        method,
        template: template.into(),
        path: path
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        params: params.as_object().cloned().unwrap_or_else(Map::new),
        user: "root@pam".into(),
    }
}

fn post(sim: &Sim, template: &str, path: &[(&str, &str)], params: Value) -> ApiResult {
    create(sim, &req(Method::Post, template, path, params))
}

fn zones(sim: &Sim, params: Value) -> Vec<Value> {
    let r = req(Method::Get, "/cluster/sdn/zones", &[], params);
    list(sim, &r).unwrap().as_array().unwrap().clone()
}

async fn apply_and_wait(sim: &Sim) -> String {
    let upid = apply(sim, &req(Method::Put, "/cluster/sdn", &[], json!({}))).unwrap();
    let upid = upid.as_str().unwrap().to_string();
    for _ in 0..100 {
        if sim
            .cluster
            .lock()
            .task(&upid)
            .is_some_and(|t| !t.is_running())
        {
            return upid;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("reloadnetworkall did not finish");
}

fn setup(sim: &Sim) {
    post(
        sim,
        "/cluster/sdn/zones",
        &[],
        json!({ "zone": "lab", "type": "vlan", "bridge": "vmbr0", "ipam": "pve" }),
    )
    .unwrap();
    post(
        sim,
        "/cluster/sdn/vnets",
        &[],
        json!({ "vnet": "web", "zone": "lab", "tag": "20" }),
    )
    .unwrap();
    post(
        sim,
        "/cluster/sdn/vnets/{vnet}/subnets",
        &[("vnet", "web")],
        json!({ "subnet": "10.20.0.0/24", "type": "subnet", "gateway": "10.20.0.1" }),
    )
    .unwrap();
}

#[tokio::test]
async fn edits_stay_pending_until_apply() {
    let sim = sim();
    setup(&sim);
    assert!(
        zones(&sim, json!({ "running": "1" })).is_empty(),
        "nothing applied yet"
    );
    let pending = zones(&sim, json!({ "pending": "1" }));
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["state"], "new");
    assert_eq!(pending[0]["type"], "vlan");
    assert_eq!(pending[0]["pending"]["bridge"], "vmbr0");
    assert!(sim.cluster.lock().sdn.running_vnets().is_empty());

    let upid = apply_and_wait(&sim).await;
    assert!(upid.contains(":reloadnetworkall::root@pam:"), "{upid}");
    let running = zones(&sim, json!({ "running": "1" }));
    assert_eq!(running[0]["zone"], "lab");
    assert!(running[0].get("digest").is_none());
    let after = zones(&sim, json!({ "pending": "1" }));
    assert!(
        after[0].get("state").is_none() && after[0].get("pending").is_none(),
        "{after:?}"
    );
    assert_eq!(sim.cluster.lock().sdn.running_vnets(), ["web"]);
    let task = sim.cluster.lock().task(&upid).cloned().unwrap();
    assert!(
        task.log
            .iter()
            .any(|l| l == "pve1: reloading network config")
    );
}

#[tokio::test]
async fn changed_and_deleted_objects_show_their_state() {
    let sim = sim();
    setup(&sim);
    apply_and_wait(&sim).await;
    let vnet_path = [("vnet", "web")];
    let r = req(
        Method::Put,
        "/cluster/sdn/vnets/{vnet}",
        &vnet_path,
        json!({ "alias": "frontend" }),
    );
    update(&sim, &r).unwrap();
    let r = req(
        Method::Get,
        "/cluster/sdn/vnets/{vnet}",
        &vnet_path,
        json!({ "pending": "1" }),
    );
    let vnet = get(&sim, &r).unwrap();
    assert_eq!(vnet["state"], "changed");
    assert_eq!(vnet["pending"]["alias"], "frontend");
    assert_eq!(vnet["tag"], 20);

    let subnet_path = [("vnet", "web"), ("subnet", "lab-10.20.0.0-24")];
    let template = "/cluster/sdn/vnets/{vnet}/subnets/{subnet}";
    delete(
        &sim,
        &req(Method::Delete, template, &subnet_path, json!({})),
    )
    .unwrap();
    let r = req(
        Method::Get,
        "/cluster/sdn/vnets/{vnet}/subnets",
        &vnet_path,
        json!({ "pending": "1" }),
    );
    let subnets = list(&sim, &r).unwrap();
    assert_eq!(subnets[0]["state"], "deleted");
    assert_eq!(subnets[0]["subnet"], "lab-10.20.0.0-24");
    assert_eq!(subnets[0]["cidr"], "10.20.0.0/24");
}

#[test]
fn subnet_ids_and_reads_follow_pve() {
    let sim = sim();
    setup(&sim);
    let path = [("vnet", "web"), ("subnet", "lab-10.20.0.0-24")];
    let r = req(
        Method::Get,
        "/cluster/sdn/vnets/{vnet}/subnets/{subnet}",
        &path,
        json!({}),
    );
    let subnet = get(&sim, &r).unwrap();
    assert_eq!(subnet["zone"], "lab");
    assert_eq!(subnet["network"], "10.20.0.0");
    assert_eq!(subnet["mask"], "24");
    assert_eq!(subnet["gateway"], "10.20.0.1");
    assert_eq!(subnet["dhcp-range"], json!([]));
    assert_eq!(subnet["digest"].as_str().unwrap().len(), 40);
}

#[test]
fn stale_digest_and_plugin_rules_are_enforced() {
    let sim = sim();
    setup(&sim);
    let path = [("zone", "lab")];
    let r = req(
        Method::Put,
        "/cluster/sdn/zones/{zone}",
        &path,
        json!({ "mtu": "1400", "digest": "0".repeat(40) }),
    );
    let err = update(&sim, &r).unwrap_err();
    assert_eq!(
        err.message,
        "update sdn zone object failed: detected modified configuration - file changed by other user? Try again."
    );
    let digest = zones(&sim, json!({}))[0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let r = req(
        Method::Put,
        "/cluster/sdn/zones/{zone}",
        &path,
        json!({ "mtu": "1400", "digest": digest }),
    );
    update(&sim, &r).unwrap();

    let err = post(
        &sim,
        "/cluster/sdn/vnets",
        &[],
        json!({ "vnet": "db", "zone": "lab", "tag": "20" }),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "create sdn vnet object failed: 400 Parameter verification failed.\ntag: tag 20 already exist in vnet web\n"
    );
    let err = post(
        &sim,
        "/cluster/sdn/zones",
        &[],
        json!({ "zone": "bad", "type": "vlan" }),
    )
    .unwrap_err();
    assert_eq!(err.message, "missing value for required option 'bridge'");
    let err = delete(
        &sim,
        &req(
            Method::Delete,
            "/cluster/sdn/zones/{zone}",
            &path,
            json!({}),
        ),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "delete sdn zone object failed: zone lab is used by vnet web"
    );
    let err = get(
        &sim,
        &req(
            Method::Get,
            "/cluster/sdn/zones/{zone}",
            &[("zone", "nope")],
            json!({}),
        ),
    )
    .unwrap_err();
    assert_eq!(err.message, "sdn 'nope' does not exist");
}
