//! Templates, clones and migration.

use crate::handlers::guests::testutil::*;
use crate::model::GuestStatus;

#[tokio::test]
async fn linked_clone_of_a_template_shares_its_base_volume() {
    let sim = sim();
    let upid = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/clone",
        &[("newid", "130"), ("hostname", "clone130")],
    ));
    // The source carries pve-container's `disk` lock while the clone runs.
    assert_eq!(
        config_of(&sim, 900).get("lock").map(String::as_str),
        Some("disk")
    );
    let task = wait(&sim, &upid).await;
    assert!(exit_ok(&task), "{task:?}");
    assert_eq!(task.kind, "vzclone");
    assert_eq!(task.id, "900");
    assert!(
        log_text(&task)
            .contains("create linked clone of mount point rootfs (local-lvm:base-900-disk-0)")
    );
    let clone = config_of(&sim, 130);
    assert_eq!(clone["rootfs"], "local-lvm:vm-130-disk-0,size=4G");
    assert_eq!(clone["hostname"], "clone130");
    assert!(!clone.contains_key("template"));
    assert_ne!(
        clone["net0"],
        config_of(&sim, 900)["net0"],
        "clones get a new MAC"
    );
    assert!(!config_of(&sim, 900).contains_key("lock"));
    assert!(has_volume(&sim, "pve1", "local-lvm:base-900-disk-0"));
}

#[tokio::test]
async fn clone_refusals_match_pve() {
    let sim = sim();
    let running = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/clone",
        &[("newid", "131")],
    );
    assert_eq!(
        error_message(running),
        "Full clone of a running container is only possible from a snapshot"
    );
    let linked = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/clone",
        &[("newid", "131"), ("full", "0")],
    );
    assert_eq!(
        error_message(linked),
        "Linked clone feature for 'local-lvm:vm-101-disk-0' is not available"
    );
    let taken = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/clone",
        &[("newid", "100")],
    );
    assert_eq!(error_message(taken), "VM 100 already exists on node 'pve1'");
    let remote = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/clone",
        &[("newid", "131"), ("target", "pve2")],
    );
    assert_eq!(
        error_message(remote),
        "can't clone CT to node 'pve2' (CT uses local storage)"
    );
    let storage_linked = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/clone",
        &[("newid", "131"), ("storage", "nfs")],
    );
    assert_eq!(
        error_message(storage_linked),
        "parameter 'storage' not allowed for linked clones"
    );
    assert!(!sim.cluster.lock().guests.contains_key(&131));
    assert!(
        !config_of(&sim, 101).contains_key("lock"),
        "refused clones leave no lock"
    );
}

#[tokio::test]
async fn full_vm_clone_copies_disks_and_renames() {
    let sim = sim();
    let before = used(&sim, "pve1", "local-lvm");
    let task = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/clone",
        &[("newid", "140"), ("full", "1")],
    )
    .await;
    assert!(exit_ok(&task), "{task:?}");
    assert_eq!(task.kind, "qmclone");
    let clone = config_of(&sim, 140);
    assert_eq!(clone["name"], "Copy-of-VM-db01");
    assert_eq!(
        clone["scsi0"],
        "local-lvm:vm-140-disk-0,iothread=1,size=32G"
    );
    assert_eq!(
        clone["ide2"],
        config_of(&sim, 100)["ide2"],
        "CD-ROMs are copied as they are"
    );
    assert_eq!(used(&sim, "pve1", "local-lvm"), before + 32 * GIB);

    // A clone onto shared storage may go to another node.
    let remote = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/clone",
        &[
            ("newid", "141"),
            ("storage", "nfs"),
            ("target", "pve2"),
            ("name", "far"),
        ],
    )
    .await;
    assert!(exit_ok(&remote), "{remote:?}");
    let cluster = sim.cluster.lock();
    assert_eq!(cluster.guests[&141].node, "pve2");
    assert!(
        cluster.nodes["pve2"].storages["nfs"]
            .volumes
            .contains_key("nfs:141/vm-141-disk-0.qcow2")
    );
}

#[tokio::test]
async fn template_conversion_renames_disks_to_base() {
    let sim = sim();
    let task = run(&sim, "POST", "/nodes/pve1/qemu/100/template", &[]).await;
    assert_eq!(task.kind, "qmtemplate");
    assert!(exit_ok(&task));
    assert_eq!(
        config_of(&sim, 100)["scsi0"],
        "local-lvm:base-100-disk-0,iothread=1,size=32G"
    );
    assert_eq!(config_of(&sim, 100)["template"], "1");
    assert!(has_volume(&sim, "pve1", "local-lvm:base-100-disk-0"));
    let again = call(&sim, "POST", "/nodes/pve1/qemu/100/template", &[]);
    assert_eq!(
        error_message(again),
        "you can't convert a template to a template"
    );
    let running = call(&sim, "POST", "/nodes/pve1/lxc/101/template", &[]);
    assert_eq!(
        error_message(running),
        "you can't convert a CT to template if the CT is running"
    );
}

