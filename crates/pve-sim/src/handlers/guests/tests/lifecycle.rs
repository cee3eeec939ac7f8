//! The power state machine, listing and status, with PVE's error texts.

use serde_json::{Value, json};

use crate::handlers::guests::testutil::*;
use crate::model::GuestStatus;

#[tokio::test]
async fn container_power_cycle_follows_pve_errors() {
    let sim = sim();
    let running = call(&sim, "POST", "/nodes/pve1/lxc/101/status/start", &[]);
    assert_eq!(error_message(running), "CT 101 already running");

    let stop = run(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]).await;
    assert!(exit_ok(&stop), "{stop:?}");
    assert_eq!(stop.kind, "vzstop");
    assert_eq!(status_of(&sim, 101), GuestStatus::Stopped);

    for action in ["stop", "shutdown", "suspend"] {
        let path = format!("/nodes/pve1/lxc/101/status/{action}");
        assert_eq!(
            error_message(call(&sim, "POST", &path, &[])),
            "CT 101 not running"
        );
    }
    // pve-container's reboot says "VM" even for containers.
    let reboot = call(&sim, "POST", "/nodes/pve1/lxc/101/status/reboot", &[]);
    assert_eq!(error_message(reboot), "VM 101 not running");

    let start = run(&sim, "POST", "/nodes/pve1/lxc/101/status/start", &[]).await;
    assert!(exit_ok(&start));
    assert_eq!(start.kind, "vzstart");
    assert_eq!(status_of(&sim, 101), GuestStatus::Running);
    let shutdown = run(&sim, "POST", "/nodes/pve1/lxc/101/status/shutdown", &[]).await;
    assert!(exit_ok(&shutdown));
    assert_eq!(status_of(&sim, 101), GuestStatus::Stopped);
}

#[tokio::test]
async fn vm_checks_run_in_the_worker_and_pause_blocks_shutdown() {
    let sim = sim();
    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await
    ));
    // qemu-server answers with a UPID and fails the task instead.
    let again = run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await;
    assert_eq!(again.exitstatus.as_deref(), Some("VM 100 already running"));

    let pause = run(&sim, "POST", "/nodes/pve1/qemu/100/status/suspend", &[]).await;
    assert_eq!(pause.kind, "qmpause");
    let current = call(&sim, "GET", "/nodes/pve1/qemu/100/status/current", &[]).unwrap();
    assert_eq!(current["status"], "running");
    assert_eq!(current["qmpstatus"], "paused");
    assert_eq!(current["ha"]["managed"], 0);
    let shutdown = call(&sim, "POST", "/nodes/pve1/qemu/100/status/shutdown", &[]);
    assert_eq!(error_message(shutdown), "VM is paused - cannot shutdown");

    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/qemu/100/status/resume", &[]).await
    ));
    assert_eq!(status_of(&sim, 100), GuestStatus::Running);
    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/qemu/100/status/stop", &[]).await
    ));
    // Stopping a stopped VM is a quiet no-op in qemu-server.
    let noop = run(&sim, "POST", "/nodes/pve1/qemu/100/status/stop", &[]).await;
    assert!(exit_ok(&noop));
    let reset = call(&sim, "POST", "/nodes/pve1/qemu/100/status/reset", &[]);
    assert_eq!(error_message(reset), "VM 100 not running");
}

#[tokio::test]
async fn templates_do_not_start() {
    let sim = sim();
    let start = run(&sim, "POST", "/nodes/pve1/lxc/900/status/start", &[]).await;
    assert_eq!(
        start.exitstatus.as_deref(),
        Some("you can't start a CT if it's a template")
    );
    assert_eq!(status_of(&sim, 900), GuestStatus::Stopped);
}

#[tokio::test]
async fn a_guest_under_backup_refuses_power_operations() {
    let sim = sim();
    let backup = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[("vmid", "100"), ("storage", "local")],
    ));
    let backup_ct = upid(call(
        &sim,
        "POST",
        "/nodes/pve1/vzdump",
        &[("vmid", "101"), ("storage", "local")],
    ));
    assert_eq!(
        config_of(&sim, 100).get("lock").map(String::as_str),
        Some("backup")
    );
    let start = upid(call(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]));
    let stop = upid(call(&sim, "POST", "/nodes/pve1/lxc/101/status/stop", &[]));
    assert_eq!(
        wait(&sim, &start).await.exitstatus.as_deref(),
        Some("VM is locked (backup)")
    );
    assert_eq!(
        wait(&sim, &stop).await.exitstatus.as_deref(),
        Some("CT is locked (backup)")
    );
    assert!(exit_ok(&wait(&sim, &backup).await));
    assert!(exit_ok(&wait(&sim, &backup_ct).await));
    assert_eq!(status_of(&sim, 100), GuestStatus::Stopped);
    assert_eq!(status_of(&sim, 101), GuestStatus::Running);
    assert!(!config_of(&sim, 101).contains_key("lock"));
    // Unlocked again, the same start now works.
    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await
    ));
}

