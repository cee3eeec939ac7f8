use std::collections::BTreeMap;

use proxicloud_types::GuestType;
use serde_json::{Map, Value, json};

use super::{export::metrics_export, rrd};
use crate::api::{Method, Req};
use crate::model::{Guest, GuestStatus, Node, Storage};
use crate::tasks::now;
use crate::{Cluster, Sim, SimConfig};

const GIB: u64 = 1024 * 1024 * 1024;

fn node(name: &str, online: bool) -> Node {
    let local = Storage {
        id: "local".into(),
        kind: "dir".into(),
        content: vec!["iso".into(), "vztmpl".into(), "backup".into()],
        total: 100 * GIB,
        shared: false,
        enabled: true,
        volumes: BTreeMap::new(),
    };
    Node {
        name: name.into(),
        online,
        ip: "10.0.0.1".into(),
        cpus: 8,
        maxmem: 32 * GIB,
        storages: BTreeMap::from([("local".to_string(), local)]),
        booted_at: now() - 10 * 86_400,
    }
}

fn guest(vmid: u32, kind: GuestType, node: &str, running: bool) -> Guest {
    let disk = if kind == GuestType::Lxc {
        "rootfs"
    } else {
        "scsi0"
    };
    Guest {
        vmid,
        kind,
        node: node.into(),
        status: if running {
            GuestStatus::Running
        } else {
            GuestStatus::Stopped
        },
        config: BTreeMap::from([
            ("memory".to_string(), "1024".to_string()),
            (
                disk.to_string(),
                format!("local-lvm:vm-{vmid}-disk-0,size=8G"),
            ),
        ]),
        snapshots: BTreeMap::new(),
        started_at: running.then(|| now() - 30 * 86_400),
        pending_delete: Vec::new(),
        pending: Default::default(),
    }
}

fn sim() -> Sim {
    let mut cluster = Cluster::default();
    for (name, online) in [("pve1", true), ("pve2", true), ("pve3", false)] {
        cluster.nodes.insert(name.into(), node(name, online));
    }
    for g in [
        guest(100, GuestType::Lxc, "pve1", true),
        guest(101, GuestType::Qemu, "pve1", false),
        guest(200, GuestType::Qemu, "pve2", true),
        guest(300, GuestType::Lxc, "pve3", true),
    ] {
        cluster.guests.insert(g.vmid, g);
    }
    let config = SimConfig {
        time_scale: 0.0,
        ..Default::default()
    };
    Sim::new(config, cluster)
}

fn req(template: &str, path: &[(&str, &str)], params: Value) -> Req {
    let params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
    Req {
        method: Method::Get,
        template: template.into(),
        path: path
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        params,
        user: "root@pam".into(),
    }
}

fn guest_rrd(sim: &Sim, vmid: &str, params: Value) -> Vec<Value> {
    let r = req(
        "/nodes/{node}/lxc/{vmid}/rrddata",
        &[("node", "pve1"), ("vmid", vmid)],
        params,
    );
    rrd::guest_rrddata(sim, &r)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn times(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["time"].as_i64().unwrap()).collect()
}

#[test]
fn every_timeframe_has_pve9_resolution_and_row_count() {
    let sim = sim();
    for (timeframe, reso, count) in [
        ("hour", 60, 60),
        ("day", 60, 1440),
        ("week", 1800, 336),
        ("month", 1800, 1440),
        ("year", 21_600, 1440),
    ] {
        let rows = guest_rrd(&sim, "100", json!({ "timeframe": timeframe }));
        let t = times(&rows);
        assert_eq!(t.len(), count, "{timeframe}");
        assert!(t.windows(2).all(|w| w[1] - w[0] == reso), "{timeframe}");
        let last = *t.last().unwrap();
        assert_eq!(last % reso, 0);
        assert!(last <= now() && now() - last < reso + 2, "{timeframe}");
    }
    let r = req(
        "/nodes/{node}/rrddata",
        &[("node", "pve1")],
        json!({ "timeframe": "decade", "cf": "MAX" }),
    );
    let rows = rrd::node_rrddata(&sim, &r).unwrap();
    let t = times(rows.as_array().unwrap());
    assert_eq!(t.len(), 570);
    assert!(t.windows(2).all(|w| w[1] - w[0] == 604_800));
}

#[test]
fn running_guest_rows_carry_usage_and_rates_stopped_ones_only_limits() {
    let sim = sim();
    let rows = guest_rrd(&sim, "100", json!({ "timeframe": "hour" }));
    let last = rows.last().unwrap();
    for field in [
        "cpu",
        "mem",
        "maxmem",
        "maxcpu",
        "disk",
        "maxdisk",
        "netin",
        "netout",
        "diskread",
        "diskwrite",
        "memhost",
        "pressurecpusome",
    ] {
        assert!(
            last.get(field).is_some(),
            "running row lacks {field}: {last}"
        );
    }
    assert_eq!(last["maxmem"], json!(1024 * 1024 * 1024));
    assert!(last["netin"].as_f64().unwrap() > 0.0);

    let stopped = guest_rrd(&sim, "101", json!({ "timeframe": "hour" }));
    let row = stopped.last().unwrap();
    assert!(
        row.get("cpu").is_none() && row.get("netin").is_none(),
        "{row}"
    );
    assert_eq!(row["maxmem"], json!(1024 * 1024 * 1024));
}

