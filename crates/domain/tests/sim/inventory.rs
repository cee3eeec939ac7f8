//! The mirror follows the simulator: one `/cluster/resources` call per cycle, guests
//! appearing and disappearing, owners kept, offline and back online.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_domain::events::{Audience, Event};
use proxicloud_domain::inventory::{Freshness, InstanceDirectory, InstanceListQuery};
use proxicloud_store::{ClusterStatus, Role, Uuid};
use tokio::sync::broadcast;

use crate::common::{
    GUESTS, WAIT, all_seeded_guests_mirrored, assert_schema_valid, control, eventually, guest,
    harness, live_guest_count, start_inventory, user,
};

/// Events received so far, without waiting.
fn drain(events: &mut broadcast::Receiver<Arc<Event>>) -> Vec<Arc<Event>> {
    std::iter::from_fn(|| events.try_recv().ok()).collect()
}

/// Events are published just after the sync commits, so a reader that saw the store
/// change may be a moment early: keep collecting until `done` holds (or `WAIT` ends).
async fn collect_until(
    events: &mut broadcast::Receiver<Arc<Event>>,
    done: impl Fn(&[Arc<Event>]) -> bool,
) -> Vec<Arc<Event>> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = drain(events);
    while !done(&seen) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        seen.extend(drain(events));
    }
    seen
}

