//! Config reads and updates: typed values, digest, delete, disks and unused volumes.

use serde_json::{Value, json};

use crate::handlers::guests::testutil::*;

#[tokio::test]
async fn config_is_typed_and_carries_a_digest() {
    let sim = sim();
    let config = call(&sim, "GET", "/nodes/pve1/lxc/101/config", &[]).unwrap();
    assert_eq!(config["cores"], json!(2));
    assert_eq!(config["memory"], json!(1024));
    assert_eq!(config["unprivileged"], json!(1));
    assert_eq!(config["hostname"], "web01");
    assert_eq!(config["rootfs"], "local-lvm:vm-101-disk-0,size=8G");
    let digest = config["digest"].as_str().unwrap();
    assert_eq!(digest.len(), 40);
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()));

    let both = call(
        &sim,
        "GET",
        "/nodes/pve1/lxc/101/config",
        &[("snapshot", "xx"), ("current", "1")],
    )
    .unwrap_err();
    assert_eq!(both.errors.len(), 2);
    let Value::Array(pending) = call(&sim, "GET", "/nodes/pve1/qemu/100/pending", &[]).unwrap()
    else {
        panic!()
    };
    assert!(
        pending
            .iter()
            .any(|p| p["key"] == "cores" && p["value"] == 2)
    );
    assert!(pending.iter().all(|p| p.get("pending").is_none()));
}

#[tokio::test]
async fn updates_check_the_digest_and_apply_deletes() {
    let sim = sim();
    let digest = call(&sim, "GET", "/nodes/pve1/lxc/101/config", &[]).unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("memory", "2048"), ("delete", "swap"), ("digest", &digest)],
    )
    .unwrap();
    let config = config_of(&sim, 101);
    assert_eq!(config["memory"], "2048");
    assert!(!config.contains_key("swap"));

    // The config changed, so the old digest is stale now.
    let stale = call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("cores", "4"), ("digest", &digest)],
    );
    assert_eq!(
        error_message(stale),
        "detected modified configuration - file changed by other user? Try again."
    );
    let vm_stale = call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[
            ("cores", "4"),
            ("digest", "0000000000000000000000000000000000000000"),
        ],
    );
    assert_eq!(
        error_message(vm_stale),
        "checksum mismatch (file change by other user?)"
    );

    let conflict = call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("cores", "4"), ("delete", "cores")],
    )
    .unwrap_err();
    assert_eq!(
        conflict.errors["delete"],
        "you can't use '-cores' and -delete cores' at the same time"
    );
    let nothing = call(&sim, "PUT", "/nodes/pve1/lxc/101/config", &[]);
    assert_eq!(error_message(nothing), "no options specified");

    sim.cluster
        .lock()
        .guests
        .get_mut(&101)
        .unwrap()
        .config
        .insert("lock".into(), "backup".into());
    let locked = call(&sim, "PUT", "/nodes/pve1/lxc/101/config", &[("cores", "4")]);
    assert_eq!(error_message(locked), "CT is locked (backup)");
}

#[tokio::test]
async fn new_disks_are_allocated_and_detached_ones_become_unused() {
    let sim = sim();
    // Stopped: a running container's mount point deletion would stay pending
    // (tests/mount_points.rs).
    run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await;
    let before = used(&sim, "pve1", "local-lvm");
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("mp0", "local-lvm:4,mp=/srv,backup=1")],
    )
    .unwrap();
    assert_eq!(
        config_of(&sim, 101)["mp0"],
        "local-lvm:vm-101-disk-1,mp=/srv,backup=1,size=4G"
    );
    assert_eq!(used(&sim, "pve1", "local-lvm"), before + 4 * GIB);

    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("delete", "mp0")],
    )
    .unwrap();
    assert_eq!(config_of(&sim, 101)["unused0"], "local-lvm:vm-101-disk-1");
    assert_eq!(
        used(&sim, "pve1", "local-lvm"),
        before + 4 * GIB,
        "detaching keeps the volume"
    );
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("delete", "unused0")],
    )
    .unwrap();
    assert!(!has_volume(&sim, "pve1", "local-lvm:vm-101-disk-1"));
    assert_eq!(used(&sim, "pve1", "local-lvm"), before);
}

#[tokio::test]
async fn vm_async_update_runs_in_a_qmconfig_task_and_keeps_the_mac() {
    let sim = sim();
    let task = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/config",
        &[("cores", "4"), ("net0", "virtio,bridge=vmbr1")],
    )
    .await;
    assert_eq!(task.kind, "qmconfig");
    assert!(exit_ok(&task));
    assert!(log_text(&task).contains("update VM 100: -cores 4 -net0 virtio,bridge=vmbr1"));
    let config = config_of(&sim, 100);
    assert_eq!(config["cores"], "4");
    assert_eq!(config["net0"], "virtio=BC:24:11:00:01:00,bridge=vmbr1");
}

#[tokio::test]
async fn vm_disk_delete_detaches_unless_forced() {
    let sim = sim();
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("scsi1", "local-lvm:2")],
    )
    .unwrap();
    assert_eq!(
        config_of(&sim, 100)["scsi1"],
        "local-lvm:vm-100-disk-1,size=2G"
    );
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("delete", "scsi1")],
    )
    .unwrap();
    assert_eq!(config_of(&sim, 100)["unused0"], "local-lvm:vm-100-disk-1");
    // Re-attaching the unused volume takes it out of `unused[n]` again.
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("scsi1", "local-lvm:vm-100-disk-1")],
    )
    .unwrap();
    let config = config_of(&sim, 100);
    assert_eq!(config["scsi1"], "local-lvm:vm-100-disk-1,size=2G");
    assert!(!config.contains_key("unused0"));
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("delete", "scsi1"), ("force", "1")],
    )
    .unwrap();
    assert!(!config_of(&sim, 100).contains_key("unused0"));
    assert!(!has_volume(&sim, "pve1", "local-lvm:vm-100-disk-1"));
}
