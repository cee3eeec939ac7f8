use std::collections::BTreeMap;

use proxicloud_pve::{
    CloneRequest, ConfigUpdate, Consolidation, DeleteOptions, GuestType, MigrateRequest,
    PowerAction, Pve, PveError, QemuCreate, ResizeRequest, SnapshotRequest, Timeframe,
    VncProxyOptions,
};

use crate::common::{finish, node, start_default, token_client, wait};

pub fn virtual_machine(name: &str) -> QemuCreate {
    let mut disks = BTreeMap::new();
    disks.insert("scsi0".to_string(), "local-lvm:8".to_string());
    disks.insert(
        "ide2".to_string(),
        "local:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom".to_string(),
    );
    let mut nets = BTreeMap::new();
    nets.insert(0, "virtio,bridge=vmbr0".to_string());
    let mut ipconfigs = BTreeMap::new();
    ipconfigs.insert(0, "ip=dhcp".to_string());
    QemuCreate {
        name: Some(name.to_string()),
        memory_mib: Some(2048),
        cores: Some(2),
        sockets: Some(1),
        cpu: Some("x86-64-v2-AES".to_string()),
        ostype: Some("l26".to_string()),
        scsihw: Some("virtio-scsi-single".to_string()),
        boot: Some("order=scsi0;ide2;net0".to_string()),
        agent: Some("enabled=1".to_string()),
        disks,
        nets,
        ipconfigs,
        ciuser: Some("admin".to_string()),
        sshkeys: Some("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx+/= admin@example".to_string()),
        tags: Some("test;qemu".to_string()),
        ..QemuCreate::default()
    }
}

