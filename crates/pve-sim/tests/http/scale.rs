use proxicloud_pve_sim::SimConfig;

use crate::common::{Harness, config};

/// The benchmark's size must start (no timing assertion here: CI machines vary).
#[tokio::test]
async fn fifty_nodes_and_ten_thousand_guests_start_and_list() {
    let harness = Harness::start(SimConfig {
        nodes: 50,
        guests: 10_000,
        ..config()
    })
    .await;
    let vms = harness.get_data("/cluster/resources?type=vm").await;
    assert_eq!(vms.as_array().unwrap().len(), 10_000);
    let nodes = harness.get_data("/nodes").await;
    assert_eq!(nodes.as_array().unwrap().len(), 50);
    let all = harness.get_data("/cluster/resources").await;
    // 10,000 guests + 50 nodes + 100 storages + 50 local network zones.
    assert_eq!(all.as_array().unwrap().len(), 10_200);
}
