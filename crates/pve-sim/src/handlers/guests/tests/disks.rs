//! Resize and moving disks between storages.

use crate::handlers::guests::testutil::*;

#[tokio::test]
async fn container_resize_grows_and_refuses_shrink_synchronously() {
    let sim = sim();
    let grow = run(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/resize",
        &[("disk", "rootfs"), ("size", "+2G")],
    )
    .await;
    assert_eq!(grow.kind, "resize");
    assert!(exit_ok(&grow));
    assert_eq!(
        config_of(&sim, 101)["rootfs"],
        "local-lvm:vm-101-disk-0,size=10G"
    );
    assert_eq!(used(&sim, "pve1", "local-lvm"), (10 + 32 + 4) * GIB);
    let shrink = call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/resize",
        &[("disk", "rootfs"), ("size", "4G")],
    );
    assert_eq!(error_message(shrink), "unable to shrink disk size");
    let same = call(
        &sim,
        "PUT",
        "/nodes/pve1/lxc/101/resize",
        &[("disk", "rootfs"), ("size", "10G")],
    );
    assert_eq!(error_message(same), "disk is already at specified size");
}

#[tokio::test]
async fn vm_resize_checks_in_the_worker() {
    let sim = sim();
    let shrink = run(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/resize",
        &[("disk", "scsi0"), ("size", "16G")],
    )
    .await;
    assert_eq!(
        shrink.exitstatus.as_deref(),
        Some("shrinking disks is not supported")
    );
    let cdrom = run(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/resize",
        &[("disk", "ide2"), ("size", "+1G")],
    )
    .await;
    assert_eq!(
        cdrom.exitstatus.as_deref(),
        Some("you can't resize a cdrom")
    );
    let grow = run(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/resize",
        &[("disk", "scsi0"), ("size", "40G")],
    )
    .await;
    assert!(exit_ok(&grow));
    assert_eq!(
        config_of(&sim, 100)["scsi0"],
        "local-lvm:vm-100-disk-0,iothread=1,size=40G"
    );
    let too_big = run(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/resize",
        &[("disk", "scsi0"), ("size", "+100G")],
    )
    .await;
    assert!(
        too_big
            .exitstatus
            .unwrap()
            .starts_with("not enough free space on storage 'local-lvm'")
    );
}

#[tokio::test]
async fn moving_a_vm_disk_keeps_the_source_unless_deleted() {
    let sim = sim();
    let task = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/move_disk",
        &[("disk", "scsi0"), ("storage", "nfs")],
    )
    .await;
    assert_eq!(task.kind, "qmmove");
    assert!(exit_ok(&task), "{task:?}");
    let config = config_of(&sim, 100);
    assert_eq!(
        config["scsi0"],
        "nfs:100/vm-100-disk-0.qcow2,iothread=1,size=32G"
    );
    assert_eq!(config["unused0"], "local-lvm:vm-100-disk-0");
    assert!(
        log_text(&task)
            .contains("adding source volume 'local-lvm:vm-100-disk-0' as 'unused0' to config")
    );

    let back = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/move_disk",
        &[("disk", "scsi0"), ("storage", "local-lvm"), ("delete", "1")],
    )
    .await;
    assert!(exit_ok(&back), "{back:?}");
    assert_eq!(
        config_of(&sim, 100)["scsi0"],
        "local-lvm:vm-100-disk-1,iothread=1,size=32G"
    );
    assert!(!has_volume(&sim, "pve1", "nfs:100/vm-100-disk-0.qcow2"));
    let same = call(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/move_disk",
        &[("disk", "scsi0"), ("storage", "local-lvm")],
    );
    assert_eq!(
        error_message(same),
        "you can't move to the same storage with same format"
    );
    let nowhere = call(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/move_disk",
        &[("disk", "scsi0")],
    )
    .unwrap_err();
    assert_eq!(
        nowhere.errors["storage"],
        "both 'storage' and 'target-vmid' missing, either needs to be set"
    );
}

#[tokio::test]
async fn container_volumes_move_only_while_stopped() {
    let sim = sim();
    let running = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/move_volume",
        &[("volume", "rootfs"), ("storage", "nfs")],
    );
    assert_eq!(
        error_message(running),
        "cannot move volumes of a running container"
    );
    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await
    ));
    let upid = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/move_volume",
        &[("volume", "rootfs"), ("storage", "nfs"), ("delete", "1")],
    ));
    assert_eq!(
        config_of(&sim, 101).get("lock").map(String::as_str),
        Some("disk")
    );
    let task = wait(&sim, &upid).await;
    assert_eq!(task.kind, "move_volume");
    assert!(exit_ok(&task), "{task:?}");
    let config = config_of(&sim, 101);
    assert_eq!(config["rootfs"], "nfs:101/vm-101-disk-0.raw,size=8G");
    assert!(!config.contains_key("lock") && !config.contains_key("unused0"));
    assert!(!has_volume(&sim, "pve1", "local-lvm:vm-101-disk-0"));
}