#[tokio::test]
async fn virtual_machine_lifecycle_end_to_end() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let (pve1, pve3) = (node("pve1"), node("pve3"));
    let qemu = GuestType::Qemu;

    let created = pve
        .create_qemu(&pve1, &virtual_machine("vm-life"))
        .await
        .expect("create");
    pve.wait_task(&created.upid, &wait())
        .await
        .expect("create task");
    let vmid = created.vmid;
    assert!(
        pve.guests(&pve1, qemu)
            .await
            .unwrap()
            .iter()
            .any(|g| g.vmid == vmid)
    );

    let config = pve.guest_config(&pve1, qemu, vmid).await.expect("config");
    assert_eq!(config.name.as_deref(), Some("vm-life"));
    assert_eq!(config.memory_mib, Some(2048));
    assert_eq!(config.cores, Some(2));
    assert!(
        config
            .get("scsi0")
            .is_some_and(|d| d.starts_with("local-lvm:"))
    );

    let update = ConfigUpdate {
        name: Some("vm-renamed".to_string()),
        cores: Some(4),
        tags: Some("renamed".to_string()),
        ..ConfigUpdate::default()
    };
    pve.update_guest_config(&pve1, qemu, vmid, &update)
        .await
        .expect("update");
    let config = pve.guest_config(&pve1, qemu, vmid).await.unwrap();
    assert_eq!(config.name.as_deref(), Some("vm-renamed"));
    assert_eq!(config.cores, Some(4));

    for action in [
        PowerAction::Start,
        PowerAction::Suspend,
        PowerAction::Resume,
        PowerAction::Reboot { timeout: Some(30) },
    ] {
        let upid = pve.power(&pve1, qemu, vmid, action).await.expect("power");
        pve.wait_task(&upid, &wait())
            .await
            .unwrap_or_else(|e| panic!("{action:?}: {e}"));
    }
    let status = pve.guest_status(&pve1, qemu, vmid).await.expect("status");
    assert!(status.is_running(), "{status:?}");

    let snap = SnapshotRequest {
        name: "with_ram".to_string(),
        description: None,
        vmstate: true,
    };
    let upid = pve
        .create_snapshot(&pve1, qemu, vmid, &snap)
        .await
        .expect("snapshot");
    pve.wait_task(&upid, &wait()).await.expect("snapshot task");
    let snapshots = pve.snapshots(&pve1, qemu, vmid).await.unwrap();
    let saved = snapshots
        .iter()
        .find(|s| s.name == "with_ram")
        .expect("listed");
    assert_eq!(saved.vmstate, Some(true));
    let upid = pve
        .rollback_snapshot(&pve1, qemu, vmid, "with_ram", true)
        .await
        .unwrap();
    pve.wait_task(&upid, &wait()).await.expect("rollback");
    let upid = pve
        .delete_snapshot(&pve1, qemu, vmid, "with_ram", false)
        .await
        .unwrap();
    pve.wait_task(&upid, &wait())
        .await
        .expect("delete snapshot");

    let resize = ResizeRequest {
        disk: "scsi0".to_string(),
        size: "+2G".to_string(),
    };
    if let Some(upid) = pve
        .resize_disk(&pve1, qemu, vmid, &resize)
        .await
        .expect("resize")
    {
        pve.wait_task(&upid, &wait()).await.expect("resize task");
    }
    let scsi0 = pve
        .guest_config(&pve1, qemu, vmid)
        .await
        .unwrap()
        .get("scsi0")
        .unwrap();
    assert!(scsi0.contains("size=10G"), "{scsi0}");

    let rrd = pve
        .guest_rrddata(&pve1, qemu, vmid, Timeframe::Week, Consolidation::Average)
        .await
        .expect("rrd");
    assert!(!rrd.is_empty());
    let options = VncProxyOptions {
        websocket: true,
        generate_password: true,
    };
    let vnc = pve
        .vncproxy(&pve1, qemu, vmid, options)
        .await
        .expect("vncproxy");
    assert!(vnc.password.is_some(), "generate-password returns one");
    let term = pve.termproxy(&pve1, qemu, vmid).await.expect("termproxy");
    assert!(!term.ticket.is_empty());

    let shutdown = PowerAction::Shutdown {
        timeout: Some(30),
        force_stop: true,
    };
    let upid = pve
        .power(&pve1, qemu, vmid, shutdown)
        .await
        .expect("shutdown");
    pve.wait_task(&upid, &wait()).await.expect("shutdown task");
    assert!(
        !pve.guest_status(&pve1, qemu, vmid)
            .await
            .unwrap()
            .is_running()
    );

    // PVE refuses a clone onto another node while the disks are on local storage.
    let mut clone = CloneRequest {
        name: Some("vm-clone".to_string()),
        full: Some(true),
        target: Some(pve3.clone()),
        ..CloneRequest::default()
    };
    let refused = pve.clone_guest(&pve1, qemu, vmid, &clone).await;
    assert!(refused.is_err(), "{refused:?}");
    clone.target = None;
    let cloned = pve
        .clone_guest(&pve1, qemu, vmid, &clone)
        .await
        .expect("clone");
    pve.wait_task(&cloned.upid, &wait())
        .await
        .expect("clone task");
    assert!(
        pve.guests(&pve1, qemu)
            .await
            .unwrap()
            .iter()
            .any(|g| g.vmid == cloned.vmid)
    );

    // PVE will not migrate a VM with a local ISO in its drive: eject it first.
    let mut eject = ConfigUpdate::default();
    eject
        .set
        .insert("ide2".to_string(), "none,media=cdrom".to_string());
    pve.update_guest_config(&pve1, qemu, vmid, &eject)
        .await
        .expect("eject");
    let mut migrate = MigrateRequest::to(pve3.clone());
    migrate.with_local_disks = Some(true);
    let upid = pve
        .migrate_guest(&pve1, qemu, vmid, &migrate)
        .await
        .expect("migrate");
    pve.wait_task(&upid, &wait()).await.expect("migrate task");
    assert!(
        pve.guests(&pve3, qemu)
            .await
            .unwrap()
            .iter()
            .any(|g| g.vmid == vmid)
    );
    let stale = pve.guest_config(&pve1, qemu, vmid).await;
    assert!(matches!(stale, Err(PveError::NotFound { .. })), "{stale:?}");

    for (on, id) in [(&pve3, vmid), (&pve1, cloned.vmid)] {
        let upid = pve
            .delete_guest(on, qemu, id, DeleteOptions::default())
            .await
            .unwrap();
        pve.wait_task(&upid, &wait()).await.expect("delete");
    }
    finish(sim).await;
}

#[tokio::test]
async fn type_specific_options_are_refused_before_sending() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let some_guest = pve.guests(&pve1, GuestType::Lxc).await.unwrap()[0].vmid;
    let mut migrate = MigrateRequest::to(node("pve2"));
    migrate.with_local_disks = Some(true);
    let err = pve
        .migrate_guest(&pve1, GuestType::Lxc, some_guest, &migrate)
        .await
        .expect_err("with-local-disks is a VM option");
    assert!(matches!(err, PveError::InvalidRequest(_)), "{err:?}");
    let before = sim.recorded_entries().len();
    let snap = SnapshotRequest {
        name: "x".to_string(),
        description: None,
        vmstate: true,
    };
    let err = pve
        .create_snapshot(&pve1, GuestType::Lxc, some_guest, &snap)
        .await;
    assert!(matches!(err, Err(PveError::InvalidRequest(_))));
    assert_eq!(
        sim.recorded_entries().len(),
        before,
        "nothing reached the simulator"
    );
    finish(sim).await;
}
