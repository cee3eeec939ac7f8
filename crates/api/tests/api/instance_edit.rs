//! `PATCH /api/v1/instances/{id}` against the simulator: a rename and new tags reach
//! Proxmox (`hostname`, `tags`) and the mirror at once; bad names and tags, a taken
//! name and someone else's instance are refused with nothing changed.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{create, instance, spawn_with_engine};
use crate::support::{call, error_code};

#[tokio::test]
async fn renames_and_retags_reach_proxmox_and_the_list_at_once() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "before").await;
    let (_, other) = create(&world, &alice, "taken").await;
    let vmid = instance(app, &alice, &id).await.1["vmid"].as_u64().unwrap() as u32;
    let path = format!("/api/v1/instances/{id}");
    let config = |key: &str| world.sim.cluster().guests[&vmid].config.get(key).cloned();

    let patch = |session, body: Value| call(app, session, Method::PATCH, &path, Some(body));
    let (status, renamed) = patch(
        &alice,
        json!({"name": "after", "tags": ["web", "Prod", "web"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        (renamed["name"].clone(), renamed["tags"].clone()),
        (json!("after"), json!(["web", "Prod"]))
    );
    assert_eq!(config("hostname").as_deref(), Some("after"));
    assert_eq!(config("tags").as_deref(), Some("web;Prod"));
    let (_, listed) = call(app, &alice, Method::GET, "/api/v1/instances?tag=prod", None).await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()], "the list shows it at once");

    for (body, field) in [
        (json!({"name": "taken"}), "name"),
        (json!({"name": "no_underscores"}), "name"),
        (json!({"tags": ["a;b"]}), "tags"),
        (json!({"tags": ["proxicloud-volume"]}), "tags"),
        (json!({}), "name"),
    ] {
        let (status, error) = patch(&alice, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert!(
            error["error"]["fields"][field].is_string(),
            "{body}: {error}"
        );
    }
    let (status, error) = patch(&bob, json!({"name": "stolen"})).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    assert_eq!(
        config("hostname").as_deref(),
        Some("after"),
        "nothing changed"
    );

    let (status, cleared) = patch(&alice, json!({"tags": []})).await;
    assert_eq!(
        (status, cleared["tags"].clone()),
        (StatusCode::OK, json!([]))
    );
    assert_eq!(config("tags"), None);
    assert_eq!(
        instance(app, &alice, &other).await.1["name"],
        json!("taken")
    );
    world.shutdown().await;
}
