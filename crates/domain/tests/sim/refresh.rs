//! A refresh (what the job engine asks for after changing a guest) syncs a cluster at
//! once, through the worker's own cycle: the change is visible without waiting for the
//! next poll, with its event, for exactly one `/cluster/resources` call.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_domain::clusters::MirrorRefresh;
use proxicloud_store::Role;

use crate::common::{all_seeded_guests_mirrored, guest, harness, start_inventory, user};

/// `/cluster/resources` calls the simulator has answered so far.
fn resource_calls(h: &crate::common::Harness) -> usize {
    h.sim
        .recorded_entries()
        .iter()
        .filter(|e| e.request.path.starts_with("/cluster/resources"))
        .count()
}

/// Adds a guest straight into the simulated cluster, as if a job had just created it.
fn create_behind_the_mirror(h: &crate::common::Harness, vmid: u32, name: &str) {
    let mut model = h.sim.sim.cluster.lock();
    let mut fresh = model.guests[&100].clone();
    fresh.vmid = vmid;
    let name_key = if fresh.config.contains_key("hostname") {
        "hostname"
    } else {
        "name"
    };
    fresh.config.insert(name_key.into(), name.into());
    model.guests.insert(vmid, fresh);
}

#[tokio::test]
async fn a_refresh_shows_a_new_guest_at_once_with_one_call() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = h.register_sim(&admin).await.id;
    // One poll at boot, then none for an hour: anything newer comes from the refresh.
    let (inventory, _interval) = start_inventory(&h, Duration::from_secs(3600));
    all_seeded_guests_mirrored(&h, cluster).await;
    let (_, mut events) = h.events.subscribe(None);
    let calls_before = resource_calls(&h);

    create_behind_the_mirror(&h, 960, "just-made");
    assert!(guest(&h, cluster, 960).await.is_none(), "not polled yet");
    inventory
        .refresher()
        .refresh(cluster)
        .await
        .expect("refreshed");

    let fresh = guest(&h, cluster, 960)
        .await
        .expect("visible right after the refresh");
    assert_eq!(fresh.observed.name, "just-made");
    assert_eq!(resource_calls(&h), calls_before + 1, "exactly one call");
    let appeared: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| e.kind == "instance.appeared")
        .collect();
    assert_eq!(appeared.len(), 1, "the worker's event, once");
    assert_eq!(appeared[0].data["id"], serde_json::json!(fresh.id));

    inventory.shutdown().await;
    h.sim.shutdown().await;
}

#[tokio::test]
async fn concurrent_refreshes_of_one_cluster_share_their_polls() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = h.register_sim(&admin).await.id;
    let (inventory, _interval) = start_inventory(&h, Duration::from_secs(3600));
    all_seeded_guests_mirrored(&h, cluster).await;
    let calls_before = resource_calls(&h);

    create_behind_the_mirror(&h, 961, "burst");
    let refresher = inventory.refresher();
    let burst: Vec<_> = (0..8)
        .map(|_| {
            let refresher = Arc::clone(&refresher);
            tokio::spawn(async move { refresher.refresh(cluster).await })
        })
        .collect();
    for refresh in burst {
        refresh.await.expect("no panic").expect("refreshed");
    }

    assert!(guest(&h, cluster, 961).await.is_some());
    let calls = resource_calls(&h) - calls_before;
    // The first poll, plus at most one shared by everyone who arrived during it.
    assert!((1..=2).contains(&calls), "8 refreshes made {calls} calls");

    inventory.shutdown().await;
    h.sim.shutdown().await;
}
