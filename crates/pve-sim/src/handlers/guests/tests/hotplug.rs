//! Changes to a running VM that qemu-server cannot hot-plug wait in `[PENDING]` until
//! its next start (src/PVE/QemuServer.pm `vmconfig_hotplug_pending`, called by
//! `update_vm` in src/PVE/API2/Qemu.pm for a running VM; `vm_start` applies them with
//! `vmconfig_apply_pending`); a container takes cores and memory live (pve-container
//! `$LXC_FASTPLUG_OPTIONS` and its cgroup memory hot-plug).

use serde_json::{Value, json};

use crate::handlers::guests::testutil::*;

fn pending(sim: &crate::Sim, path: &str) -> Vec<Value> {
    let Value::Array(items) = call(sim, "GET", path, &[]).unwrap() else {
        panic!("an array")
    };
    items
        .into_iter()
        .filter(|i| i.get("pending").is_some() || i.get("delete").is_some())
        .collect()
}

#[tokio::test]
async fn a_running_vm_keeps_cores_and_memory_pending_until_its_next_start() {
    let sim = sim();
    run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await;
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[
            ("cores", "4"),
            ("memory", "8192"),
            ("name", "db02"),
            ("tags", "web"),
        ],
    )
    .unwrap();
    let now = config_of(&sim, 100);
    assert_eq!(
        (
            now["cores"].as_str(),
            now["memory"].as_str(),
            now["name"].as_str(),
            now["tags"].as_str()
        ),
        ("2", "4096", "db02", "web"),
        "name and tags are fast-plugged; cores and memory are not"
    );
    let waiting = pending(&sim, "/nodes/pve1/qemu/100/pending");
    assert_eq!(
        waiting,
        vec![
            json!({"key": "cores", "value": 2, "pending": 4}),
            json!({"key": "memory", "value": "4096", "pending": "8192"}),
        ]
    );
    // `GET …/config` shows the pending values, `current=1` the running ones.
    let shown = call(&sim, "GET", "/nodes/pve1/qemu/100/config", &[]).unwrap();
    assert_eq!(shown["cores"], json!(4));
    let current = call(
        &sim,
        "GET",
        "/nodes/pve1/qemu/100/config",
        &[("current", "1")],
    )
    .unwrap();
    assert_eq!(current["cores"], json!(2));
    let status = call(&sim, "GET", "/nodes/pve1/qemu/100/status/current", &[]).unwrap();
    assert_eq!(
        status["cpus"],
        json!(2),
        "the running VM still has its old cores"
    );

    // qemu-server applies pending changes when the VM starts, not when it stops.
    run(&sim, "POST", "/nodes/pve1/qemu/100/status/stop", &[]).await;
    assert_eq!(pending(&sim, "/nodes/pve1/qemu/100/pending").len(), 2);
    run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await;
    assert!(pending(&sim, "/nodes/pve1/qemu/100/pending").is_empty());
    let applied = config_of(&sim, 100);
    assert_eq!(
        (applied["cores"].as_str(), applied["memory"].as_str()),
        ("4", "8192")
    );
}

#[tokio::test]
async fn memory_hot_plug_applies_at_once_and_refuses_less_than_static_memory() {
    let sim = sim();
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("hotplug", "network,disk,usb,memory,cpu"), ("numa", "1")],
    )
    .unwrap();
    run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await;
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("memory", "6144"), ("vcpus", "2")],
    )
    .unwrap();
    assert_eq!(config_of(&sim, 100)["memory"], "6144");
    assert!(pending(&sim, "/nodes/pve1/qemu/100/pending").is_empty());

    // Memory.pm: "memory can't be lower than 1024 MB" — a 400 naming the option,
    // the value written pending all the same.
    let refused = call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("memory", "512")],
    )
    .unwrap_err();
    assert_eq!(refused.status, 400);
    assert!(
        refused.errors["memory"].contains("1024"),
        "{:?}",
        refused.errors
    );
    assert_eq!(config_of(&sim, 100)["memory"], "6144");
    assert_eq!(
        pending(&sim, "/nodes/pve1/qemu/100/pending")[0]["pending"],
        json!("512")
    );
    // `revert` drops a pending change.
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("revert", "memory")],
    )
    .unwrap();
    assert!(pending(&sim, "/nodes/pve1/qemu/100/pending").is_empty());
}

#[tokio::test]
async fn stopped_vms_and_running_containers_take_new_sizes_at_once() {
    let sim = sim();
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("cores", "4")],
    )
    .unwrap();
    assert_eq!(config_of(&sim, 100)["cores"], "4");
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("cores", "3"), ("memory", "2048")],
    )
    .unwrap();
    let ct = config_of(&sim, 101);
    assert_eq!((ct["cores"].as_str(), ct["memory"].as_str()), ("3", "2048"));
    assert!(pending(&sim, "/nodes/pve1/lxc/101/pending").is_empty());
}
