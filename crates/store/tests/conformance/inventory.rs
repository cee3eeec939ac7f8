use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use proxicloud_store::{
    GuestFilter, GuestQuery, InventorySnapshot, NodeObservation, PageRequest, StorageObservation,
    Store, StoreError, Timestamp,
};
use proxicloud_types::GuestType;
use uuid::Uuid;

use crate::fixtures::{cluster, guest, later, snapshot};

pub async fn nodes_and_storages_are_replaced_by_each_snapshot(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let other = cluster(&*store, "other").await;
    let node = |name: &str, status: &str| NodeObservation {
        name: name.into(),
        status: status.into(),
        cpu: 0.25,
        maxcpu: 16,
        mem: 8 << 30,
        maxmem: 64 << 30,
        uptime: 86_400,
    };
    let storage = |node: &str, storage: &str, shared: bool| StorageObservation {
        node: node.into(),
        storage: storage.into(),
        storage_type: if shared {
            "nfs".into()
        } else {
            "lvmthin".into()
        },
        content: "images,rootdir".into(),
        total: 1 << 40,
        used: 1 << 38,
        avail: 3 << 38,
        shared,
        status: "available".into(),
    };
    let first = InventorySnapshot {
        observed_at: Timestamp::now(),
        nodes: vec![node("pve1", "online"), node("pve2", "online")],
        storages: vec![
            storage("pve1", "local-lvm", false),
            storage("pve1", "nfs", true),
            storage("pve2", "nfs", true),
        ],
        guests: vec![],
    };
    store.inventory().sync(lab.id, &first).await.unwrap();
    store
        .inventory()
        .sync(
            other.id,
            &InventorySnapshot {
                nodes: vec![node("x1", "online")],
                ..first.clone()
            },
        )
        .await
        .unwrap();

    let nodes = store.inventory().list_nodes(Some(lab.id)).await.unwrap();
    assert_eq!(
        nodes.iter().map(|n| &n.observed).collect::<Vec<_>>(),
        [&first.nodes[0], &first.nodes[1]]
    );
    assert!(
        nodes
            .iter()
            .all(|n| n.cluster_id == lab.id && n.seen_at == first.observed_at)
    );
    let storages = store.inventory().list_storages(Some(lab.id)).await.unwrap();
    assert_eq!(
        storages.iter().map(|s| &s.observed).collect::<Vec<_>>(),
        first.storages.iter().collect::<Vec<_>>()
    );
    assert_eq!(store.inventory().list_nodes(None).await.unwrap().len(), 3);

    let second = InventorySnapshot {
        observed_at: later(first.observed_at, 10),
        nodes: vec![node("pve1", "offline")],
        storages: vec![storage("pve1", "local-lvm", false)],
        guests: vec![],
    };
    store.inventory().sync(lab.id, &second).await.unwrap();
    let nodes = store.inventory().list_nodes(Some(lab.id)).await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].observed.status, "offline");
    assert_eq!(
        store
            .inventory()
            .list_storages(Some(lab.id))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .inventory()
            .list_nodes(Some(other.id))
            .await
            .unwrap()
            .len(),
        1,
        "other clusters untouched"
    );
}

pub async fn syncing_an_unknown_cluster_is_not_found(store: Arc<dyn Store>) {
    let result = store
        .inventory()
        .sync(
            Uuid::now_v7(),
            &snapshot(vec![guest(100, GuestType::Lxc, "x", "running")]),
        )
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
}

pub async fn ten_thousand_guests_sync_in_one_go(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "big").await;
    let guests: Vec<_> = (0..10_000u32)
        .map(|i| {
            let kind = if i % 2 == 0 {
                GuestType::Lxc
            } else {
                GuestType::Qemu
            };
            let mut g = guest(
                1000 + i,
                kind,
                &format!("guest-{i:05}"),
                if i % 3 == 0 { "stopped" } else { "running" },
            );
            g.node = format!("pve{}", i % 10);
            g
        })
        .collect();
    let started = Instant::now();
    let report = store
        .inventory()
        .sync(lab.id, &snapshot(guests.clone()))
        .await
        .unwrap();
    let first_sync = started.elapsed();
    assert_eq!(report.appeared.len(), 10_000);
    assert_eq!(
        report.appeared.iter().collect::<HashSet<_>>().len(),
        10_000,
        "distinct ids"
    );

    let mut next = guests;
    for g in next.iter_mut().take(100) {
        g.status = "paused".into();
    }
    for g in next.iter_mut() {
        g.uptime += 10;
    }
    next.truncate(9_950);
    let started = Instant::now();
    let report = store
        .inventory()
        .sync(lab.id, &snapshot(next))
        .await
        .unwrap();
    let resync = started.elapsed();
    assert_eq!(
        (
            report.appeared.len(),
            report.changed.len(),
            report.disappeared.len()
        ),
        (0, 100, 50)
    );
    eprintln!("10,000-guest sync: first {first_sync:?}, resync {resync:?}");

    let filter = GuestFilter {
        node: Some("pve3".into()),
        ..Default::default()
    };
    let page = store
        .guests()
        .list(
            &GuestQuery {
                filter,
                ..Default::default()
            },
            PageRequest::first(1000),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 995);
}