#[tokio::test]
async fn lists_report_pve_fields_per_family() {
    let sim = sim();
    let Value::Array(cts) = call(&sim, "GET", "/nodes/pve1/lxc", &[]).unwrap() else {
        panic!()
    };
    let web = cts
        .iter()
        .find(|c| c["vmid"] == 101)
        .expect("CT 101 listed");
    assert_eq!(web["name"], "web01");
    assert_eq!(web["status"], "running");
    assert_eq!(web["type"], "lxc");
    assert_eq!(web["cpus"], json!(2), "whole CPU counts are JSON integers");
    assert_eq!(web["maxmem"], 1024u64 << 20);
    assert_eq!(web["maxdisk"], 8 * GIB);
    assert_eq!(web["maxswap"], 512u64 << 20);
    assert!(web["uptime"].as_i64().unwrap() > 0);
    let template = cts.iter().find(|c| c["vmid"] == 900).unwrap();
    assert_eq!(template["template"], 1);
    assert!(
        cts.iter().all(|c| c["vmid"] != 100),
        "VMs are not in the CT list"
    );

    let Value::Array(vms) = call(&sim, "GET", "/nodes/pve1/qemu", &[]).unwrap() else {
        panic!()
    };
    assert_eq!(vms.len(), 1);
    assert_eq!(vms[0]["name"], "db01");
    assert_eq!(vms[0]["cpus"], 2);
    assert_eq!(vms[0]["maxdisk"], 32 * GIB);
    assert_eq!(vms[0]["status"], "stopped");
    assert!(
        vms[0].get("qmpstatus").is_none(),
        "only status/current reports qmpstatus"
    );
    assert_eq!(
        call(&sim, "GET", "/nodes/pve2/qemu", &[]).unwrap(),
        Value::Array(vec![])
    );
}

#[tokio::test]
async fn unknown_guests_and_unreachable_nodes_fail_like_pve() {
    let sim = sim();
    let elsewhere = call(&sim, "GET", "/nodes/pve2/lxc/101/status/current", &[]);
    assert_eq!(
        error_message(elsewhere),
        "Configuration file 'nodes/pve2/lxc/101.conf' does not exist"
    );
    let wrong_family = call(&sim, "GET", "/nodes/pve1/qemu/101/status/current", &[]);
    assert_eq!(
        error_message(wrong_family),
        "Configuration file 'nodes/pve1/qemu-server/101.conf' does not exist"
    );
    let offline = call(&sim, "GET", "/nodes/pve3/lxc", &[]).unwrap_err();
    assert_eq!(offline.status, 595);
    let unknown = call(&sim, "GET", "/nodes/nosuch/qemu", &[]).unwrap_err();
    assert!(
        unknown
            .message
            .starts_with("hostname lookup 'nosuch' failed"),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn skiplock_is_for_root_only() {
    let sim = sim();
    let err = call_as(
        &sim,
        "alice@pve",
        "POST",
        "/nodes/pve1/qemu/100/status/start",
        &[("skiplock", "1")],
    )
    .unwrap_err();
    assert_eq!(err.status, 400);
    assert_eq!(err.errors["skiplock"], "Only root may use this option.");
}

#[tokio::test]
async fn vm_suspended_to_disk_keeps_its_state_until_resumed() {
    let sim = sim();
    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await
    ));
    let before = used(&sim, "pve1", "local-lvm");
    let hibernate = run(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/status/suspend",
        &[("todisk", "1")],
    )
    .await;
    assert_eq!(hibernate.kind, "qmsuspend");
    let config = config_of(&sim, 100);
    assert_eq!(config.get("lock").map(String::as_str), Some("suspended"));
    assert_eq!(status_of(&sim, 100), GuestStatus::Stopped);
    assert_eq!(
        used(&sim, "pve1", "local-lvm"),
        before + 4 * GIB,
        "RAM saved to a vmstate volume"
    );
    assert!(exit_ok(
        &run(&sim, "POST", "/nodes/pve1/qemu/100/status/resume", &[]).await
    ));
    assert_eq!(status_of(&sim, 100), GuestStatus::Running);
    assert!(!config_of(&sim, 100).contains_key("vmstate"));
    assert_eq!(used(&sim, "pve1", "local-lvm"), before);
}
