//! Addresses are learned in the background for every running guest, without anyone
//! opening it or listing it (issue 19, bug 1: most rows showed "—" for good).

use serde_json::{Value, json};

use crate::sim_support::{eventually, spawn_app_with_sim};

#[tokio::test]
async fn running_containers_get_their_addresses_without_being_opened() {
    let sim = spawn_app_with_sim().await;
    let app = &sim.app;
    let admin = app.admin().await;
    sim.register(&admin).await;
    sim.wait_for_inventory(&admin).await;
    // Only the background worker asks: nobody opens an instance here.
    let containers = eventually("every running container's addresses", || async {
        let listed = app
            .get_json(
                "/api/v1/instances?type=lxc&status=running&limit=500",
                &admin.access,
            )
            .await;
        let items: Vec<Value> = listed["items"].as_array()?.clone();
        let all_known = !items.is_empty()
            && items
                .iter()
                .all(|i| i["addresses"].as_array().is_some_and(|a| !a.is_empty()));
        all_known.then_some(items)
    })
    .await;
    assert!(containers.iter().all(|i| i["status"] == json!("running")));
    assert!(
        containers
            .iter()
            .all(|i| i["addresses_known"] == json!(true))
    );
    // VMs without the guest agent can never tell: they become known to report none,
    // rather than being "learned" for ever.
    let vms = eventually("every running VM's addresses known", || async {
        let listed = app
            .get_json(
                "/api/v1/instances?type=vm&status=running&limit=500",
                &admin.access,
            )
            .await;
        let items: Vec<Value> = listed["items"].as_array()?.clone();
        let all_known =
            !items.is_empty() && items.iter().all(|i| i["addresses_known"] == json!(true));
        all_known.then_some(items)
    })
    .await;
    assert!(
        vms.iter().any(|i| i["addresses"] == json!([])),
        "some seeded VMs have no agent: {vms:?}"
    );
    let workers = app.get_json("/api/v1/system/workers", &admin.access).await;
    assert!(
        workers
            .as_array()
            .or(workers["items"].as_array())
            .unwrap()
            .iter()
            .any(|w| w["name"] == json!("instances.addresses")),
        "{workers}"
    );
    sim.shutdown().await;
}
