//! The inventory as a background worker under the workers' supervisor (how the server
//! runs it): it mirrors the cluster, its state reports the polls, shutdown stops them.

use std::time::Duration;

use proxicloud_domain::inventory::{Inventory, InventoryConfig};
use proxicloud_domain::workers::{Supervisor, SupervisorConfig, WorkerScope, WorkerStatus};
use proxicloud_store::Role;
use tokio::sync::watch;

use crate::common::{WAIT, all_seeded_guests_mirrored, eventually, harness, user};

#[tokio::test]
async fn the_supervised_inventory_mirrors_and_reports_its_polls() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = h.register_sim(&admin).await.id;
    let (_interval, every) = watch::channel(Duration::from_millis(100));
    let inventory = Inventory::new(
        h.store.clone(),
        h.clusters.clone(),
        h.events.clone(),
        every,
        InventoryConfig::default(),
    );
    let workers = Supervisor::start(
        h.store.clone(),
        vec![inventory.worker.clone()],
        SupervisorConfig::default(),
    );

    all_seeded_guests_mirrored(&h, cluster).await;
    let state = eventually("a recorded poll", WAIT, || async {
        let state = workers.states().remove(0);
        state.last_run.is_some().then_some(state)
    })
    .await;
    assert_eq!(state.name, "inventory");
    assert_eq!(state.scope, WorkerScope::Deployment);
    assert_eq!(state.status, WorkerStatus::Running);
    assert!(state.leader, "SQLite: the one process leads");
    assert_eq!(state.last_error, None);
    assert!(state.next_run > state.last_run);
    assert!(inventory.stats.polls(cluster) > 0);

    workers.shutdown().await;
    let polls = inventory.stats.polls(cluster);
    // Two poll intervals with no pollers left: nothing may have been sent.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        inventory.stats.polls(cluster),
        polls,
        "polled after shutdown"
    );
}
