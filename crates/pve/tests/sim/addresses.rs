//! Guest addresses: container interfaces and the VM guest agent, including the states
//! in which a guest cannot tell them.

use std::collections::BTreeMap;

use proxicloud_pve::{
    GuestAddresses, GuestType, PowerAction, Pve, PveError, UnavailableReason, VmId,
};

use crate::common::{finish, node, start_default, token_client, wait};
use crate::lxc::container;
use crate::qemu::virtual_machine;

async fn start_guest(pve: &impl Pve, ty: GuestType, vmid: VmId) {
    let upid = pve
        .power(&node("pve1"), ty, vmid, PowerAction::Start)
        .await
        .expect("start");
    pve.wait_task(&upid, &wait()).await.expect("start task");
}

fn texts(found: &GuestAddresses) -> Vec<String> {
    found.texts().expect("addresses known")
}

#[tokio::test]
async fn container_addresses_once_running_without_loopback_or_link_local() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let lxc = GuestType::Lxc;

    let created = pve.create_lxc(&pve1, &container("ct-dhcp")).await.unwrap();
    pve.wait_task(&created.upid, &wait()).await.unwrap();
    let stopped = pve.guest_addresses(&pve1, lxc, created.vmid).await.unwrap();
    assert_eq!(
        stopped,
        GuestAddresses::Unavailable(UnavailableReason::NotRunning)
    );

    start_guest(&pve, lxc, created.vmid).await;
    let running = pve.guest_addresses(&pve1, lxc, created.vmid).await.unwrap();
    let dhcp = texts(&running);
    assert_eq!(dhcp.len(), 1, "{dhcp:?}");
    assert!(dhcp[0].starts_with("10.0."), "{dhcp:?}");
    let GuestAddresses::Known(list) = &running else {
        unreachable!()
    };
    assert_eq!(list[0].interface, "eth0");
    assert_eq!(list[0].prefix, Some(16));
    // A DHCP lease is stable for the same guest.
    let again = pve.guest_addresses(&pve1, lxc, created.vmid).await.unwrap();
    assert_eq!(texts(&again), dhcp);

    let mut fixed = container("ct-static");
    fixed.nets = BTreeMap::from([(
        0,
        "name=eth0,bridge=vmbr0,ip=192.168.7.10/24,gw=192.168.7.1,ip6=2001:db8::10/64".to_string(),
    )]);
    let created = pve.create_lxc(&pve1, &fixed).await.unwrap();
    pve.wait_task(&created.upid, &wait()).await.unwrap();
    start_guest(&pve, lxc, created.vmid).await;
    let found = pve.guest_addresses(&pve1, lxc, created.vmid).await.unwrap();
    assert_eq!(texts(&found), ["192.168.7.10", "2001:db8::10"]);
    finish(sim).await;
}

#[tokio::test]
async fn vm_addresses_come_from_a_running_agent() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let qemu = GuestType::Qemu;

    let with_agent = pve
        .create_qemu(&pve1, &virtual_machine("vm-agent"))
        .await
        .unwrap();
    pve.wait_task(&with_agent.upid, &wait()).await.unwrap();
    let stopped = pve
        .guest_addresses(&pve1, qemu, with_agent.vmid)
        .await
        .unwrap();
    assert_eq!(
        stopped,
        GuestAddresses::Unavailable(UnavailableReason::NotRunning)
    );
    start_guest(&pve, qemu, with_agent.vmid).await;
    let running = pve
        .guest_addresses(&pve1, qemu, with_agent.vmid)
        .await
        .unwrap();
    let found = texts(&running);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("10.0."), "{found:?}");

    let mut request = virtual_machine("vm-no-agent");
    request.agent = None;
    let without_agent = pve.create_qemu(&pve1, &request).await.unwrap();
    pve.wait_task(&without_agent.upid, &wait()).await.unwrap();
    start_guest(&pve, qemu, without_agent.vmid).await;
    assert_eq!(
        pve.guest_addresses(&pve1, qemu, without_agent.vmid)
            .await
            .unwrap(),
        GuestAddresses::Unavailable(UnavailableReason::NoAgentConfigured)
    );

    let mut request = virtual_machine("vm-agent-off");
    request.agent = Some("0".to_string());
    let agent_off = pve.create_qemu(&pve1, &request).await.unwrap();
    pve.wait_task(&agent_off.upid, &wait()).await.unwrap();
    start_guest(&pve, qemu, agent_off.vmid).await;
    assert_eq!(
        pve.guest_addresses(&pve1, qemu, agent_off.vmid)
            .await
            .unwrap(),
        GuestAddresses::Unavailable(UnavailableReason::AgentNotRunning)
    );
    finish(sim).await;
}

#[tokio::test]
async fn a_missing_vm_is_an_error_not_an_unavailable_agent() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let missing = pve
        .guest_addresses(&node("pve1"), GuestType::Qemu, VmId::new(987_654).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(missing, PveError::NotFound { .. }), "{missing:?}");
    finish(sim).await;
}
