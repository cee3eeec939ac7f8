//! What goes with a destroyed guest besides its disks.

use serde_json::{Value, json};

use crate::handlers::access::AclEntry;
use crate::handlers::guests::testutil::*;

fn acl_on(path: &str) -> AclEntry {
    AclEntry {
        path: path.to_string(),
        kind: "user".to_string(),
        ugid: "alice@pve".to_string(),
        roleid: "PVEVMUser".to_string(),
        propagate: true,
    }
}

fn acl_paths(sim: &crate::Sim) -> Vec<String> {
    let cluster = sim.cluster.lock();
    cluster.access.acl.iter().map(|e| e.path.clone()).collect()
}

#[tokio::test]
async fn a_destroyed_guest_takes_its_firewall_and_permissions_along() {
    let sim = sim();
    let rules = "/nodes/pve1/qemu/100/firewall/rules";
    let options = "/nodes/pve1/qemu/100/firewall/options";
    let ssh = [
        ("type", "in"),
        ("action", "ACCEPT"),
        ("proto", "tcp"),
        ("dport", "22"),
        ("enable", "1"),
    ];
    call(&sim, "POST", rules, &ssh).unwrap();
    call(
        &sim,
        "PUT",
        options,
        &[("enable", "1"), ("policy_in", "DROP")],
    )
    .unwrap();
    call(&sim, "POST", "/nodes/pve1/lxc/101/firewall/rules", &ssh).unwrap();
    sim.cluster.lock().access.acl.extend([
        acl_on("/vms/100"),
        acl_on("/vms/1000"),
        acl_on("/vms/101"),
    ]);

    let destroyed = run(&sim, "DELETE", "/nodes/pve1/qemu/100", &[]).await;
    assert!(exit_ok(&destroyed), "{destroyed:?}");

    // A new guest with the same vmid starts with PVE's defaults, as on real PVE.
    assert_eq!(call(&sim, "GET", rules, &[]).unwrap(), json!([]));
    let fresh = call(&sim, "GET", options, &[]).unwrap();
    assert_eq!(fresh.get("enable"), None, "{fresh}");
    assert_eq!(fresh.get("policy_in"), None, "{fresh}");
    assert!(!acl_paths(&sim).contains(&"/vms/100".to_string()));

    // Other guests keep theirs (also /vms/1000, which only shares a prefix).
    let kept = call(&sim, "GET", "/nodes/pve1/lxc/101/firewall/rules", &[]).unwrap();
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{kept}");
    let paths = acl_paths(&sim);
    assert!(paths.contains(&"/vms/1000".to_string()) && paths.contains(&"/vms/101".to_string()));
}

#[tokio::test]
async fn a_failed_destroy_keeps_the_firewall() {
    let sim = sim();
    let rules = "/nodes/pve1/qemu/100/firewall/rules";
    call(
        &sim,
        "POST",
        rules,
        &[("type", "in"), ("action", "DROP"), ("enable", "1")],
    )
    .unwrap();
    sim.cluster.lock().fail_next_tasks = 1;
    let failed = run(&sim, "DELETE", "/nodes/pve1/qemu/100", &[]).await;
    assert!(!exit_ok(&failed), "{failed:?}");
    assert!(sim.cluster.lock().guests.contains_key(&100));
    let still: Value = call(&sim, "GET", rules, &[]).unwrap();
    assert_eq!(still.as_array().map(Vec::len), Some(1), "{still}");
}
