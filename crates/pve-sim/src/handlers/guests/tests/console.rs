//! Console proxies and the websocket ticket check.

use crate::handlers::guests::testutil::*;

#[tokio::test]
async fn vncproxy_ticket_opens_the_websocket_for_its_port_only() {
    let sim = sim();
    let proxy = call(
        &sim,
        "POST",
        "/nodes/pve1/lxc/101/vncproxy",
        &[("websocket", "1")],
    )
    .unwrap();
    assert_eq!(proxy["user"], "root@pam");
    // PVE answers the port as a string (`wait_for_vnc_port`), and a container's
    // vncproxy has no `password` (pve-container's returns lack it; see the schema).
    let port: u64 = proxy["port"].as_str().unwrap().parse().unwrap();
    assert!((5900..=5999).contains(&port));
    assert!(proxy.get("password").is_none());
    let ticket = proxy["ticket"].as_str().unwrap();
    assert!(ticket.starts_with("PVEVNC:"), "{ticket}");
    let upid = proxy["upid"].as_str().unwrap();
    assert!(upid.contains(":vncproxy:101:"));

    let port_text = port.to_string();
    let ok = call(
        &sim,
        "GET",
        "/nodes/pve1/lxc/101/vncwebsocket",
        &[("port", &port_text), ("vncticket", ticket)],
    )
    .unwrap();
    assert_eq!(ok["port"], port_text);
    let other_port = (port + 1).to_string();
    let denied = call(
        &sim,
        "GET",
        "/nodes/pve1/lxc/101/vncwebsocket",
        &[("port", &other_port), ("vncticket", ticket)],
    )
    .unwrap_err();
    assert_eq!(
        (denied.status, denied.message.as_str()),
        (401, "permission denied - invalid PVEVNC ticket")
    );
    // Nobody connects in the simulator, so the proxy task ends like vncterm's timeout.
    assert_eq!(
        wait(&sim, upid).await.exitstatus.as_deref(),
        Some("connection timed out")
    );
}

#[tokio::test]
async fn termproxy_of_a_stopped_vm_fails_its_task() {
    let sim = sim();
    let proxy = call(&sim, "POST", "/nodes/pve1/qemu/100/termproxy", &[]).unwrap();
    assert!(proxy["ticket"].as_str().unwrap().starts_with("PVEVNC:"));
    assert!(proxy.get("password").is_none());
    let task = wait(&sim, proxy["upid"].as_str().unwrap()).await;
    assert_eq!(task.exitstatus.as_deref(), Some("VM 100 not running"));
}

#[tokio::test]
async fn a_vms_websocket_vncproxy_carries_a_password_in_front_of_its_ticket() {
    let sim = sim();
    run(&sim, "POST", "/nodes/pve1/qemu/100/status/start", &[]).await;
    let proxy = call(
        &sim,
        "POST",
        "/nodes/pve1/qemu/100/vncproxy",
        &[("websocket", "1")],
    )
    .unwrap();
    let password = proxy["password"].as_str().unwrap();
    let ticket = proxy["ticket"].as_str().unwrap();
    assert!(
        ticket.starts_with(&format!("{password}:PVEVNC:")),
        "{ticket}"
    );
}
