//! vzdump archives and restores from them.

use serde_json::Value;

use crate::handlers::guests::testutil::*;
use crate::model::GuestStatus;
use crate::tasks::Task;

/// The archive volume a vzdump task log names.
fn archive_volid(task: &Task, storage: &str) -> String {
    let line = task
        .log
        .iter()
        .find(|l| l.contains("creating vzdump archive"))
        .expect("archive line");
    let file = line.rsplit('/').next().unwrap().trim_end_matches('\'');
    format!("{storage}:backup/{file}")
}

#[tokio::test]
async fn vzdump_creates_a_backup_volume_named_in_the_log() {
    let sim = sim();
    let params = [
        ("vmid", "101"),
        ("storage", "local"),
        ("mode", "snapshot"),
        ("compress", "zstd"),
        ("notes-template", "{{guestname}} on {{node}}"),
    ];
    let upid = upid(call(&sim, "POST", "/nodes/pve1/vzdump", &params));
    assert!(upid.contains(":vzdump:101:root@pam:"), "{upid}");
    let task = wait(&sim, &upid).await;
    assert!(exit_ok(&task), "{task:?}");
    let log = log_text(&task);
    assert!(
        log.starts_with("INFO: starting new backup job: vzdump 101"),
        "{log}"
    );
    for line in [
        "INFO: Starting Backup of VM 101 (lxc)",
        "INFO: status = running",
        "INFO: CT Name: web01",
        "INFO: backup mode: snapshot",
        "INFO: adding notes to backup",
        "INFO: Finished Backup of VM 101",
        "INFO: Backup job finished successfully",
    ] {
        assert!(log.contains(line), "missing {line:?} in\n{log}");
    }
    assert!(log.contains("INFO: creating vzdump archive '/var/lib/vz/dump/vzdump-lxc-101-"));
    let volid = archive_volid(&task, "local");
    assert!(
        volid.starts_with("local:backup/vzdump-lxc-101-") && volid.ends_with(".tar.zst"),
        "{volid}"
    );
    let cluster = sim.cluster.lock();
    let volume = &cluster.nodes["pve1"].storages["local"].volumes[&volid];
    assert_eq!(
        (volume.content.as_str(), volume.format.as_str()),
        ("backup", "tar.zst")
    );
    assert_eq!(volume.vmid, Some(101));
    assert_eq!(volume.notes.as_deref(), Some("web01 on pve1"));
    assert!(volume.size > 0);
    assert_eq!(volume.backup_config.as_ref().unwrap()["hostname"], "web01");
    assert!(!volume.backup_config.as_ref().unwrap().contains_key("lock"));
    drop(cluster);

    let extracted = call(
        &sim,
        "GET",
        "/nodes/pve1/vzdump/extractconfig",
        &[("volume", &volid)],
    )
    .unwrap();
    assert!(extracted.as_str().unwrap().contains("hostname: web01\n"));
}

