//! `POST /api/v1/instances/{id}/resize` against the simulator: a container takes new
//! cores and memory live and its root disk grows; a running VM's cores and memory
//! wait for its next start and its configuration shows them pending; a shrink, bad
//! bounds and someone else's instance are refused with nothing queued.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{JobWorld, create, finished_job, instance, spawn_with_engine};
use crate::support::{Session, call, error_code};

async fn resize(world: &JobWorld, session: &Session, id: &str, body: Value) -> Value {
    let path = format!("/api/v1/instances/{id}/resize");
    let (status, job) = call(world.app(), session, Method::POST, &path, Some(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished_job(world.app(), session, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    job
}

#[tokio::test]
async fn a_container_takes_new_sizes_live_and_its_disk_grows() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "roomy").await;
    let vmid = instance(app, &alice, &id).await.1["vmid"].as_u64().unwrap() as u32;
    let config = |key: &str| world.sim.cluster().guests[&vmid].config.get(key).cloned();
    let path = format!("/api/v1/instances/{id}/resize");

    for (body, field) in [
        (json!({"disk": 2}), "disk"),
        (json!({"disk": 4}), "disk"),
        (json!({"cores": 0}), "cores"),
        (json!({"cores": 100000}), "cores"),
        (json!({"memory": 8}), "memory"),
        (json!({}), "cores"),
    ] {
        let (status, error) = call(app, &alice, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert!(
            error["error"]["fields"][field].is_string(),
            "{body}: {error}"
        );
    }
    let (status, error) = call(app, &bob, Method::POST, &path, Some(json!({"cores": 2}))).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    assert_eq!(config("cores").as_deref(), Some("1"), "nothing changed");

    let job = resize(
        &world,
        &alice,
        &id,
        json!({"cores": 2, "memory": 1024, "disk": 6}),
    )
    .await;
    assert_eq!(job["kind"], json!("instance.resize"));
    assert!(
        job["steps"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("applied"),
        "{job:#}"
    );
    assert_eq!(
        (config("cores").as_deref(), config("memory").as_deref()),
        (Some("2"), Some("1024"))
    );
    assert!(
        config("rootfs").unwrap().contains("size=6G"),
        "{:?}",
        config("rootfs")
    );
    let (_, shown) = instance(app, &alice, &id).await;
    assert_eq!(
        (
            shown["cpus"].clone(),
            shown["memory_bytes"].clone(),
            shown["disk_bytes"].clone()
        ),
        (json!(2.0), json!(1024u64 << 20), json!(6u64 << 30)),
        "the mirror shows it at once"
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn a_running_vm_shows_new_cores_and_memory_pending_until_it_restarts() {
    let world = spawn_with_engine().await;
    let app = world.app();
    let admin = &world.admin;
    let listed = app
        .get_json(
            "/api/v1/instances?type=vm&status=running&limit=500",
            &admin.access,
        )
        .await;
    let vm = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["template"] == json!(false))
        .expect("a running seeded VM")
        .clone();
    let id = vm["id"].as_str().unwrap().to_owned();
    let vmid = vm["vmid"].as_u64().unwrap() as u32;
    world
        .sim
        .cluster()
        .guests
        .get_mut(&vmid)
        .unwrap()
        .config
        .remove("hotplug");
    let cores = vm["cpus"].as_f64().unwrap() as u32 + 1;

    let job = resize(&world, admin, &id, json!({"cores": cores, "memory": 2048})).await;
    let detail = job["steps"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("pending until the next start"), "{detail}");
    let (status, config) = call(
        app,
        admin,
        Method::GET,
        &format!("/api/v1/instances/{id}/config"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{config}");
    let entry = |key: &str| {
        config["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == key)
            .cloned()
            .unwrap()
    };
    assert_eq!(entry("cores")["pending"], json!(cores.to_string()));
    assert_eq!(entry("memory")["pending"], json!("2048"));
    assert_ne!(
        entry("cores")["value"],
        json!(cores.to_string()),
        "the running value is shown apart"
    );

    for power in ["stop", "start"] {
        let path = format!("/api/v1/instances/{id}/{power}");
        let (_, job) = call(app, admin, Method::POST, &path, Some(json!({}))).await;
        let job = finished_job(app, admin, job["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    }
    let (_, config) = call(
        app,
        admin,
        Method::GET,
        &format!("/api/v1/instances/{id}/config"),
        None,
    )
    .await;
    let cores_entry = config["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "cores")
        .cloned()
        .unwrap();
    assert_eq!(
        (cores_entry["value"].clone(), cores_entry.get("pending")),
        (json!(cores.to_string()), None)
    );
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
