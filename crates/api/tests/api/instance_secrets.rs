//! Secrets as environment variables of instances, against the simulator: `PUT
//! /api/v1/instances/{id}/secrets` writes them into the container's `env` (pending
//! while it runs, as Proxmox keeps it), keeps the guest's own variables, follows
//! every update, rollback and deletion of a secret; a launch sets them before the
//! first start; VMs and Proxmox VE before 9.1 are refused with a 409; nobody gives an
//! instance a secret they may not read.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{
    ISO, JobWorld, accepted, container, create, finished_job, instance, spawn_with_engine,
    spawn_with_engine_on, step_names,
};
use crate::sim_support::eventually;
use crate::support::{Session, call, error_code};

async fn secret(world: &JobWorld, session: &Session, name: &str, value: &str) -> Value {
    let body = json!({ "name": name, "value": value });
    let (status, created) = call(
        world.app(),
        session,
        Method::POST,
        "/api/v1/secrets",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn set(world: &JobWorld, session: &Session, id: &str, names: &[&str]) -> Value {
    let path = format!("/api/v1/instances/{id}/secrets");
    let (status, job) = call(
        world.app(),
        session,
        Method::PUT,
        &path,
        Some(json!({ "secrets": names })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "instance.secrets.apply");
    let job = finished_job(world.app(), session, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    job
}

async fn vmid(world: &JobWorld, session: &Session, id: &str) -> u32 {
    instance(world.app(), session, id).await.1["vmid"]
        .as_u64()
        .unwrap() as u32
}

/// The container's environment as Proxmox would start it: pending values first.
fn env(world: &JobWorld, vmid: u32) -> Option<String> {
    let cluster = world.sim.cluster();
    let guest = &cluster.guests[&vmid];
    if guest.pending_delete.iter().any(|k| k == "env") {
        return None;
    }
    guest
        .pending
        .get("env")
        .or_else(|| guest.config.get("env"))
        .cloned()
}

async fn listed(world: &JobWorld, session: &Session, id: &str) -> Value {
    world
        .app()
        .get_json(&format!("/api/v1/instances/{id}/secrets"), &session.access)
        .await
}

fn names(listed: &Value) -> Vec<&str> {
    listed["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_container_receives_its_secrets_and_follows_their_changes() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, id) = create(&world, &alice, "envy").await;
    let vmid = vmid(&world, &alice, &id).await;
    // A variable of the guest's own, which ProxiCloud must keep.
    world
        .sim
        .cluster()
        .guests
        .get_mut(&vmid)
        .unwrap()
        .config
        .insert("env".into(), "LANG=C.UTF-8".into());
    secret(&world, &alice, "DB_PASSWORD", "first pass\tword").await;
    secret(&world, &alice, "API_KEY", "key-1").await;

    let job = set(&world, &alice, &id, &["DB_PASSWORD", "API_KEY"]).await;
    let detail = job["steps"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("API_KEY, DB_PASSWORD") && detail.contains("next start"),
        "{detail}"
    );
    assert!(!job.to_string().contains("first pass"), "{job}");
    // Running: Proxmox keeps the new environment pending until the next start.
    {
        let cluster = world.sim.cluster();
        let guest = &cluster.guests[&vmid];
        assert_eq!(
            guest.config.get("env").map(String::as_str),
            Some("LANG=C.UTF-8")
        );
        assert_eq!(
            guest.pending.get("env").map(String::as_str),
            Some("LANG=C.UTF-8\0API_KEY=key-1\0DB_PASSWORD=first pass\tword")
        );
    }
    let shown = listed(&world, &alice, &id).await;
    assert_eq!(names(&shown), ["API_KEY", "DB_PASSWORD"]);
    assert_eq!(shown["status"], "applied", "{shown}");
    assert!(!shown.to_string().contains("key-1"));

    // Stopping applies it (pve-container's poststop hook).
    let stop = accepted(
        world.app(),
        &alice,
        &format!("/api/v1/instances/{id}/stop"),
        json!({}),
        None,
    )
    .await;
    let stop = finished_job(world.app(), &alice, stop["id"].as_str().unwrap()).await;
    assert_eq!(stop["status"], "succeeded", "{stop:#}");
    {
        let cluster = world.sim.cluster();
        let guest = &cluster.guests[&vmid];
        assert!(guest.pending.is_empty(), "{:?}", guest.pending);
        assert_eq!(
            guest.config.get("env").map(String::as_str),
            Some("LANG=C.UTF-8\0API_KEY=key-1\0DB_PASSWORD=first pass\tword")
        );
    }

    // An update, a rollback and a deletion each re-apply.
    let path = "/api/v1/secrets/API_KEY";
    let (status, _) = call(
        world.app(),
        &alice,
        Method::PATCH,
        path,
        Some(json!({"value": "key-2"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let expect = |wanted: &'static str| {
        let world = &world;
        async move {
            eventually(&format!("env {wanted:?}"), || async {
                (env(world, vmid).as_deref() == Some(wanted)).then_some(())
            })
            .await
        }
    };
    expect("LANG=C.UTF-8\0API_KEY=key-2\0DB_PASSWORD=first pass\tword").await;
    let rollback = json!({ "version": 1 });
    let (status, _) = call(
        world.app(),
        &alice,
        Method::POST,
        &format!("{path}/rollback"),
        Some(rollback),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    expect("LANG=C.UTF-8\0API_KEY=key-1\0DB_PASSWORD=first pass\tword").await;
    // Metadata alone changes no value: nothing to re-apply.
    let (status, _) = call(
        world.app(),
        &alice,
        Method::PATCH,
        path,
        Some(json!({"description": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    set(&world, &alice, &id, &["API_KEY"]).await;
    assert_eq!(
        env(&world, vmid).as_deref(),
        Some("LANG=C.UTF-8\0API_KEY=key-1")
    );
    let (status, _) = call(world.app(), &alice, Method::DELETE, path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    expect("LANG=C.UTF-8").await;
    eventually("the instance to show no secrets, applied", || async {
        let shown = listed(&world, &alice, &id).await;
        (shown["secrets"] == json!([]) && shown["status"] == "applied").then_some(())
    })
    .await;
    // A value Proxmox's env cannot carry fails the job, naming the secret only.
    secret(&world, &alice, "MULTI_LINE", "line one\nline two").await;
    let path = format!("/api/v1/instances/{id}/secrets");
    let (status, job) = call(
        world.app(),
        &alice,
        Method::PUT,
        &path,
        Some(json!({"secrets": ["MULTI_LINE"]})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job = finished_job(world.app(), &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed");
    assert!(
        job["error"].as_str().unwrap().contains("MULTI_LINE"),
        "{job}"
    );
    assert!(!job.to_string().contains("line one"), "{job}");
    let shown = listed(&world, &alice, &id).await;
    assert_eq!(shown["status"], "failed", "{shown}");
    assert_eq!(env(&world, vmid).as_deref(), Some("LANG=C.UTF-8"));
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn only_secrets_the_caller_may_read_reach_only_its_containers() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (bob_user, bob) = world.user(Role::Operator).await;
    let (_, viewer) = world.user(Role::Readonly).await;
    let (_, alices) = create(&world, &alice, "alices").await;
    let (_, bobs) = create(&world, &bob, "bobs").await;
    let token = secret(&world, &alice, "TOKEN", "alice-token").await;
    let token_id = token["id"].as_str().unwrap();
    let put = |session: &Session, id: &str, names: Value| {
        let path = format!("/api/v1/instances/{id}/secrets");
        let app = world.app();
        let session = session.clone();
        async move {
            call(
                app,
                &session,
                Method::PUT,
                &path,
                Some(json!({ "secrets": names })),
            )
            .await
        }
    };

    // Bob has no TOKEN, may not see Alice's by id, nor touch her instance.
    for key in ["TOKEN", token_id] {
        let (status, body) = put(&bob, &bobs, json!([key])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{key}: {body}");
        assert!(body["error"]["fields"]["secrets"].is_string(), "{body}");
    }
    let (status, body) = put(&bob, &alices, json!([])).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, _) = put(&viewer, &alices, json!([])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        world.app(),
        &bob,
        Method::GET,
        &format!("/api/v1/instances/{alices}/secrets"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Granted, Bob reads it, sees it as shared, and gives it to his container by id.
    let grants = "/api/v1/secrets/TOKEN/grants";
    let (status, body) = call(
        world.app(),
        &alice,
        Method::POST,
        grants,
        Some(json!({"user": bob_user.username})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = world.app().get_json("/api/v1/secrets", &bob.access).await;
    assert_eq!(listed["items"][0]["name"], "TOKEN");
    assert_eq!(listed["items"][0]["shared"], true);
    set(&world, &bob, &bobs, &[token_id]).await;
    let vmid = vmid(&world, &bob, &bobs).await;
    assert_eq!(env(&world, vmid).as_deref(), Some("TOKEN=alice-token"));
    // Alice's update reaches Bob's container too.
    let (status, _) = call(
        world.app(),
        &alice,
        Method::PATCH,
        "/api/v1/secrets/TOKEN",
        Some(json!({"value": "rotated"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    eventually("the rotated token in bob's container", || async {
        (env(&world, vmid).as_deref() == Some("TOKEN=rotated")).then_some(())
    })
    .await;

    // A VM cannot receive secrets: refused at launch, nothing queued.
    let vm = json!({ "type": "vm", "name": "vm-env", "iso": ISO, "cores": 1, "memory": 512,
                     "disk": 4, "secrets": ["TOKEN"] });
    let (status, body) = call(
        world.app(),
        &alice,
        Method::POST,
        "/api/v1/instances",
        Some(vm),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "secrets_injection_unsupported"),
        "{body}"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn a_launch_sets_secrets_before_the_first_start() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    secret(&world, &alice, "DB_URL", "postgres://db/app").await;
    let mut body = container("launched");
    body["secrets"] = json!(["DB_URL"]);
    let job = accepted(world.app(), &alice, "/api/v1/instances", body, None).await;
    assert_eq!(
        step_names(&job),
        [
            "reserve",
            "create",
            "await_create",
            "secrets",
            "start",
            "finalize"
        ]
    );
    let job = finished_job(world.app(), &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let id = job["steps"][0]["detail"]
        .as_str()
        .unwrap()
        .trim_start_matches("instance ")
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    let vmid = vmid(&world, &alice, &id).await;
    // Set while it was stopped: in the config itself, not pending.
    assert_eq!(
        world.sim.cluster().guests[&vmid]
            .config
            .get("env")
            .map(String::as_str),
        Some("DB_URL=postgres://db/app")
    );
    let shown = listed(&world, &alice, &id).await;
    assert_eq!(names(&shown), ["DB_URL"]);
    assert_eq!(shown["status"], "applied");

    let mut unknown = container("unknown");
    unknown["secrets"] = json!(["NOPE"]);
    let (status, body) = call(
        world.app(),
        &alice,
        Method::POST,
        "/api/v1/instances",
        Some(unknown),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn proxmox_before_9_1_is_refused_with_a_clear_conflict() {
    let world = spawn_with_engine_on(Some("9.0.11")).await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, id) = create(&world, &alice, "older").await;
    secret(&world, &alice, "TOKEN", "t").await;
    let path = format!("/api/v1/instances/{id}/secrets");
    let (status, body) = call(
        world.app(),
        &alice,
        Method::PUT,
        &path,
        Some(json!({"secrets": ["TOKEN"]})),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "secrets_injection_unsupported"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("9.0.11"),
        "{body}"
    );
    let mut launch = container("older-launch");
    launch["secrets"] = json!(["TOKEN"]);
    let (status, body) = call(
        world.app(),
        &alice,
        Method::POST,
        "/api/v1/instances",
        Some(launch),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "secrets_injection_unsupported")
    );
    // Nothing was recorded or sent: an empty list is fine.
    assert_eq!(listed(&world, &alice, &id).await["secrets"], json!([]));
    set(&world, &alice, &id, &[]).await;
    world.shutdown().await;
}