#[tokio::test]
async fn vzdump_reports_per_guest_failures_and_wrong_storage() {
    let sim = sim();
    sim.cluster
        .lock()
        .guests
        .get_mut(&101)
        .unwrap()
        .config
        .insert("lock".into(), "snapshot".into());
    let task = run(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[("vmid", "101,100"), ("storage", "local")],
    )
    .await;
    assert_eq!(task.exitstatus.as_deref(), Some("job errors"));
    assert_eq!(task.id, "", "a job of several guests has no id in its UPID");
    let log = log_text(&task);
    assert!(
        log.contains("ERROR: Backup of VM 101 failed - CT is locked (snapshot)"),
        "{log}"
    );
    assert!(log.contains("INFO: Finished Backup of VM 100"));
    assert!(log.contains("INFO: creating vzdump archive '/var/lib/vz/dump/vzdump-qemu-100-"));
    assert!(log.contains(".vma'"), "no compression by default: {log}");
    assert_eq!(
        config_of(&sim, 101)["lock"],
        "snapshot",
        "someone else's lock stays"
    );

    let wrong = run(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[("vmid", "100"), ("storage", "local-lvm")],
    )
    .await;
    assert_eq!(
        wrong.exitstatus.as_deref(),
        Some("can't use storage 'local-lvm' for backups - wrong content type")
    );
    let elsewhere = call(&sim, "POST", "/nodes/pve2/vzdump", &[("vmid", "100")]).unwrap();
    assert_eq!(elsewhere, Value::String("OK".into()));
    let bad_notes = call(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[
            ("vmid", "100"),
            ("storage", "local"),
            ("notes-template", "{{owner}}"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        bad_notes.errors["notes-template"],
        "found unknown: variable 'owner' at char 2"
    );
}

#[tokio::test]
async fn prune_keeps_the_newest_archives() {
    let sim = sim();
    for _ in 0..3 {
        let task = run(
            &sim,
            "POST",
            "/nodes/pve1/vzdump",
            &[("vmid", "100"), ("prune-backups", "keep-last=2")],
        )
        .await;
        assert!(exit_ok(&task), "{task:?}");
    }
    let cluster = sim.cluster.lock();
    let backups = cluster.nodes["pve1"].storages["local"]
        .volumes
        .values()
        .filter(|v| v.content == "backup")
        .count();
    assert_eq!(backups, 2);
}

#[tokio::test]
async fn restore_recreates_a_container_from_its_archive() {
    let sim = sim();
    let backup = run(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[("vmid", "101"), ("compress", "zstd")],
    )
    .await;
    let archive = archive_volid(&backup, "local");
    let params = [
        ("vmid", "150"),
        ("ostemplate", archive.as_str()),
        ("restore", "1"),
        ("storage", "local-lvm"),
    ];
    let task = run(&sim, "POST", "/nodes/pve1/lxc", &params).await;
    assert_eq!(task.kind, "vzrestore");
    assert!(exit_ok(&task), "{task:?}");
    assert!(log_text(&task).contains(&format!(
        "recovering backed-up configuration from '{archive}'"
    )));
    let restored = config_of(&sim, 150);
    let original = config_of(&sim, 101);
    assert_eq!(restored["rootfs"], "local-lvm:vm-150-disk-0,size=8G");
    for key in ["hostname", "memory", "cores", "net0", "unprivileged"] {
        assert_eq!(restored[key], original[key], "{key}");
    }
    let unique = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &[
            ("vmid", "151"),
            ("ostemplate", &archive),
            ("restore", "1"),
            ("storage", "local-lvm"),
            ("unique", "1"),
            ("hostname", "other"),
        ],
    )
    .await;
    assert!(exit_ok(&unique));
    assert_ne!(config_of(&sim, 151)["net0"], original["net0"]);
    assert_eq!(
        config_of(&sim, 151)["hostname"],
        "other",
        "given options win over the archive's"
    );

    let exists = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &[("vmid", "101"), ("ostemplate", &archive), ("restore", "1")],
    );
    assert_eq!(
        error_message(exists),
        "CT 101 already exists on node 'pve1'"
    );
    let running = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &[
            ("vmid", "101"),
            ("ostemplate", &archive),
            ("restore", "1"),
            ("force", "1"),
        ],
    );
    assert_eq!(error_message(running), "can't overwrite running container");
}

#[tokio::test]
async fn forced_vm_restore_replaces_disks_and_a_failure_restores_the_old_guest() {
    let sim = sim();
    let backup = run(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[("vmid", "100"), ("compress", "zstd")],
    )
    .await;
    let archive = archive_volid(&backup, "local");
    assert!(archive.ends_with(".vma.zst"), "{archive}");
    let conflict = call(
        &sim,
        "POST",
        "/nodes/pve1/qemu",
        &[
            ("vmid", "160"),
            ("archive", &archive),
            ("scsi0", "local-lvm:8"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        conflict.errors["scsi0"],
        "option conflicts with option 'archive'"
    );

    let before = used(&sim, "pve1", "local-lvm");
    sim.cluster.lock().fail_next_tasks = 1;
    let failed = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu",
        &[("vmid", "100"), ("archive", &archive), ("force", "1")],
    )
    .await;
    assert_eq!(failed.kind, "qmrestore");
    assert!(!exit_ok(&failed));
    assert_eq!(
        config_of(&sim, 100)["scsi0"],
        "local-lvm:vm-100-disk-0,iothread=1,size=32G"
    );
    assert!(!config_of(&sim, 100).contains_key("lock"));
    assert_eq!(used(&sim, "pve1", "local-lvm"), before);

    let task = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu",
        &[("vmid", "100"), ("archive", &archive), ("force", "1")],
    )
    .await;
    assert!(exit_ok(&task), "{task:?}");
    let config = config_of(&sim, 100);
    assert_eq!(
        config["scsi0"],
        "local-lvm:vm-100-disk-1,iothread=1,size=32G"
    );
    assert_eq!(config["name"], "db01");
    assert!(
        !has_volume(&sim, "pve1", "local-lvm:vm-100-disk-0"),
        "the replaced disk is freed"
    );
    assert_eq!(used(&sim, "pve1", "local-lvm"), before);
}

#[tokio::test]
async fn stop_mode_stops_a_running_guest_for_the_backup_only() {
    let sim = sim();
    let upid = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[("vmid", "101"), ("mode", "stop")],
    ));
    assert_eq!(status_of(&sim, 101), GuestStatus::Stopped);
    let task = wait(&sim, &upid).await;
    assert!(exit_ok(&task), "{task:?}");
    let log = log_text(&task);
    assert!(
        log.contains("INFO: backup mode: stop") && log.contains("INFO: restarting vm"),
        "{log}"
    );
    assert_eq!(status_of(&sim, 101), GuestStatus::Running);
    assert!(!config_of(&sim, 101).contains_key("lock"));
}
