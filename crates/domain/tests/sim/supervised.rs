//! The inventory as a background worker under the workers' supervisor (how the server
//! runs it, and how every mirror test here starts it): it mirrors the cluster, its
//! state reports the polls, shutdown stops them.

use std::time::Duration;

use proxicloud_domain::workers::{WorkerScope, WorkerStatus};
use proxicloud_store::Role;

use crate::common::{WAIT, all_seeded_guests_mirrored, eventually, harness, start_inventory, user};

#[tokio::test]
async fn the_supervised_inventory_mirrors_and_reports_its_polls() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = h.register_sim(&admin).await.id;
    let (inventory, _interval) = start_inventory(&h, Duration::from_millis(100));

    all_seeded_guests_mirrored(&h, cluster).await;
    let state = eventually("a recorded poll", WAIT, || async {
        let state = inventory.state();
        state.last_run.is_some().then_some(state)
    })
    .await;
    assert_eq!(state.name, "inventory");
    assert_eq!(state.scope, WorkerScope::Deployment);
    assert_eq!(state.status, WorkerStatus::Running);
    assert!(state.leader, "SQLite: the one process leads");
    assert_eq!(state.last_error, None);
    assert!(state.next_run > state.last_run);
    let stats = inventory.stats();
    assert!(stats.polls(cluster) > 0);

    inventory.shutdown().await;
    let polls = stats.polls(cluster);
    // Two poll intervals with no pollers left: nothing may have been sent.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(stats.polls(cluster), polls, "polled after shutdown");
}
