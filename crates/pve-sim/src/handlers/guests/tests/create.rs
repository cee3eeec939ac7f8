//! Creating and destroying guests: allocation, generated options, failures that
//! leave nothing behind.

use crate::handlers::guests::testutil::*;
use crate::model::GuestStatus;

fn create_ct(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut params = vec![
        ("vmid", "102"),
        ("ostemplate", TEMPLATE),
        ("hostname", "app01"),
        ("memory", "2048"),
        ("cores", "2"),
        ("net0", "name=eth0,bridge=vmbr0,ip=dhcp"),
        ("password", "supersecret"),
        (
            "ssh-public-keys",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG test@example",
        ),
    ];
    params.extend_from_slice(extra);
    params
}

#[tokio::test]
async fn container_create_allocates_its_rootfs_and_delete_frees_it() {
    let sim = sim();
    let before = used(&sim, "pve1", "local-lvm");
    let upid = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &create_ct(&[("rootfs", "local-lvm:8"), ("start", "1")]),
    ));
    // While vzcreate runs the container exists with nothing but the create lock.
    let during = config_of(&sim, 102);
    assert_eq!(during.get("lock").map(String::as_str), Some("create"));
    assert_eq!(during.len(), 1);
    assert_eq!(used(&sim, "pve1", "local-lvm"), before + 8 * GIB);

    let task = wait(&sim, &upid).await;
    assert!(exit_ok(&task), "{task:?}");
    assert_eq!(task.kind, "vzcreate");
    assert!(log_text(&task).contains(
        "extracting archive '/var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst'"
    ));
    let config = config_of(&sim, 102);
    assert_eq!(config["rootfs"], "local-lvm:vm-102-disk-0,size=8G");
    assert_eq!(config["hostname"], "app01");
    assert_eq!(config["unprivileged"], "1");
    assert_eq!(config["ostype"], "debian");
    assert_eq!(config["swap"], "512");
    assert!(
        config["net0"].starts_with("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:"),
        "{}",
        config["net0"]
    );
    assert!(config["net0"].ends_with(",ip=dhcp,type=veth"));
    assert!(!config.contains_key("lock"));
    // PVE writes the password and keys into the container, never into its config.
    assert!(!config.contains_key("password") && !config.contains_key("ssh-public-keys"));
    assert_eq!(status_of(&sim, 102), GuestStatus::Running);

    let running = call(&sim, "DELETE", "/nodes/pve1/lxc/102", &[]);
    assert_eq!(
        error_message(running),
        "unable to destroy CT 102 - container is running"
    );
    let destroy = run(
        &sim,
        "DELETE",
        "/nodes/pve1/lxc/102",
        &[("force", "1"), ("purge", "1")],
    )
    .await;
    assert_eq!(
        destroy.exitstatus.as_deref(),
        Some("WARNINGS: 1"),
        "{destroy:?}"
    );
    assert!(log_text(&destroy).contains("purging CT 102 from related configurations.."));
    assert!(!sim.cluster.lock().guests.contains_key(&102));
    assert!(!has_volume(&sim, "pve1", "local-lvm:vm-102-disk-0"));
    assert_eq!(used(&sim, "pve1", "local-lvm"), before);
}

#[tokio::test]
async fn taken_vmids_are_refused_with_pve_wording() {
    let sim = sim();
    let ct = call(
        &sim,
        "POST",
        "/nodes/pve2/lxc",
        &[("vmid", "101"), ("ostemplate", TEMPLATE)],
    );
    assert_eq!(error_message(ct), "CT 101 already exists on node 'pve1'");
    let vm = call(&sim, "POST", "/nodes/pve2/qemu", &[("vmid", "101")]);
    assert_eq!(
        error_message(vm),
        "unable to create VM 101 - CT 101 already exists on node 'pve1'"
    );
}