#[tokio::test]
async fn the_mirror_follows_the_cluster_with_one_call_per_cycle() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let alice = user(&*h.store, "alice", Role::Operator).await;
    // Registered before the inventory starts: picked up at boot.
    let cluster = h.register_sim(&admin).await.id;
    let (_, mut events) = h.events.subscribe(None);
    let (inventory, interval) = start_inventory(&h, Duration::from_millis(100));

    all_seeded_guests_mirrored(&h, cluster).await;
    let nodes = h
        .store
        .inventory()
        .list_nodes(Some(cluster))
        .await
        .expect("reads");
    assert_eq!(nodes.len(), 3);
    let storages = h
        .store
        .inventory()
        .list_storages(Some(cluster))
        .await
        .expect("reads");
    assert_eq!(storages.len(), 6, "local and local-lvm on each node");
    let appeared = collect_until(&mut events, |seen| {
        seen.iter()
            .filter(|e| e.kind == "instance.appeared")
            .count()
            >= GUESTS
    })
    .await;
    let appeared: Vec<_> = appeared
        .iter()
        .filter(|e| e.kind == "instance.appeared")
        .collect();
    assert_eq!(appeared.len(), GUESTS);
    assert!(
        appeared.iter().all(|e| e.audience == Audience::Owner(None)),
        "unowned: admins only"
    );

    let owned = guest(&h, cluster, 100).await.expect("vmid 100 mirrored");
    h.store
        .guests()
        .set_owner(owned.id, Some(alice.user_id))
        .await
        .expect("owner set");

    // Changed behind ProxiCloud's back, directly in the simulated cluster.
    {
        let mut model = h.sim.sim.cluster.lock();
        let mut fresh = model.guests[&100].clone();
        fresh.vmid = 950;
        let name_key = if fresh.config.contains_key("hostname") {
            "hostname"
        } else {
            "name"
        };
        fresh.config.insert(name_key.into(), "fresh-one".into());
        model.guests.insert(950, fresh);
        model.guests.remove(&101);
    }
    let fresh = eventually("the new guest", WAIT, || async {
        guest(&h, cluster, 950).await
    })
    .await;
    assert_eq!(fresh.observed.name, "fresh-one");
    assert_eq!(fresh.owner_id, None);
    eventually("the deleted guest to disappear", WAIT, || async {
        guest(&h, cluster, 101).await.is_none().then_some(())
    })
    .await;
    let gone_event = |e: &Arc<Event>| e.kind == "instance.disappeared";
    let later = collect_until(&mut events, |seen| {
        seen.iter()
            .any(|e| e.data["id"] == serde_json::json!(fresh.id))
            && seen.iter().any(gone_event)
    })
    .await;
    let kinds_for = |id: Uuid| -> Vec<&str> {
        later
            .iter()
            .filter(|e| e.data["id"] == serde_json::json!(id))
            .map(|e| e.kind.as_str())
            .collect()
    };
    assert_eq!(kinds_for(fresh.id), ["instance.appeared"]);
    let gone = h
        .store
        .guests()
        .list(
            &proxicloud_store::GuestQuery {
                filter: proxicloud_store::GuestFilter {
                    cluster_id: Some(cluster),
                    include_removed: true,
                    ..Default::default()
                },
                ..Default::default()
            },
            proxicloud_store::PageRequest::first(100),
        )
        .await
        .expect("reads")
        .items
        .into_iter()
        .find(|g| g.observed.vmid.get() == 101)
        .expect("removed rows are kept as history");
    assert!(gone.removed_at.is_some());
    assert_eq!(kinds_for(gone.id), ["instance.disappeared"]);

    let still_owned = h.store.guests().get(owned.id).await.expect("reads");
    assert_eq!(
        still_owned.owner_id,
        Some(alice.user_id),
        "syncs never touch owners"
    );
    assert!(still_owned.removed_at.is_none());

    let stats = inventory.stats();
    let settled = stats.polls(cluster) + 3;
    eventually("three more quiet cycles", WAIT, || async {
        (stats.polls(cluster) >= settled).then_some(())
    })
    .await;
    // Park the worker (a new interval applies after one more poll) so that no call is
    // in flight while the two counts are compared.
    interval
        .send(Duration::from_secs(3600))
        .expect("worker listens");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let polls = stats.polls(cluster);
    let requests = h.sim.recorded_entries();
    inventory.shutdown().await;
    let resource_calls = requests
        .iter()
        .filter(|e| e.request.path.starts_with("/cluster/resources"))
        .count() as u64;
    assert_eq!(
        resource_calls, polls,
        "exactly one /cluster/resources call per cycle"
    );
    assert_eq!(
        requests.len() as u64,
        polls,
        "and no other call, whatever the guest count"
    );
    assert_schema_valid(&h.sim);
    h.sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_cluster_is_offline_since_the_outage_then_back_online() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let (_, mut events) = h.events.subscribe(None);
    let (inventory, _interval) = start_inventory(&h, Duration::from_millis(100));
    // Registered while the inventory runs: its worker starts at once.
    let cluster = h.register_sim(&admin).await.id;
    let directory = InstanceDirectory::new(h.store.clone(), h.events.clone());
    let all = || InstanceListQuery::default();

    eventually("the cluster online", WAIT, || async {
        let c = h.store.clusters().get(cluster).await.expect("reads");
        (c.health.status == ClusterStatus::Online && live_guest_count(&h, cluster).await == GUESTS)
            .then_some(())
    })
    .await;

    control(&h.sim, reqwest::Method::POST, "api/down").await;
    let offline = eventually("the cluster offline", WAIT, || async {
        let c = h.store.clusters().get(cluster).await.expect("reads");
        (c.health.status == ClusterStatus::Offline).then_some(c.health)
    })
    .await;
    let since = offline
        .offline_since
        .expect("offline since the first failed poll");
    assert!(offline.last_error.is_some());
    assert!(offline.last_seen_at.is_some_and(|seen| seen <= since));

    // Reads keep working from the mirror, marked stale (after the 1 s health cache).
    let listed = eventually("reads marked stale", WAIT, || async {
        let list = directory.list(&admin, all()).await.expect("lists");
        (list.freshness != Freshness::Fresh).then_some(list)
    })
    .await;
    assert_eq!(listed.items.len(), GUESTS, "the mirror still answers");
    assert_eq!(listed.freshness, Freshness::Stale { since });
    // Failed polls keep the original outage time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still = h.store.clusters().get(cluster).await.expect("reads").health;
    assert_eq!(still.offline_since, Some(since));

    control(&h.sim, reqwest::Method::POST, "api/up").await;
    let online = eventually("the cluster back online", WAIT, || async {
        let c = h.store.clusters().get(cluster).await.expect("reads");
        (c.health.status == ClusterStatus::Online).then_some(c.health)
    })
    .await;
    assert_eq!((online.offline_since, online.last_error), (None, None));
    eventually("reads fresh again", WAIT, || async {
        let list = directory.list(&admin, all()).await.expect("lists");
        (list.freshness == Freshness::Fresh).then_some(())
    })
    .await;

    let statuses: Vec<String> = drain(&mut events)
        .iter()
        .filter(|e| e.kind == "cluster.status")
        .map(|e| e.data["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        statuses,
        ["online", "offline", "online"],
        "one event per transition"
    );
    inventory.shutdown().await;
    h.sim.shutdown().await;
}

#[tokio::test]
async fn deleting_a_cluster_stops_its_worker() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let (inventory, _interval) = start_inventory(&h, Duration::from_millis(50));
    let cluster = h.register_sim(&admin).await.id;
    let stats = inventory.stats();
    eventually("a few polls", WAIT, || async {
        (stats.polls(cluster) >= 2).then_some(())
    })
    .await;
    let name = h.clusters.load(cluster).await.unwrap().config.name;
    h.clusters
        .delete(&admin, cluster, Some(&name))
        .await
        .expect("deleted");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after_delete = stats.polls(cluster);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        stats.polls(cluster),
        after_delete,
        "no polls after the delete"
    );
    assert!(
        h.store
            .inventory()
            .list_nodes(Some(cluster))
            .await
            .expect("reads")
            .is_empty()
    );
    let stopped = tokio::time::timeout(Duration::from_secs(5), inventory.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown is prompt");
    h.sim.shutdown().await;
}
