//! Snapshots: the `current` entry, rollback restoring config (and disk sizes),
//! parent links on delete, and storages without snapshot support.

use serde_json::Value;

use crate::handlers::guests::testutil::*;
use crate::model::GuestStatus;

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn rollback_restores_the_snapshot_config() {
    let sim = sim();
    let snap = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/snapshot",
        &[("snapname", "before"), ("description", "pre-upgrade")],
    ));
    assert_eq!(
        config_of(&sim, 101).get("lock").map(String::as_str),
        Some("snapshot")
    );
    let snap = wait(&sim, &snap).await;
    assert!(exit_ok(&snap));
    assert_eq!(snap.kind, "vzsnapshot");

    let list = call(&sim, "GET", "/nodes/pve1/lxc/101/snapshot", &[]).unwrap();
    assert_eq!(names(&list), ["before", "current"]);
    let current = &list[1];
    assert_eq!(current["parent"], "before");
    assert_eq!(current["running"], 1);
    assert_eq!(list[0]["description"], "pre-upgrade");

    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("memory", "4096"), ("hostname", "changed")],
    )
    .unwrap();
    assert!(exit_ok(
        &run(
            &sim,
            "PUT",
            "/nodes/pve1/lxc/101/resize",
            &[("disk", "rootfs"), ("size", "+2G")]
        )
        .await
    ));
    let rollback = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/snapshot/before/rollback",
        &[],
    )
    .await;
    assert!(exit_ok(&rollback), "{rollback:?}");
    assert_eq!(rollback.kind, "vzrollback");
    let config = config_of(&sim, 101);
    assert_eq!(config["memory"], "1024");
    assert_eq!(config["hostname"], "web01");
    assert_eq!(config["rootfs"], "local-lvm:vm-101-disk-0,size=8G");
    assert_eq!(config["parent"], "before");
    assert!(!config.contains_key("lock"));
    assert_eq!(
        used(&sim, "pve1", "local-lvm"),
        (8 + 32 + 4) * GIB,
        "the volume is back to 8G"
    );
    // Rollback stops a running container; `start=1` would start it again.
    assert_eq!(status_of(&sim, 101), GuestStatus::Stopped);
    let snap_config = call(
        &sim,
        "GET",
        "/nodes/pve1/lxc/101/snapshot/before/config",
        &[],
    )
    .unwrap();
    assert_eq!(snap_config["memory"], 1024);
    assert_eq!(snap_config["description"], "pre-upgrade");
}

#[tokio::test]
async fn snapshot_names_and_duplicates_are_checked() {
    let sim = sim();
    let reserved = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/snapshot",
        &[("snapname", "current")],
    );
    assert_eq!(
        error_message(reserved),
        "unable to use snapshot name 'current' (reserved name)"
    );
    let pending = call(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/snapshot",
        &[("snapname", "Pending")],
    );
    assert_eq!(
        error_message(pending),
        "unable to use snapshot name 'Pending' (reserved name)"
    );
    assert!(exit_ok(
        &run(
            &sim,
            "POST",
            "/nodes/pve1/qemu/100/snapshot",
            &[("snapname", "s1")]
        )
        .await
    ));
    let twice = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/snapshot",
        &[("snapname", "s1")],
    )
    .await;
    assert_eq!(
        twice.exitstatus.as_deref(),
        Some("snapshot name 's1' already used")
    );
    let template = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/snapshot",
        &[("snapname", "s1")],
    )
    .await;
    assert_eq!(
        template.exitstatus.as_deref(),
        Some("you can't take a snapshot if it's a template")
    );
    let missing = run(&sim, "DELETE", "/nodes/pve1/qemu/100/snapshot/nope", &[]).await;
    assert_eq!(
        missing.exitstatus.as_deref(),
        Some("snapshot 'nope' does not exist")
    );
}

#[tokio::test]
async fn deleting_a_snapshot_relinks_its_children() {
    let sim = sim();
    for name in ["snap_a", "snap_b"] {
        assert!(exit_ok(
            &run(
                &sim,
                "POST",
                "/nodes/pve1/qemu/100/snapshot",
                &[("snapname", name)]
            )
            .await
        ));
    }
    assert_eq!(config_of(&sim, 100)["parent"], "snap_b");
    let delete = run(&sim, "DELETE", "/nodes/pve1/qemu/100/snapshot/snap_a", &[]).await;
    assert_eq!(delete.kind, "qmdelsnapshot");
    assert!(exit_ok(&delete));
    let list = call(&sim, "GET", "/nodes/pve1/qemu/100/snapshot", &[]).unwrap();
    assert_eq!(names(&list), ["snap_b", "current"]);
    assert!(
        list[0].get("parent").is_none(),
        "snap_b's parent 'snap_a' is gone: {list}"
    );
    assert_eq!(list[0]["vmstate"], 0);
    let delete_b = run(&sim, "DELETE", "/nodes/pve1/qemu/100/snapshot/snap_b", &[]).await;
    assert!(exit_ok(&delete_b));
    assert!(!config_of(&sim, 100).contains_key("parent"));
}

#[tokio::test]
async fn raw_volumes_on_file_storage_cannot_snapshot() {
    let sim = sim();
    let create = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &[
            ("vmid", "120"),
            ("ostemplate", TEMPLATE),
            ("rootfs", "nfs:2"),
        ],
    )
    .await;
    assert!(exit_ok(&create), "{create:?}");
    assert_eq!(
        config_of(&sim, 120)["rootfs"],
        "nfs:120/vm-120-disk-0.raw,size=2G"
    );
    let snap = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc/120/snapshot",
        &[("snapname", "s1")],
    )
    .await;
    assert_eq!(
        snap.exitstatus.as_deref(),
        Some("snapshot feature is not available")
    );
    assert!(!config_of(&sim, 120).contains_key("lock"));
}

#[tokio::test]
async fn a_failed_snapshot_task_releases_the_lock() {
    let sim = sim();
    sim.cluster.lock().fail_next_tasks = 1;
    let snap = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/snapshot",
        &[("snapname", "s1")],
    )
    .await;
    assert!(!exit_ok(&snap));
    let config = config_of(&sim, 101);
    assert!(!config.contains_key("lock") && !config.contains_key("parent"));
    assert!(sim.cluster.lock().guests[&101].snapshots.is_empty());
}