#[test]
fn max_consolidation_is_never_below_average() {
    let sim = sim();
    let avg = guest_rrd(&sim, "200", json!({ "timeframe": "week", "cf": "AVERAGE" }));
    let max = guest_rrd(&sim, "200", json!({ "timeframe": "week", "cf": "MAX" }));
    let mut strictly_higher = 0;
    for (a, m) in avg.iter().zip(&max).take(300) {
        for field in ["cpu", "mem", "netin", "diskwrite"] {
            let (a, m) = (a[field].as_f64().unwrap(), m[field].as_f64().unwrap());
            assert!(m >= a - 1e-9, "{field}: max {m} < avg {a}");
            strictly_higher += usize::from(m > a);
        }
    }
    assert!(strictly_higher > 0);
}

#[test]
fn unknown_guest_or_storage_fails_like_a_missing_rrd_file() {
    let sim = sim();
    let r = req(
        "/nodes/{node}/qemu/{vmid}/rrddata",
        &[("node", "pve1"), ("vmid", "999")],
        json!({ "timeframe": "hour" }),
    );
    let err = rrd::guest_rrddata(&sim, &r).unwrap_err();
    assert_eq!(err.status, 500);
    assert!(err.message.contains("pve-vm-9.0/999"), "{}", err.message);

    let r = req(
        "/nodes/{node}/storage/{storage}/rrddata",
        &[("node", "pve1"), ("storage", "local")],
        json!({ "timeframe": "day" }),
    );
    let rows = rrd::storage_rrddata(&sim, &r).unwrap();
    assert_eq!(rows[0]["total"], json!(100 * GIB));
    let r = req(
        "/nodes/{node}/storage/{storage}/rrddata",
        &[("node", "pve1"), ("storage", "nope")],
        json!({ "timeframe": "day" }),
    );
    assert_eq!(rrd::storage_rrddata(&sim, &r).unwrap_err().status, 500);
}

fn export(sim: &Sim, params: Value) -> Vec<Value> {
    let r = req("/cluster/metrics/export", &[], params);
    metrics_export(sim, &r).unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}

fn find<'a>(data: &'a [Value], id: &str, metric: &str) -> Option<&'a Value> {
    data.iter().find(|m| m["id"] == id && m["metric"] == metric)
}

#[test]
fn export_reports_online_nodes_guests_and_storage_without_history() {
    let sim = sim();
    let data = export(&sim, json!({}));
    let stamps: std::collections::BTreeSet<i64> = data
        .iter()
        .map(|m| m["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(stamps.len(), 1, "one generation without history");
    let net = find(&data, "node/pve1", "net_in").unwrap();
    assert_eq!(net["type"], "derive");
    assert_eq!(
        find(&data, "lxc/100", "cpu_current").unwrap()["type"],
        "gauge"
    );
    assert!(find(&data, "qemu/101", "mem_total").is_some());
    assert!(
        find(&data, "qemu/101", "cpu_current").is_none(),
        "stopped guest has no usage"
    );
    assert!(find(&data, "storage/pve2/local", "disk_total").is_some());
    assert!(
        find(&data, "node/pve3", "uptime").is_none(),
        "offline node is skipped"
    );
    assert!(find(&data, "lxc/300", "uptime").is_none());
}

#[test]
fn export_history_is_sorted_filtered_by_start_time_and_counters_grow() {
    let sim = sim();
    let start = now() - 95;
    let data = export(
        &sim,
        json!({ "history": "1", "start-time": start.to_string() }),
    );
    let stamps: Vec<i64> = data
        .iter()
        .map(|m| m["timestamp"].as_i64().unwrap())
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "sorted by timestamp"
    );
    assert!(stamps.iter().all(|&t| t > start));
    let counters: Vec<f64> = data
        .iter()
        .filter(|m| m["id"] == "qemu/200" && m["metric"] == "disk_write")
        .map(|m| m["value"].as_f64().unwrap())
        .collect();
    assert!(counters.len() >= 8, "{} generations", counters.len());
    assert!(counters.windows(2).all(|w| w[0] < w[1]));

    let local = export(&sim, json!({ "local-only": "1" }));
    assert!(local.iter().all(|m| m["id"] != "node/pve2"));
    let picked = export(&sim, json!({ "node-list": "pve2" }));
    assert!(find(&picked, "node/pve2", "cpu_current").is_some());
    assert!(find(&picked, "node/pve1", "cpu_current").is_none());
    let r = req(
        "/cluster/metrics/export",
        &[],
        json!({ "node-list": "pve2,ghost" }),
    );
    let err = metrics_export(&sim, &r).unwrap_err();
    assert_eq!(
        err.message,
        "Requested node-list contains unknown nodes - ghost"
    );
}
