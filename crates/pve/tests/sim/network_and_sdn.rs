use proxicloud_pve::{
    NetworkInterfaceSpec, Pve, SdnSubnetSpec, SdnVnetSpec, SdnZoneSpec, subnet_id,
};

use crate::common::{finish, node, start_default, token_client, wait};

#[tokio::test]
async fn node_network_changes_are_staged_until_applied() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");

    let before = pve.network_interfaces(&pve1, None).await.expect("list");
    assert!(
        before
            .iter()
            .any(|i| i.iface == "vmbr0" && i.kind == "bridge")
    );
    let bridges = pve.network_interfaces(&pve1, Some("bridge")).await.unwrap();
    assert!(bridges.iter().all(|i| i.kind == "bridge"));

    let mut spec = NetworkInterfaceSpec::bridge("vmbr7");
    spec.cidr = Some("10.77.0.1/24".to_string());
    spec.bridge_vlan_aware = Some(true);
    spec.comments = Some("tenant network".to_string());
    pve.create_network_interface(&pve1, &spec)
        .await
        .expect("create bridge");
    let staged = pve.network_interfaces(&pve1, None).await.unwrap();
    let vmbr7 = staged
        .iter()
        .find(|i| i.iface == "vmbr7")
        .expect("staged bridge listed");
    assert_eq!(vmbr7.cidr.as_deref(), Some("10.77.0.1/24"));
    assert_ne!(vmbr7.active, Some(true), "not active before apply");
    let config = pve.network_config(&pve1).await.expect("list with changes");
    assert_eq!(config.interfaces, staged);
    let diff = config.pending_changes.expect("a staged change has a diff");
    assert!(
        diff.contains("+iface vmbr7 inet static") && diff.contains("+\taddress 10.77.0.1/24"),
        "{diff}"
    );

    // PVE applies `delete` before the values sent with it, so a key to delete must
    // not be sent too.
    spec.mtu = Some(9000);
    spec.comments = None;
    spec.delete = vec!["comments".to_string()];
    pve.update_network_interface(&pve1, &spec)
        .await
        .expect("update");
    let upid = pve.apply_network(&pve1).await.expect("apply");
    pve.wait_task(&upid, &wait()).await.expect("reload task");
    let applied = pve.network_interfaces(&pve1, Some("bridge")).await.unwrap();
    let vmbr7 = applied
        .iter()
        .find(|i| i.iface == "vmbr7")
        .expect("applied bridge");
    assert_eq!(vmbr7.active, Some(true));
    assert_eq!(vmbr7.mtu, Some(9000));
    assert_eq!(vmbr7.comments, None);
    let applied = pve.network_config(&pve1).await.unwrap();
    assert_eq!(applied.pending_changes, None, "nothing staged after apply");

    // Reverting throws a staged change away without a reload.
    pve.create_network_interface(&pve1, &NetworkInterfaceSpec::bridge("vmbr8"))
        .await
        .expect("stage another bridge");
    pve.revert_network(&pve1).await.expect("revert");
    let reverted = pve.network_config(&pve1).await.unwrap();
    assert!(reverted.interfaces.iter().all(|i| i.iface != "vmbr8"));
    assert_eq!(reverted.pending_changes, None);

    pve.delete_network_interface(&pve1, "vmbr7")
        .await
        .expect("delete");
    let upid = pve.apply_network(&pve1).await.unwrap();
    pve.wait_task(&upid, &wait()).await.unwrap();
    let after = pve.network_interfaces(&pve1, None).await.unwrap();
    assert!(after.iter().all(|i| i.iface != "vmbr7"));
    finish(sim).await;
}

#[tokio::test]
async fn sdn_objects_are_pending_until_applied() {
    let sim = start_default().await;
    let pve = token_client(&sim);

    let zone = SdnZoneSpec {
        zone: "tenant1".to_string(),
        kind: "vlan".to_string(),
        bridge: Some("vmbr0".to_string()),
        mtu: Some(1500),
        ..SdnZoneSpec::default()
    };
    pve.create_sdn_zone(&zone).await.expect("zone");
    let vnet = SdnVnetSpec {
        vnet: "t1net".to_string(),
        zone: "tenant1".to_string(),
        tag: Some(120),
        alias: Some("tenant one".to_string()),
        vlanaware: None,
    };
    pve.create_sdn_vnet(&vnet).await.expect("vnet");
    let subnet = SdnSubnetSpec {
        cidr: "10.120.0.0/24".to_string(),
        gateway: Some("10.120.0.1".to_string()),
        snat: Some(true),
        dhcp_ranges: vec![
            "start-address=10.120.0.100,end-address=10.120.0.149".to_string(),
            "start-address=10.120.0.150,end-address=10.120.0.199".to_string(),
        ],
        dnszoneprefix: None,
    };
    pve.create_sdn_subnet("t1net", &subnet)
        .await
        .expect("subnet");

    let pending = pve.sdn_zones(true).await.expect("pending zones");
    let listed = pending
        .iter()
        .find(|z| z.zone == "tenant1")
        .expect("pending zone listed");
    assert_eq!(listed.state.as_deref(), Some("new"));
    assert_eq!(
        listed.pending.get("bridge"),
        Some(&serde_json::json!("vmbr0"))
    );
    let subnets = pve.sdn_subnets("t1net", true).await.expect("subnets");
    let id = subnet_id("tenant1", "10.120.0.0/24");
    let created = subnets.iter().find(|s| s.subnet == id).expect("subnet id");
    assert_eq!(created.state.as_deref(), Some("new"));
    assert!(created.pending.contains_key("dhcp-range"), "{created:?}");

    let upid = pve.apply_sdn().await.expect("apply");
    pve.wait_task(&upid, &wait()).await.expect("apply task");
    let running = pve.sdn_zones(false).await.unwrap();
    let zone_now = running
        .iter()
        .find(|z| z.zone == "tenant1")
        .expect("zone applied");
    assert_eq!(zone_now.state, None);
    assert!(
        pve.sdn_vnets(false)
            .await
            .unwrap()
            .iter()
            .any(|v| v.vnet == "t1net" && v.tag == Some(120))
    );
    let applied = pve.sdn_subnets("t1net", false).await.unwrap();
    let applied = applied
        .iter()
        .find(|s| s.subnet == id)
        .expect("subnet applied");
    assert_eq!(applied.dhcp_range.len(), 2, "both ranges kept: {applied:?}");
    assert_eq!(applied.gateway.as_deref(), Some("10.120.0.1"));
    assert_eq!(applied.snat, Some(true));

    pve.delete_sdn_subnet("t1net", &id)
        .await
        .expect("delete subnet");
    pve.delete_sdn_vnet("t1net").await.expect("delete vnet");
    pve.delete_sdn_zone("tenant1").await.expect("delete zone");
    let upid = pve.apply_sdn().await.unwrap();
    pve.wait_task(&upid, &wait()).await.unwrap();
    assert!(
        pve.sdn_zones(false)
            .await
            .unwrap()
            .iter()
            .all(|z| z.zone != "tenant1")
    );
    finish(sim).await;
}