#[tokio::test]
async fn storage_problems_fail_before_or_inside_the_task() {
    let sim = sim();
    let wrong_content = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &create_ct(&[("rootfs", "local:8")]),
    )
    .unwrap_err();
    assert_eq!(
        wrong_content.errors["storage"],
        "storage 'local' does not support container directories"
    );
    // The default storage is `local`, which holds no containers here.
    let default = call(&sim, "POST", "/nodes/pve1/lxc", &create_ct(&[])).unwrap_err();
    assert_eq!(
        default.errors["storage"],
        "storage 'local' does not support container directories"
    );

    let before = used(&sim, "pve1", "local-lvm");
    let full = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &create_ct(&[("rootfs", "local-lvm:100")]),
    )
    .await;
    let error = full.exitstatus.clone().unwrap();
    assert!(
        error.starts_with("unable to create CT 102 - not enough free space on storage 'local-lvm'"),
        "{error}"
    );
    assert!(!sim.cluster.lock().guests.contains_key(&102));
    assert_eq!(used(&sim, "pve1", "local-lvm"), before);

    let missing = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &[
            ("vmid", "103"),
            ("ostemplate", "local:vztmpl/nope.tar.zst"),
            ("rootfs", "local-lvm:2"),
        ],
    )
    .await;
    assert_eq!(
        missing.exitstatus.as_deref(),
        Some(
            "unable to create CT 103 - failed to open '/var/lib/vz/template/cache/nope.tar.zst': No such file or directory"
        )
    );
    let not_a_template = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &[("vmid", "104"), ("ostemplate", ISO)],
    );
    assert_eq!(
        error_message(not_a_template),
        format!("unable to use volume {ISO} - content type needs to be 'vztmpl'")
    );
}

#[tokio::test]
async fn a_failed_create_task_leaves_no_half_made_guest() {
    let sim = sim();
    let before = used(&sim, "pve1", "local-lvm");
    sim.cluster.lock().fail_next_tasks = 1;
    let ct = run(
        &sim,
        "POST",
        "/nodes/pve1/lxc",
        &create_ct(&[("rootfs", "local-lvm:8")]),
    )
    .await;
    assert!(!exit_ok(&ct));
    sim.cluster.lock().fail_next_tasks = 1;
    let vm = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu",
        &[("vmid", "103"), ("scsi0", "local-lvm:16")],
    )
    .await;
    assert!(!exit_ok(&vm));
    let cluster = sim.cluster.lock();
    assert!(!cluster.guests.contains_key(&102) && !cluster.guests.contains_key(&103));
    assert_eq!(cluster.nodes["pve1"].storages["local-lvm"].used(), before);
}

#[tokio::test]
async fn vm_create_allocates_disks_attaches_isos_and_generates_options() {
    let sim = sim();
    let cdrom = format!("{ISO},media=cdrom");
    let params = [
        ("vmid", "110"),
        ("name", "vm110"),
        ("memory", "2048"),
        ("cores", "2"),
        ("scsi0", "local-lvm:32,iothread=1"),
        ("ide2", cdrom.as_str()),
        ("net0", "virtio,bridge=vmbr0"),
        ("ostype", "l26"),
    ];
    let task = run(&sim, "POST", "/nodes/pve2/qemu", &params).await;
    assert!(exit_ok(&task), "{task:?}");
    assert_eq!(task.kind, "qmcreate");
    assert!(log_text(&task).contains(
        "scsi0: successfully created disk 'local-lvm:vm-110-disk-0,iothread=1,size=32G'"
    ));
    let config = config_of(&sim, 110);
    assert_eq!(
        config["scsi0"],
        "local-lvm:vm-110-disk-0,iothread=1,size=32G"
    );
    assert_eq!(config["ide2"], format!("{ISO},media=cdrom,size=630M"));
    assert!(
        config["net0"].starts_with("virtio=BC:24:11:") && config["net0"].ends_with(",bridge=vmbr0")
    );
    assert_eq!(config["boot"], "order=scsi0;ide2;net0");
    assert!(config["smbios1"].starts_with("uuid="));
    assert!(config["meta"].starts_with("creation-qemu="));
    assert_eq!(config["vmgenid"].len(), 36);
    assert_eq!(used(&sim, "pve2", "local-lvm"), 32 * GIB);

    let plain_iso = call(
        &sim,
        "POST",
        "/nodes/pve2/qemu",
        &[("vmid", "111"), ("ide2", ISO)],
    )
    .unwrap_err();
    assert_eq!(
        plain_iso.errors["ide2"],
        "explicit 'media=cdrom' is required for iso images"
    );
    let gone = run(
        &sim,
        "POST",
        "/nodes/pve2/qemu",
        &[
            ("vmid", "112"),
            ("ide2", "local:iso/missing.iso,media=cdrom"),
        ],
    )
    .await;
    assert_eq!(
        gone.exitstatus.as_deref(),
        Some("unable to create VM 112 - volume local:iso/missing.iso does not exist")
    );
}

