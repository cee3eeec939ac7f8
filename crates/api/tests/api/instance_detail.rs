//! An instance's detail page: its jobs (including the one that created it) and audit
//! entries for whoever may see it, and its live Proxmox config with credentials masked
//! and a clear 503 while the cluster is unreachable.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{JobWorld, accepted, create, finished_job, instance, spawn_with_engine};
use crate::sim_support::eventually;
use crate::support::{Session, error_code, status_and_json};

async fn get(world: &JobWorld, session: &Session, path: &str) -> (StatusCode, Value) {
    status_and_json(world.app().get(path, &session.access).send().await.unwrap()).await
}

fn field<'a>(body: &'a Value, name: &str) -> Vec<&'a str> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[name].as_str().unwrap())
        .collect()
}

/// Creates a container as `session`, then stops it; returns its id and both job ids.
async fn created_then_stopped(
    world: &JobWorld,
    session: &Session,
    name: &str,
) -> (String, [String; 2]) {
    let (create_job, id) = create(world, session, name).await;
    let stop = accepted(
        world.app(),
        session,
        &format!("/api/v1/instances/{id}/stop"),
        json!({}),
        None,
    )
    .await;
    let stop_id = stop["id"].as_str().unwrap().to_owned();
    finished_job(world.app(), session, &stop_id).await;
    (id, [stop_id, create_job["id"].as_str().unwrap().to_owned()])
}

#[tokio::test]
async fn an_instances_jobs_include_its_creation_and_are_shown_to_whoever_sees_it() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let (id, [stop, creation]) = created_then_stopped(&world, &alice, "detail-jobs").await;
    // Another instance's jobs are not part of it.
    create(&world, &alice, "detail-other").await;

    let path = format!("/api/v1/instances/{id}/jobs");
    let (status, all) = get(&world, &alice, &path).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(field(&all, "id"), [stop.as_str(), creation.as_str()]);
    assert_eq!(field(&all, "kind"), ["instance.stop", "instance.create"]);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["resource_id"] == json!(id)),
        "the create job names its instance once reserved: {all:#}"
    );

    // Paged like /api/v1/jobs.
    let (_, first) = get(&world, &alice, &format!("{path}?limit=1")).await;
    assert_eq!(field(&first, "id"), [stop.as_str()]);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = get(&world, &alice, &format!("{path}?limit=1&cursor={cursor}")).await;
    assert_eq!(field(&second, "id"), [creation.as_str()]);
    assert!(second["next_cursor"].is_null());

    // An admin sees the same; another operator cannot tell the instance exists.
    let (status, seen) = get(&world, &world.admin, &path).await;
    assert_eq!(
        (status, field(&seen, "id")),
        (StatusCode::OK, field(&all, "id"))
    );
    let (status, body) = get(&world, &bob, &path).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    world.shutdown().await;
}

