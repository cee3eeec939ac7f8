//! `GET /api/v1/metrics/…` after a collection cycle against the simulator: each kind
//! of resource answers its series on one grid of at most 1000 points for every
//! period; an instance's series are its owner's and admins' only; bad periods and
//! series are 400s in the usual error shape.

use proxicloud_domain::metrics::{MetricsCollector, unix_now};
use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sim_support::{SimApp, spawn_app_with_sim};
use crate::support::{Session, assert_error_shape, error_code, status_and_json};

async fn get(world: &SimApp, session: &Session, path: &str) -> (StatusCode, Value) {
    status_and_json(world.app.get(path, &session.access).send().await.unwrap()).await
}

/// Checks the shape and returns how many values of `name` are not null.
fn measured(body: &Value, name: &str) -> usize {
    let timestamps = body["timestamps"].as_array().unwrap();
    assert!(!timestamps.is_empty() && timestamps.len() <= 1000);
    let step = body["resolution_s"].as_i64().unwrap();
    assert!(
        timestamps
            .windows(2)
            .all(|w| w[1].as_i64().unwrap() - w[0].as_i64().unwrap() == step)
    );
    let values = body["series"][name]
        .as_array()
        .unwrap_or_else(|| panic!("{name} in {body}"));
    assert_eq!(values.len(), timestamps.len());
    values.iter().filter(|v| !v.is_null()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_answers_every_period_for_those_who_may_see_it() {
    let mut world = spawn_app_with_sim().await;
    let admin = world.app.admin().await;
    let cluster = world.register(&admin).await;
    let instances = world.wait_for_inventory(&admin).await;
    world.stop_inventory().await;
    let collector = world.app.services.get::<MetricsCollector>();
    collector.cycle(unix_now()).await.unwrap();

    // The container that has run longest (LXC reports disk usage; QEMU cannot), given
    // to alice.
    let vmid = {
        let cluster = world.cluster();
        cluster
            .guests
            .values()
            .filter(|g| g.kind == proxicloud_types::GuestType::Lxc)
            .filter_map(|g| Some((g.vmid, g.started_at?)))
            .min_by_key(|(_, started)| *started)
            .expect("a running container")
            .0
    };
    let id = instances
        .iter()
        .find(|i| i["vmid"].as_u64() == Some(u64::from(vmid)))
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let alice = world.app.insert_user(Role::Operator).await;
    let bob = world.app.insert_user(Role::Operator).await;
    let owner = world
        .app
        .request(Method::PUT, &format!("/api/v1/instances/{id}/owner"))
        .bearer_auth(&admin.access)
        .json(&json!({ "owner_id": alice.id }))
        .send()
        .await
        .unwrap();
    assert_eq!(owner.status(), StatusCode::OK);
    let alice = world.app.login_user(&alice).await;
    let bob = world.app.login_user(&bob).await;

    for period in ["5m", "1h", "24h", "7d", "30d"] {
        let path = format!("/api/v1/metrics/instances/{id}?period={period}");
        let (status, body) = get(&world, &alice, &path).await;
        assert_eq!(status, StatusCode::OK, "{period}: {body}");
        for name in [
            "cpu",
            "mem",
            "maxmem",
            "disk",
            "netin",
            "netout",
            "diskread",
            "diskwrite",
        ] {
            assert!(measured(&body, name) > 0, "{period}: {name} has data");
        }
        let (status, body) = get(&world, &bob, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "someone else's: {body}");
    }
    let (status, body) = get(
        &world,
        &admin,
        &format!("/api/v1/metrics/instances/{id}?period=24h&series=cpu,netin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["series"].as_object().unwrap().len(),
        2,
        "only what was asked"
    );
    assert_eq!(
        body["resolution_s"], 120,
        "a day of minutes on a 720-point grid"
    );

    // Nodes and storages by `<cluster>:<node>[:<storage>]`; admins only.
    let node = format!("/api/v1/metrics/nodes/{cluster}:pve1?period=24h");
    let (status, body) = get(&world, &admin, &node).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(measured(&body, "cpu") > 600 && measured(&body, "loadavg") > 600);
    assert_eq!(get(&world, &alice, &node).await.0, StatusCode::FORBIDDEN);
    let (status, body) = get(
        &world,
        &admin,
        &format!("/api/v1/metrics/nodes/{cluster}:nope"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let storage = format!("/api/v1/metrics/storages/{cluster}:pve1:local?period=5m");
    let (status, body) = get(&world, &admin, &storage).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["series"].as_object().unwrap().len(), 2);
    let (status, body) = get(
        &world,
        &admin,
        &format!("/api/v1/metrics/clusters/{cluster}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    measured(&body, "cpu");

    // Bad input.
    for (query, code) in [
        ("period=2h", "invalid_period"),
        ("series=cpu,bogus", "invalid_series"),
        ("series=used", "invalid_series"),
    ] {
        let (status, body) = get(
            &world,
            &alice,
            &format!("/api/v1/metrics/instances/{id}?{query}"),
        )
        .await;
        assert_error_shape(status, &body, code);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error_code(&body), code);
    }
    let (status, body) = get(
        &world,
        &alice,
        &format!("/api/v1/metrics/instances/{id}?color=red"),
    )
    .await;
    assert_error_shape(status, &body, "unknown parameter");
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown parameters are refused as in every query"
    );
    world.shutdown().await;
}