#[tokio::test]
async fn vm_destroy_checks_running_protection_and_lock() {
    let sim = sim();
    sim.cluster
        .lock()
        .guests
        .get_mut(&100)
        .unwrap()
        .config
        .insert("protection".into(), "1".into());
    let protected = call(&sim, "DELETE", "/nodes/pve1/qemu/100", &[]);
    assert_eq!(
        error_message(protected),
        "can't remove VM 100 - protection mode enabled"
    );
    {
        let mut cluster = sim.cluster.lock();
        let vm = cluster.guests.get_mut(&100).unwrap();
        vm.config.remove("protection");
        vm.config.insert("lock".into(), "backup".into());
    }
    let locked = run(&sim, "DELETE", "/nodes/pve1/qemu/100", &[]).await;
    assert_eq!(locked.exitstatus.as_deref(), Some("VM is locked (backup)"));
    sim.cluster
        .lock()
        .guests
        .get_mut(&100)
        .unwrap()
        .config
        .remove("lock");
    let destroyed = run(&sim, "DELETE", "/nodes/pve1/qemu/100", &[]).await;
    assert_eq!(destroyed.kind, "qmdestroy");
    assert!(exit_ok(&destroyed));
    assert!(!has_volume(&sim, "pve1", "local-lvm:vm-100-disk-0"));
    assert!(
        has_volume(&sim, "pve1", ISO),
        "the ISO is not the VM's to free"
    );
}

#[tokio::test]
async fn vm_cloud_init_drives_and_imported_disks_are_allocated() {
    let sim = sim();
    let params = [
        ("vmid", "113"),
        ("scsi0", "local-lvm:0,import-from=local-lvm:vm-100-disk-0"),
        ("ide2", "local-lvm:cloudinit"),
        ("ciuser", "debian"),
    ];
    let task = run(&sim, "POST", "/nodes/pve1/qemu", &params).await;
    assert!(exit_ok(&task), "{task:?}");
    let config = config_of(&sim, 113);
    assert_eq!(config["scsi0"], "local-lvm:vm-113-disk-0,size=32G");
    assert_eq!(config["ide2"], "local-lvm:vm-113-cloudinit,media=cdrom");
    assert_eq!(config["boot"], "order=scsi0;ide2");
    assert!(has_volume(&sim, "pve1", "local-lvm:vm-113-cloudinit"));

    let sized = call(
        &sim,
        "POST",
        "/nodes/pve1/qemu",
        &[
            ("vmid", "114"),
            ("scsi0", "local-lvm:8,import-from=local-lvm:vm-100-disk-0"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        sized.errors["scsi0"],
        "'import-from' requires special syntax - use <storage ID>:0,import-from=<source>"
    );
    call(
        &sim,
        "PUT",
        "/nodes/pve1/qemu/100/config",
        &[("scsi1", "local-lvm:0,import-from=local-lvm:vm-113-disk-0")],
    )
    .unwrap();
    assert_eq!(
        config_of(&sim, 100)["scsi1"],
        "local-lvm:vm-100-disk-1,size=32G"
    );
}
