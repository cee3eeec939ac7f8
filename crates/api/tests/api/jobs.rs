//! Jobs over HTTP: a failed Proxmox task's text is the job's error, an
//! `Idempotency-Key` replays the first job, and job lists are per user.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{accepted, container, finished_job, spawn_with_engine};
use crate::sim_support::eventually;
use crate::support::status_and_json;

#[tokio::test]
async fn a_failing_proxmox_task_fails_the_job_with_pves_error_text() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    world
        .sim
        .sim_control(Method::POST, "tasks/fail-next?count=1")
        .await;
    let job = accepted(
        world.app(),
        &alice,
        "/api/v1/instances",
        container("unlucky"),
        None,
    )
    .await;
    let job = finished_job(world.app(), &alice, job["id"].as_str().unwrap()).await;

    assert_eq!(job["status"], json!("failed"));
    let error = job["error"].as_str().unwrap();
    assert!(
        error.starts_with("simulated failure (injected by /sim/faults)\n"),
        "{error}"
    );
    assert!(
        error.ends_with("TASK ERROR: simulated failure (injected by /sim/faults)"),
        "{error}"
    );
    let failed: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == json!("failed"))
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["await_create"]);
    let listed = world
        .app()
        .get_json("/api/v1/instances?q=unlucky", &alice.access)
        .await;
    assert_eq!(listed["items"], json!([]), "the reservation was released");
    world.shutdown().await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_same_job() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let app = world.app();
    let first = accepted(
        app,
        &alice,
        "/api/v1/instances",
        container("once"),
        Some("create-once"),
    )
    .await;
    let again = accepted(
        app,
        &alice,
        "/api/v1/instances",
        container("once"),
        Some("create-once"),
    )
    .await;
    assert_eq!(first["id"], again["id"]);
    // Another name: names are unique per cluster.
    let bobs = accepted(
        app,
        &bob,
        "/api/v1/instances",
        container("twice"),
        Some("create-once"),
    )
    .await;
    assert_ne!(first["id"], bobs["id"], "keys belong to their user");
    finished_job(app, &alice, first["id"].as_str().unwrap()).await;
    finished_job(app, &bob, bobs["id"].as_str().unwrap()).await;
    // Once the mirror has polled the new guest under its name: exactly one for alice.
    let mine = eventually("alice's instance in the mirror", || async {
        let listed: Value = app
            .get("/api/v1/instances?q=once", &alice.access)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let items = listed["items"].as_array()?.clone();
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(mine.len(), 1, "one instance for alice: {mine:#?}");

    let (_, jobs) =
        status_and_json(app.get("/api/v1/jobs", &alice.access).send().await.unwrap()).await;
    let ids: Vec<&Value> = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| &j["id"])
        .collect();
    assert_eq!(ids, [&first["id"]], "alice lists her own jobs only");
    let (_, all) = status_and_json(
        app.get("/api/v1/jobs?status=succeeded", &world.admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        2,
        "admins list everyone's"
    );
    let (status, _) = status_and_json(
        app.get(
            &format!("/api/v1/jobs/{}", first["id"].as_str().unwrap()),
            &bob.access,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    world.shutdown().await;
}