#[tokio::test]
async fn an_instances_audit_trail_ends_with_the_request_that_created_it() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, bob) = world.user(Role::Operator).await;
    let (id, [_, creation]) = created_then_stopped(&world, &alice, "detail-audit").await;
    // Someone else's creation at the same time is not part of it.
    create(&world, &bob, "detail-audit-bob").await;

    let path = format!("/api/v1/instances/{id}/audit");
    let (status, entries) = get(&world, &alice, &path).await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    assert_eq!(
        field(&entries, "action"),
        ["stop_instance", "create_instance"]
    );
    assert_eq!(
        entries["items"][0]["resource"],
        json!(format!("instances/{id}"))
    );
    assert_eq!(entries["items"][1]["details"]["job_id"], json!(creation));
    assert_eq!(
        entries["items"][1]["username"],
        entries["items"][0]["username"]
    );

    let (status, body) = get(&world, &bob, &path).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, _) = get(&world, &alice, "/api/v1/audit").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the global log stays admin-only"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn the_config_is_read_live_with_credentials_masked_and_503_while_unreachable() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, id) = create(&world, &alice, "detail-config").await;
    let (_, shown) = instance(world.app(), &alice, &id).await;
    let vmid = shown["vmid"].as_u64().unwrap() as u32;
    world
        .sim
        .cluster()
        .guests
        .get_mut(&vmid)
        .unwrap()
        .config
        .insert("cipassword".into(), "$5$sim$hashed-secret".into());

    let path = format!("/api/v1/instances/{id}/config");
    let (status, config) = get(&world, &alice, &path).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    let entry = |key: &str| {
        config["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == json!(key))
            .cloned()
            .unwrap_or_else(|| panic!("no {key} in {config:#}"))
    };
    assert_eq!(entry("hostname")["value"], json!("detail-config"));
    assert_eq!(entry("cores")["value"], json!("1"));
    assert_eq!(
        (
            entry("cipassword")["value"].clone(),
            entry("cipassword")["masked"].clone()
        ),
        (json!("********"), json!(true))
    );
    assert!(!config.to_string().contains("hashed-secret"));
    let keys: Vec<&str> = config["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted: {keys:?}");

    world.sim.sim_control(Method::POST, "api/down").await;
    let (status, body) = get(&world, &alice, &path).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::SERVICE_UNAVAILABLE, "cluster_unreachable"),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("unreachable"), "{message}");
    // Why (node addresses, OS errors) is for admins only.
    for internal in ["127.0.0.1", "http", "error"] {
        assert!(!message.contains(internal), "{internal} in {message}");
    }
    // The rest of the page still renders from the mirror.
    let (status, _) = get(&world, &alice, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&world, &alice, &format!("/api/v1/instances/{id}/jobs")).await;
    assert_eq!(status, StatusCode::OK);

    world.sim.sim_control(Method::POST, "api/up").await;
    eventually("the config to be readable again", || async {
        let (status, _) = get(&world, &alice, &path).await;
        (status == StatusCode::OK).then_some(())
    })
    .await;
    world.shutdown().await;
}

#[tokio::test]
async fn addresses_are_learned_after_the_start_and_refreshed_with_the_config() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let (_, id) = create(&world, &alice, "detail-addresses").await;
    let (_, shown) = instance(world.app(), &alice, &id).await;
    let learned = shown["addresses"].as_array().unwrap().clone();
    // `ip=dhcp,ip6=auto`: a lease and a SLAAC address, no loopback or link-local.
    assert_eq!(learned.len(), 2, "{shown:#}");
    assert!(
        learned[0].as_str().unwrap().starts_with("10.0."),
        "{learned:?}"
    );
    assert!(
        learned[1].as_str().unwrap().starts_with("fd00:"),
        "{learned:?}"
    );
    let (_, listed) = get(&world, &alice, "/api/v1/instances").await;
    let row = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == json!(id))
        .unwrap();
    assert_eq!(row["addresses"], json!(learned));

    // Someone gives it a static address on Proxmox: opening its config learns it.
    let vmid = shown["vmid"].as_u64().unwrap() as u32;
    {
        let mut cluster = world.sim.cluster();
        let config = &mut cluster.guests.get_mut(&vmid).unwrap().config;
        let net0 = config["net0"].replace("ip=dhcp,ip6=auto", "ip=192.0.2.44/24");
        assert!(net0.contains("192.0.2.44"), "{net0}");
        config.insert("net0".into(), net0);
    }
    let path = format!("/api/v1/instances/{id}/config");
    let (status, config) = get(&world, &alice, &path).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(config["addresses"], json!(["192.0.2.44"]));
    let (_, shown) = instance(world.app(), &alice, &id).await;
    assert_eq!(shown["addresses"], json!(["192.0.2.44"]));

    // Stopped, it cannot tell: the config shows the last known addresses.
    let stop = accepted(
        world.app(),
        &alice,
        &format!("/api/v1/instances/{id}/stop"),
        json!({}),
        None,
    )
    .await;
    let stop = finished_job(world.app(), &alice, stop["id"].as_str().unwrap()).await;
    assert_eq!(stop["status"], json!("succeeded"));
    let (_, config) = get(&world, &alice, &path).await;
    assert_eq!(config["addresses"], json!(["192.0.2.44"]));
    world.shutdown().await;
}
