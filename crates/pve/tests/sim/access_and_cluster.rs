use proxicloud_pve::{Consolidation, MetricsExportOptions, Pve, ResourceKind, Timeframe, VmId};

use crate::common::{finish, node, start_default, token_client};

#[tokio::test]
async fn cluster_and_node_reads_decode() {
    let sim = start_default().await;
    let pve = token_client(&sim);

    let version = pve.version().await.expect("version");
    assert!(version.version.starts_with('9'), "{version:?}");

    let status = pve.cluster_status().await.expect("cluster status");
    assert_eq!(status.iter().filter(|e| e.kind == "node").count(), 3);
    assert!(
        status
            .iter()
            .any(|e| e.kind == "cluster" && e.quorate == Some(true))
    );

    let all = pve.cluster_resources(None).await.expect("resources");
    let guests = pve
        .cluster_resources(Some(ResourceKind::Vm))
        .await
        .expect("vm resources");
    assert_eq!(guests.len(), 12);
    assert!(
        guests
            .iter()
            .all(|r| r.vmid.is_some() && (r.kind == "qemu" || r.kind == "lxc"))
    );
    for kind in [ResourceKind::Node, ResourceKind::Storage, ResourceKind::Sdn] {
        let filtered = pve.cluster_resources(Some(kind)).await.expect("filtered");
        assert!(
            filtered.len() < all.len(),
            "{kind:?} filter must narrow the list"
        );
    }
    let nodes = pve
        .cluster_resources(Some(ResourceKind::Node))
        .await
        .unwrap();
    assert_eq!(nodes.len(), 3);

    let free = pve.next_id(None).await.expect("nextid");
    assert!(guests.iter().all(|g| g.vmid != Some(free)));
    assert_eq!(pve.next_id(Some(free)).await.expect("hint is free"), free);
    let taken = guests[0].vmid.expect("guest has a vmid");
    assert!(
        pve.next_id(Some(taken)).await.is_err(),
        "a used id is not free"
    );

    pve.cluster_tasks().await.expect("cluster tasks");

    let nodes = pve.nodes().await.expect("nodes");
    assert_eq!(nodes.len(), 3);
    let pve1 = node("pve1");
    assert!(nodes.iter().any(|n| n.node == pve1 && n.status == "online"));
    let status = pve.node_status(&pve1).await.expect("node status");
    assert!(status.memory.total.unwrap_or(0) > 0);
    assert!(status.cpuinfo.cpus.unwrap_or(0) > 0);

    let rrd = pve
        .node_rrddata(&pve1, Timeframe::Hour, Consolidation::Average)
        .await
        .expect("node rrd");
    assert!(!rrd.is_empty());
    assert!(rrd.iter().all(|p| p.time.is_some()));

    let metrics = pve
        .metrics_export(&MetricsExportOptions::default())
        .await
        .expect("metrics");
    assert!(metrics.iter().any(|m| m.id.starts_with("node/")));
    let history = pve
        .metrics_export(&MetricsExportOptions {
            history: true,
            node_list: vec![pve1.clone()],
            start_time: Some(0),
            ..MetricsExportOptions::default()
        })
        .await
        .expect("metrics with history");
    assert!(!history.is_empty());
    assert!(VmId::new(free.get()).is_ok());
    finish(sim).await;
}

#[tokio::test]
async fn access_reads_list_users_tokens_and_acls() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let users = pve.users().await.expect("users");
    assert!(users.iter().any(|u| u.userid == "root@pam"));
    let tokens = pve.user_tokens("root@pam").await.expect("tokens");
    assert!(tokens.iter().any(|t| t.tokenid == "ci"), "{tokens:?}");
    pve.acl().await.expect("acl");
    finish(sim).await;
}
