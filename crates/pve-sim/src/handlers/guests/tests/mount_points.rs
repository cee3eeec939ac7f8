//! Container mount points as pve-container handles them (src/PVE/LXC/Config.pm):
//! a volume that cannot be found only warns (`$rescan_volume`), and deleting a running
//! container's mount point is not hot-pluggable, so it stays pending.

use serde_json::{Value, json};

use crate::handlers::guests::testutil::*;
use crate::model::GuestStatus;

/// `apply_pending_mountpoint` calls `$rescan_volume`, which wraps
/// `volume_size_info` in `eval` and only `warn`s "Could not rescan volume size" — the
/// option is written and the API answers 200.
#[tokio::test]
async fn a_mount_point_naming_a_missing_volume_is_written_as_given() {
    let sim = sim();
    run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await;
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("mp0", "local-lvm:vm-101-disk-7,mp=/data")],
    )
    .expect("PVE answers 200");
    assert_eq!(
        config_of(&sim, 101)["mp0"],
        "local-lvm:vm-101-disk-7,mp=/data"
    );
    // QEMU is unchanged: a disk naming a missing volume is still refused.
    assert!(
        call(
            &sim,
            "PUT",
            "/nodes/pve1/qemu/100/config",
            &[("scsi1", "local-lvm:vm-100-disk-9")],
        )
        .is_err()
    );
}

/// `vmconfig_hotplug_pending` handles only `unused[n]`, swap, cpu and net deletions;
/// anything else dies "skip" and stays in `pending.delete`, applied by
/// `vmconfig_apply_pending` from `vm_start` or `lxc-pve-poststop-hook`.
#[tokio::test]
async fn deleting_a_running_containers_mount_point_stays_pending_until_it_stops() {
    let sim = sim();
    run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await;
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("mp0", "local-lvm:8,mp=/data")],
    )
    .unwrap();
    let volid = config_of(&sim, 101)["mp0"]
        .split(',')
        .next()
        .unwrap()
        .to_string();
    run(&sim, "POST", "/nodes/pve1/lxc/101/status/start", &[]).await;
    assert_eq!(status_of(&sim, 101), GuestStatus::Running);

    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("delete", "mp0")],
    )
    .unwrap();
    // Still mounted: the current config keeps it, no unused volume yet.
    let current = call(
        &sim,
        "GET",
        "/nodes/pve1/lxc/101/config",
        &[("current", "1")],
    )
    .unwrap();
    assert!(current["mp0"].as_str().unwrap().starts_with(&volid));
    assert!(current.get("unused0").is_none());
    // The default view applies pending changes (`load_current_config`).
    let pending_view = call(&sim, "GET", "/nodes/pve1/lxc/101/config", &[]).unwrap();
    assert!(pending_view.get("mp0").is_none());
    let Value::Array(pending) = call(&sim, "GET", "/nodes/pve1/lxc/101/pending", &[]).unwrap()
    else {
        panic!("pending is a list")
    };
    let entry = pending.iter().find(|p| p["key"] == "mp0").unwrap();
    assert_eq!(entry["delete"], json!(1));

    // Stopping applies it: the mount point goes, its volume becomes unused.
    run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await;
    let config = config_of(&sim, 101);
    assert!(!config.contains_key("mp0"));
    assert_eq!(config["unused0"], volid);
    assert!(has_volume(&sim, "pve1", &volid));
    // A stopped container's mount point goes at once.
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("mp1", &format!("{volid},mp=/data"))],
    )
    .unwrap();
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("delete", "mp1")],
    )
    .unwrap();
    assert!(!config_of(&sim, 101).contains_key("mp1"));
}

/// A config may name a volume another guest owns; removing it never frees it — only
/// the owner does (qemu-server `try_deallocate_drive`/`vmconfig_register_unused_drive`
/// check `vm_is_volid_owner`; pve-container `delete_mountpoint_volume` warns "isn't the
/// owner").
#[tokio::test]
async fn removing_a_volume_another_guest_owns_never_frees_it() {
    let sim = sim();
    let owned_by_100 = "local-lvm:vm-100-disk-0";
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("delete", "scsi0")],
    )
    .unwrap();
    assert_eq!(config_of(&sim, 100)["unused0"], owned_by_100);
    run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await;
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("mp0", &format!("{owned_by_100},mp=/data"))],
    )
    .unwrap();
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("delete", "mp0")],
    )
    .unwrap();
    // pve-container's apply_pending registers it as unused even so...
    let unused = config_of(&sim, 101)["unused0"].clone();
    assert_eq!(unused, owned_by_100);
    // ...but deleting that unused entry only drops it from the config.
    call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/config",
        &[("delete", "unused0")],
    )
    .unwrap();
    assert!(!config_of(&sim, 101).contains_key("unused0"));
    assert!(has_volume(&sim, "pve1", owned_by_100));
    // The owner deleting its own unused entry frees the volume.
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("delete", "unused0")],
    )
    .unwrap();
    assert!(
        !has_volume(&sim, "pve1", owned_by_100),
        "the owner frees it"
    );
}
