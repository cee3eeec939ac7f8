//! Guest addresses: container interfaces and the VM guest agent.

use serde_json::Value;

use crate::handlers::guests::testutil::*;
use crate::model::GuestStatus;

fn set_config(sim: &crate::Sim, vmid: u32, key: &str, value: &str) {
    let mut cluster = sim.cluster.lock();
    let guest = cluster.guests.get_mut(&vmid).unwrap();
    guest.config.insert(key.to_string(), value.to_string());
}

fn set_status(sim: &crate::Sim, vmid: u32, status: GuestStatus) {
    sim.cluster.lock().guests.get_mut(&vmid).unwrap().status = status;
}

/// `(interface, address)` pairs of an answer's `ip-addresses`.
fn addresses(interfaces: &Value) -> Vec<(String, String)> {
    interfaces
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|interface| {
            let name = interface["name"].as_str().unwrap().to_string();
            interface["ip-addresses"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |a| (name.clone(), a["ip-address"].as_str().unwrap().to_string()))
        })
        .collect()
}

#[test]
fn running_container_reports_loopback_and_a_stable_dhcp_lease() {
    let sim = sim();
    let answer = call(&sim, "GET", "/nodes/pve1/lxc/101/interfaces", &[]).unwrap();
    let eth0 = &answer[1];
    assert_eq!(eth0["name"], "eth0");
    assert_eq!(eth0["hwaddr"], "bc:24:11:00:01:01");
    assert_eq!(eth0["hardware-address"], "bc:24:11:00:01:01");
    assert_eq!(eth0["ip-addresses"][0]["ip-address-type"], "inet");
    let found = addresses(&answer);
    assert_eq!(
        found,
        [
            ("lo".to_string(), "127.0.0.1".to_string()),
            ("lo".to_string(), "::1".to_string()),
            ("eth0".to_string(), "10.0.3.47".to_string()),
            ("eth0".to_string(), "fe80::be24:11ff:fe00:101".to_string()),
        ]
    );
    assert_eq!(eth0["inet"], "10.0.3.47/16");
    // The same guest gets the same lease every time.
    let again = call(&sim, "GET", "/nodes/pve1/lxc/101/interfaces", &[]).unwrap();
    assert_eq!(addresses(&again), found);
}

#[test]
fn static_container_addresses_are_reported_as_configured() {
    let sim = sim();
    set_config(
        &sim,
        101,
        "net0",
        "name=eth0,bridge=vmbr1,hwaddr=BC:24:11:00:01:01,ip=192.168.5.20/24,ip6=2001:db8::20/64,type=veth",
    );
    set_config(
        &sim,
        101,
        "net1",
        "name=eth1,bridge=vmbr1,ip=dhcp,type=veth",
    );
    let answer = call(&sim, "GET", "/nodes/pve1/lxc/101/interfaces", &[]).unwrap();
    let found: Vec<String> = addresses(&answer)
        .into_iter()
        .filter(|(name, _)| name != "lo")
        .map(|(_, address)| address)
        .collect();
    assert_eq!(
        found,
        [
            "192.168.5.20",
            "2001:db8::20",
            "fe80::be24:11ff:fe00:101",
            "10.1.3.48"
        ]
    );
}

#[test]
fn stopped_or_unknown_container_answers_null_like_pve() {
    let sim = sim();
    set_status(&sim, 101, GuestStatus::Stopped);
    let stopped = call(&sim, "GET", "/nodes/pve1/lxc/101/interfaces", &[]).unwrap();
    assert_eq!(stopped, Value::Null);
    let unknown = call(&sim, "GET", "/nodes/pve1/lxc/555/interfaces", &[]).unwrap();
    assert_eq!(unknown, Value::Null);
}

#[test]
fn vm_addresses_need_a_configured_running_agent() {
    let sim = sim();
    let path = "/nodes/pve1/qemu/100/agent/network-get-interfaces";
    assert_eq!(
        error_message(call(&sim, "GET", path, &[])),
        "No QEMU guest agent configured"
    );
    set_config(&sim, 100, "agent", "1");
    assert_eq!(
        error_message(call(&sim, "GET", path, &[])),
        "VM 100 is not running"
    );
    set_status(&sim, 100, GuestStatus::Running);
    set_config(&sim, 100, "agent", "enabled=0");
    assert_eq!(
        error_message(call(&sim, "GET", path, &[])),
        "QEMU guest agent is not running"
    );
    set_config(&sim, 100, "agent", "1,fstrim_cloned_disks=1");
    set_status(&sim, 100, GuestStatus::Paused);
    assert_eq!(
        error_message(call(&sim, "GET", path, &[])),
        "QEMU guest agent is not running"
    );
    set_status(&sim, 100, GuestStatus::Running);
    let answer = call(&sim, "GET", path, &[]).unwrap();
    let ens18 = &answer["result"][1];
    assert_eq!(ens18["name"], "ens18");
    assert_eq!(ens18["hardware-address"], "bc:24:11:00:01:00");
    assert_eq!(ens18["ip-addresses"][0]["ip-address-type"], "ipv4");
    assert_eq!(ens18["ip-addresses"][0]["ip-address"], "10.0.3.39");
}

#[test]
fn vm_cloud_init_ipconfig_decides_the_agents_addresses() {
    let sim = sim();
    set_config(&sim, 100, "agent", "1");
    set_config(&sim, 100, "ipconfig0", "ip=172.16.0.9/24,gw=172.16.0.1");
    set_status(&sim, 100, GuestStatus::Running);
    let path = "/nodes/pve1/qemu/100/agent/network-get-interfaces";
    let answer = call(&sim, "GET", path, &[]).unwrap();
    let found: Vec<String> = addresses(&answer["result"])
        .into_iter()
        .map(|(_, address)| address)
        .collect();
    assert!(found.contains(&"172.16.0.9".to_string()), "{found:?}");
    assert!(!found.iter().any(|a| a.starts_with("10.")), "{found:?}");
}

#[test]
fn missing_vm_is_pves_config_error() {
    let sim = sim();
    let path = "/nodes/pve1/qemu/555/agent/network-get-interfaces";
    assert_eq!(
        error_message(call(&sim, "GET", path, &[])),
        "Configuration file 'nodes/pve1/qemu-server/555.conf' does not exist"
    );
}