#[tokio::test]
async fn offline_vm_migration_moves_local_volumes() {
    let sim = sim();
    // qemu-server refuses to migrate a VM with a local ISO attached.
    let iso = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/migrate",
        &[("target", "pve2")],
    )
    .await;
    assert_eq!(iso.exitstatus.as_deref(), Some("migration aborted"));
    assert!(log_text(&iso).contains(&format!(
        "can't migrate local disk '{ISO}': local cdrom image"
    )));
    assert_eq!(sim.cluster.lock().guests[&100].node, "pve1");

    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("delete", "ide2")],
    )
    .unwrap();
    let before = used(&sim, "pve1", "local-lvm");
    let task = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/migrate",
        &[("target", "pve2")],
    )
    .await;
    assert!(exit_ok(&task), "{task:?}");
    assert_eq!(task.kind, "qmigrate");
    assert!(log_text(&task).contains("migration finished successfully"));
    assert_eq!(sim.cluster.lock().guests[&100].node, "pve2");
    assert!(has_volume(&sim, "pve2", "local-lvm:vm-100-disk-0"));
    assert_eq!(used(&sim, "pve1", "local-lvm"), before - 32 * GIB);
    assert!(call(&sim, "GET", "/nodes/pve2/qemu/100/status/current", &[]).is_ok());
}

#[tokio::test]
async fn running_guests_need_restart_or_online() {
    let sim = sim();
    let ct = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/migrate",
        &[("target", "pve2")],
    );
    assert_eq!(
        error_message(ct),
        "can't migrate running container without --online or --restart"
    );
    let upid = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/migrate",
        &[("target", "pve2"), ("restart", "1")],
    ));
    assert_eq!(
        config_of(&sim, 101).get("lock").map(String::as_str),
        Some("migrate")
    );
    let task = wait(&sim, &upid).await;
    assert!(exit_ok(&task), "{task:?}");
    assert!(log_text(&task).contains("start container on target node"));
    {
        let cluster = sim.cluster.lock();
        assert_eq!(cluster.guests[&101].node, "pve2");
        assert_eq!(cluster.guests[&101].status, GuestStatus::Running);
    }

    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("delete", "ide2")],
    )
    .unwrap();
    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await
    ));
    let vm = call(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/migrate",
        &[("target", "pve2")],
    );
    assert_eq!(
        error_message(vm),
        "can't migrate running VM without --online"
    );
    let online = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/migrate",
        &[("target", "pve2"), ("online", "1")],
    )
    .await;
    assert_eq!(online.exitstatus.as_deref(), Some("migration aborted"));
    assert!(log_text(&online).contains(
        "can't migrate local disk 'local-lvm:vm-100-disk-0': can't live migrate attached local disks without with-local-disks option"
    ));
    let with_disks = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/migrate",
        &[
            ("target", "pve2"),
            ("online", "1"),
            ("with-local-disks", "1"),
        ],
    )
    .await;
    assert!(exit_ok(&with_disks), "{with_disks:?}");
    assert!(
        log_text(&with_disks).contains("found local disk 'local-lvm:vm-100-disk-0' (attached)")
    );
    assert_eq!(sim.cluster.lock().guests[&100].node, "pve2");
    assert_eq!(status_of(&sim, 100), GuestStatus::Running);
}

#[tokio::test]
async fn migration_targets_are_checked() {
    let sim = sim();
    let local = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/migrate",
        &[("target", "pve1")],
    )
    .unwrap_err();
    assert_eq!(local.errors["target"], "target is local node.");
    let unknown = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/migrate",
        &[("target", "pve9")],
    );
    assert_eq!(error_message(unknown), "no such cluster node 'pve9'");
    let offline = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc/900/migrate",
        &[("target", "pve3")],
    )
    .await;
    assert_eq!(offline.exitstatus.as_deref(), Some("migration aborted"));
    assert_eq!(sim.cluster.lock().guests[&900].node, "pve1");
}

/// pve-container's `template` forks a `vztemplate` worker but answers `null` (its
/// `return undef`; schema `returns => { type => 'null' }`): the task is found in the
/// node's task list, not in the answer.
#[tokio::test]
async fn a_container_becomes_a_template_in_a_task_it_does_not_name() {
    let sim = sim();
    let stop = run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await;
    assert!(exit_ok(&stop), "{stop:?}");
    let answer = call(&sim, "POST", "/nodes/pve1/lxc/101/template", &[]).unwrap();
    assert_eq!(answer, serde_json::Value::Null);
    let upid = sim
        .cluster
        .lock()
        .tasks
        .iter()
        .rev()
        .find(|t| t.kind == "vztemplate" && t.id == "101")
        .map(|t| t.upid.clone())
        .expect("a vztemplate task for CT 101");
    assert!(exit_ok(&wait(&sim, &upid).await));
    assert_eq!(config_of(&sim, 101)["template"], "1");
}
