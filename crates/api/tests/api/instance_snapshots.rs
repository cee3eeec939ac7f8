//! Instance snapshots over HTTP against the simulator: taken, listed, rolled back and
//! deleted as jobs waiting on Proxmox's tasks; bad requests and other users' instances
//! refused before anything is queued.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{JobWorld, accepted, create, finished_job, instance, mirrored_status};
use crate::support::{Session, call, error_code, status_and_json};

async fn snapshots(world: &JobWorld, session: &Session, id: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/instances/{id}/snapshots");
    status_and_json(
        world
            .app()
            .get(&path, &session.access)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Sends `method path body` and waits for the job it queued to succeed.
async fn run_job(
    world: &JobWorld,
    session: &Session,
    method: Method,
    path: &str,
    body: Value,
) -> Value {
    let job = if method == Method::POST {
        accepted(world.app(), session, path, body, None).await
    } else {
        let response = world
            .app()
            .request(method, path)
            .bearer_auth(&session.access)
            .send()
            .await
            .unwrap();
        let (status, job) = status_and_json(response).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{path}: {job}");
        job
    };
    let job = finished_job(world.app(), session, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{path}: {job:#}");
    job
}

#[tokio::test]
async fn snapshots_are_taken_rolled_back_and_deleted_as_jobs() {
    let world = crate::job_support::spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "snappy").await;
    let vmid = instance(app, &alice, &id).await.1["vmid"].as_u64().unwrap() as u32;
    let base = format!("/api/v1/instances/{id}/snapshots");

    let job = run_job(
        &world,
        &alice,
        Method::POST,
        &base,
        json!({"name": "before-upgrade", "description": "known good"}),
    )
    .await;
    assert_eq!(
        (job["kind"].clone(), job["resource_id"].clone()),
        (json!("instance.snapshot.create"), json!(id))
    );
    assert!(
        job["pve_upid"].as_str().unwrap().contains(":vzsnapshot:"),
        "{job}"
    );
    assert!(
        world.sim.cluster().guests[&vmid]
            .snapshots
            .contains_key("before-upgrade")
    );

    let (status, list) = snapshots(&world, &alice, &id).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(
        (
            items[0]["name"].clone(),
            items[0]["description"].clone(),
            items[0]["current"].clone(),
            items[0]["includes_ram"].clone()
        ),
        (
            json!("before-upgrade"),
            json!("known good"),
            json!(true),
            json!(false)
        )
    );
    assert!(items[0]["taken_at"].is_string(), "{list}");

    // A rollback of the running container: Proxmox stops it, `start` brings it back.
    let job = run_job(
        &world,
        &alice,
        Method::POST,
        &format!("{base}/before-upgrade/rollback"),
        json!({"start": true}),
    )
    .await;
    assert!(
        job["pve_upid"].as_str().unwrap().contains(":vzrollback:"),
        "{job}"
    );
    mirrored_status(app, &alice, &id, "running").await;

    let job = run_job(
        &world,
        &alice,
        Method::DELETE,
        &format!("{base}/before-upgrade"),
        json!(null),
    )
    .await;
    assert_eq!(job["kind"], json!("instance.snapshot.delete"));
    let (_, list) = snapshots(&world, &alice, &id).await;
    assert_eq!(list["items"], json!([]), "{list}");
    assert!(world.sim.cluster().guests[&vmid].snapshots.is_empty());
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn bad_snapshot_requests_and_other_users_are_refused_with_nothing_queued() {
    let world = crate::job_support::spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let (_, reader) = world.user(Role::Readonly).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "careful").await;
    let base = format!("/api/v1/instances/{id}/snapshots");
    run_job(&world, &alice, Method::POST, &base, json!({"name": "keep"})).await;
    let jobs_before = app
        .get_json(&format!("/api/v1/instances/{id}/jobs"), &alice.access)
        .await;

    for (body, field) in [
        (json!({"name": "1st"}), "name"),
        (json!({"name": "current"}), "name"),
        (json!({"name": "a".repeat(41)}), "name"),
        (json!({"name": "ram", "include_ram": true}), "include_ram"),
        (
            json!({"name": "long", "description": "x".repeat(1025)}),
            "description",
        ),
    ] {
        let (status, error) =
            call(world.app(), &alice, Method::POST, &base, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert!(
            error["error"]["fields"][field].is_string(),
            "{body}: {error}"
        );
    }
    let (status, error) = call(
        world.app(),
        &alice,
        Method::POST,
        &base,
        Some(json!({"name": "keep"})),
    )
    .await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::CONFLICT, "snapshot_exists"),
        "{error}"
    );
    for (method, path) in [
        (Method::POST, format!("{base}/nope/rollback")),
        (Method::DELETE, format!("{base}/nope")),
    ] {
        let (status, error) = call(world.app(), &alice, method, &path, None).await;
        assert_eq!(
            (status, error_code(&error)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}: {error}"
        );
    }

    // Someone else's instance does not exist for an operator or a reader.
    for session in [&bob, &reader] {
        assert_eq!(
            snapshots(&world, session, &id).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _) = call(
            world.app(),
            session,
            Method::POST,
            &base,
            Some(json!({"name": "mine"})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(
            world.app(),
            session,
            Method::DELETE,
            &format!("{base}/keep"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(snapshots(&world, &world.admin, &id).await.0, StatusCode::OK);

    let jobs_after = app
        .get_json(&format!("/api/v1/instances/{id}/jobs"), &alice.access)
        .await;
    assert_eq!(
        jobs_after["items"], jobs_before["items"],
        "nothing was queued"
    );
    let (_, list) = snapshots(&world, &alice, &id).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}
