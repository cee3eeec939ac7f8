//! `GET /api/v1/monitoring/health` against the simulator: an admin's map holds every
//! cluster, node and guest with the nodes' load; an operator's only their own guests,
//! grouped under the nodes that run them, without the nodes' figures.

use proxicloud_store::{Role, Uuid};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::sim_support::spawn_app_with_sim;
use crate::support::call;

fn guests(map: &Value) -> Vec<&Value> {
    map["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["nodes"].as_array().unwrap())
        .flat_map(|n| n["guests"].as_array().unwrap())
        .collect()
}

#[tokio::test]
async fn the_health_map_shows_what_each_caller_may_see() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let instances = sim.wait_for_inventory(&admin).await;
    let app = &sim.app;

    let (status, map) = call(app, &admin, Method::GET, "/api/v1/monitoring/health", None).await;
    assert_eq!(status, StatusCode::OK, "{map}");
    let listed: Vec<&Value> = instances
        .iter()
        .filter(|i| i["template"] == Value::Bool(false))
        .collect();
    assert_eq!(
        guests(&map).len(),
        listed.len(),
        "every instance but templates: {map}"
    );
    let cluster = &map["clusters"][0];
    assert_eq!(cluster["name"], "sim");
    let nodes = cluster["nodes"].as_array().unwrap();
    assert!(nodes.len() >= 3, "every node of the cluster: {cluster}");
    for node in nodes {
        assert!(node["load"]["cpus"].as_u64().unwrap() > 0, "{node}");
        assert!(
            ["ok", "warning", "critical", "stopped"].contains(&node["health"].as_str().unwrap())
        );
    }
    for guest in guests(&map) {
        let health = guest["health"].as_str().unwrap();
        match guest["status"].as_str().unwrap() {
            "running" => assert_ne!(health, "stopped", "{guest}"),
            "stopped" => assert_eq!(health, "stopped", "{guest}"),
            _ => {}
        }
        // A tile names its instance for the click-through.
        let id = guest["id"].as_str().unwrap();
        assert!(listed.iter().any(|i| i["id"] == id), "{guest}");
    }

    // An operator owns one running instance: the map shows it alone, on its node.
    let alice = app.insert_user(Role::Operator).await;
    let session = app.login_user(&alice).await;
    let (status, empty) = call(
        app,
        &session,
        Method::GET,
        "/api/v1/monitoring/health",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        empty["clusters"].as_array().unwrap().is_empty(),
        "nothing of theirs: {empty}"
    );
    let mine = listed
        .iter()
        .find(|i| i["status"] == "running")
        .expect("a running guest");
    let id: Uuid = mine["id"].as_str().unwrap().parse().unwrap();
    app.store
        .guests()
        .set_owner(id, Some(alice.id))
        .await
        .unwrap();
    let (_, map) = call(
        app,
        &session,
        Method::GET,
        "/api/v1/monitoring/health",
        None,
    )
    .await;
    let seen = guests(&map);
    assert_eq!(seen.len(), 1, "{map}");
    assert_eq!(seen[0]["id"], mine["id"]);
    let nodes = map["clusters"][0]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "only the node that runs it: {map}");
    assert_eq!(nodes[0]["name"], mine["node"]);
    assert!(
        nodes[0].get("load").is_none(),
        "no node figures for operators: {map}"
    );
    sim.shutdown().await;
}

/// `GET /api/v1/monitoring/hosts`: the simulator's nodes with their figures, storages
/// and guest counts that add up to the instance list (admins; others get 403).
#[tokio::test]
async fn the_hosts_view_lists_every_node_with_its_figures_for_admins() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let instances = sim.wait_for_inventory(&admin).await;
    let app = &sim.app;

    let (status, hosts) = call(app, &admin, Method::GET, "/api/v1/monitoring/hosts", None).await;
    assert_eq!(status, StatusCode::OK, "{hosts}");
    let clusters = hosts["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{hosts}");
    assert_eq!(clusters[0]["name"], "sim");
    let nodes = clusters[0]["nodes"].as_array().unwrap();
    assert!(nodes.len() >= 3, "{hosts}");
    let (mut guests, mut running) = (0, 0);
    for node in nodes {
        assert_eq!(node["status"], "online", "{node}");
        assert!(node["cpus"].as_u64().unwrap() > 0, "{node}");
        assert!(
            node["memory_used_bytes"].as_u64().unwrap() <= node["memory_bytes"].as_u64().unwrap(),
            "{node}"
        );
        let storages = node["storages"].as_array().unwrap();
        assert!(!storages.is_empty(), "{node}");
        for storage in storages {
            assert!(
                storage["used_bytes"].as_u64().unwrap() <= storage["total_bytes"].as_u64().unwrap(),
                "{storage}"
            );
        }
        guests += node["guests"].as_u64().unwrap();
        running += node["guests_running"].as_u64().unwrap();
    }
    let not_templates = instances.iter().filter(|i| i["template"] == false);
    assert_eq!(guests, not_templates.clone().count() as u64);
    assert_eq!(
        running,
        not_templates.filter(|i| i["status"] == "running").count() as u64
    );

    let operator = app.insert_user(Role::Operator).await;
    let session = app.login_user(&operator).await;
    let (status, body) = call(app, &session, Method::GET, "/api/v1/monitoring/hosts", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["code"].is_string(), "{body}");
    sim.shutdown().await;
}
