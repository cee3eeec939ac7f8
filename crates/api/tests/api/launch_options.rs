//! The launch wizard's API against the simulator: what can be launched
//! (`GET /api/v1/launch-options`) and the dry run of a create
//! (`POST /api/v1/instances/validate`).

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{ISO, SSH_KEY, TEMPLATE, container, spawn_with_engine};
use crate::sim_support::spawn_app_with_sim;
use crate::support::{Session, TestApp, error_code, status_and_json};

const OPTIONS: &str = "/api/v1/launch-options";
const VALIDATE: &str = "/api/v1/instances/validate";

async fn get(app: &TestApp, session: &Session, path: &str) -> (StatusCode, Value) {
    status_and_json(app.get(path, &session.access).send().await.unwrap()).await
}

fn names<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_wizard_is_offered_what_the_cluster_has() {
    let world = spawn_with_engine().await;
    let (_, operator) = world.user(Role::Operator).await;
    let app = world.app();

    let (status, options) = get(app, &operator, OPTIONS).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    assert_eq!(options["cluster_name"], json!("sim"));
    let nodes = options["nodes"].as_array().unwrap();
    assert_eq!(names(&options["nodes"], "name"), ["pve1", "pve2", "pve3"]);
    for node in nodes {
        assert_eq!(node["online"], json!(true));
        assert!(node["cores"].as_u64().unwrap() > 0);
        let free = node["memory_free_bytes"].as_u64().unwrap();
        assert!(free > 0 && free <= node["memory_total_bytes"].as_u64().unwrap());
        assert!(
            node["bridges"]
                .as_array()
                .unwrap()
                .contains(&json!("vmbr0"))
        );
        let disks = node["storages"].as_array().unwrap();
        let lvm = disks
            .iter()
            .find(|s| s["storage"] == json!("local-lvm"))
            .expect("the thin pool holds disks");
        assert_eq!(
            (lvm["for_containers"].clone(), lvm["for_vms"].clone()),
            (json!(true), json!(true))
        );
        assert!(lvm["avail_bytes"].as_u64().unwrap() > 0);
        assert!(
            disks.iter().all(|s| s["storage"] != json!("local")),
            "local holds templates and ISOs, not disks"
        );
    }
    let templates = options["lxc_templates"].as_array().unwrap();
    let debian = templates
        .iter()
        .find(|t| t["volid"] == json!(TEMPLATE))
        .expect("the seeded Debian template");
    assert_eq!(
        debian["name"],
        json!("debian-12-standard_12.7-1_amd64.tar.zst")
    );
    assert_eq!(debian["nodes"], json!(["pve1", "pve2", "pve3"]));
    assert!(debian["size_bytes"].as_u64().unwrap() > 0);
    assert!(
        options["isos"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["volid"] == json!(ISO))
    );
    let vm_templates = options["vm_templates"].as_array().unwrap();
    assert!(!vm_templates.is_empty(), "the simulator seeds VM templates");
    assert!(vm_templates.iter().all(|t| t["vmid"].as_u64().is_some()));
    assert_eq!(
        names(&options["presets"], "name"),
        ["nano", "small", "medium", "large"]
    );
    assert_eq!(
        options["defaults"],
        json!({"cores": 1, "memory_mib": 1024, "disk_gib": 8, "bridge": "vmbr0"})
    );

    // Another cluster is listed and can be asked for by id; an unknown one is 404;
    // readonly callers cannot launch.
    let id = options["cluster_id"].as_str().unwrap();
    assert_eq!(options["clusters"], json!([{"id": id, "name": "sim"}]));
    let response = app
        .post(
            "/api/v1/clusters",
            &world.admin.access,
            world.sim.cluster_body("another"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let another = response.json::<Value>().await.unwrap()["id"].clone();
    let (status, other) = get(
        app,
        &operator,
        &format!("{OPTIONS}?cluster_id={}", another.as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (status, other["cluster_name"].clone()),
        (StatusCode::OK, json!("another"))
    );
    assert_eq!(names(&other["clusters"], "name"), ["another", "sim"]);
    let (status, by_id) = get(app, &operator, &format!("{OPTIONS}?cluster_id={id}")).await;
    assert_eq!(
        (status, by_id["nodes"].clone()),
        (StatusCode::OK, options["nodes"].clone())
    );
    let unknown = format!("{OPTIONS}?cluster_id={}", uuid::Uuid::now_v7());
    let (status, body) = get(app, &operator, &unknown).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (_, reader) = world.user(Role::Readonly).await;
    let (status, _) = get(app, &reader, OPTIONS).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    world.sim.assert_every_request_passed_the_schema();
    world.shutdown().await;
}

#[tokio::test]
async fn opening_the_wizard_again_does_not_ask_proxmox_again() {
    let world = spawn_with_engine().await;
    let app = world.app();
    let (status, first) = get(app, &world.admin, OPTIONS).await;
    assert_eq!(status, StatusCode::OK);
    world.sim.sim_control(Method::DELETE, "requests").await;
    let (_, second) = get(app, &world.admin, OPTIONS).await;
    assert_eq!(second["fetched_at"], first["fetched_at"]);
    let asked: Vec<String> = world
        .sim
        .sim
        .recorded_entries()
        .iter()
        .map(|e| e.request.path.clone())
        .filter(|path| path.contains("/storage") || path.contains("/network"))
        .collect();
    assert!(asked.is_empty(), "served from the cache: {asked:?}");
    world.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_cluster_answers_503_with_the_reason() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    sim.sim_control(Method::POST, "api/down").await;
    let (status, body) = get(&sim.app, &admin, OPTIONS).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), "cluster_unavailable");
    assert!(body["error"]["message"].as_str().unwrap().contains("'sim'"));
    // An operator (who may not list clusters) learns nothing of node URLs or OS errors.
    let operator = sim.app.insert_user(Role::Operator).await;
    let operator = sim.app.login_user(&operator).await;
    let (status, body) = get(&sim.app, &operator, OPTIONS).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["error"]["message"],
        "the Proxmox VE cluster is unreachable; try again later"
    );
    // A failure is not cached: the next look after the outage succeeds.
    sim.sim_control(Method::POST, "api/up").await;
    let (status, _) = get(&sim.app, &admin, OPTIONS).await;
    assert_eq!(status, StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn validation_answers_like_the_create_but_creates_nothing() {
    let world = spawn_with_engine().await;
    let (_, operator) = world.user(Role::Operator).await;
    let app = world.app();
    world.sim.sim_control(Method::DELETE, "requests").await;

    let valid = app.post(VALIDATE, &operator.access, container("web-1"));
    let response = valid.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // Leaving everything optional out is valid too (defaults, generated name).
    let minimal = json!({"type": "lxc", "template": TEMPLATE, "ssh_public_keys": [SSH_KEY]});
    let response = app
        .post(VALIDATE, &operator.access, minimal)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let too_small = json!({"type": "lxc", "template": TEMPLATE, "memory": 16, "name": "-bad",
        "ssh_public_keys": [SSH_KEY]});
    let (status, body) = status_and_json(
        app.post(VALIDATE, &operator.access, too_small.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, created) = status_and_json(
        app.post("/api/v1/instances", &operator.access, too_small)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        body["error"]["fields"], created["error"]["fields"],
        "the same rules"
    );
    assert_eq!(
        body["error"]["fields"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["memory", "name"]
    );
    // Checked against the cluster, like a create.
    let elsewhere = json!({"type": "lxc", "template": TEMPLATE, "network": {"bridge": "vmbr9"},
        "generate_root_password": true});
    let (status, body) = status_and_json(
        app.post(VALIDATE, &operator.access, elsewhere)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["network.bridge"].is_string(),
        "{body}"
    );

    let (_, reader) = world.user(Role::Readonly).await;
    let response = app
        .post(VALIDATE, &reader.access, container("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let (_, jobs) = get(app, &world.admin, "/api/v1/jobs").await;
    assert_eq!(jobs["items"], json!([]), "a dry run queues no job");
    let entries = world.sim.sim.recorded_entries();
    assert!(
        entries.iter().all(|e| e.request.method.as_str() == "GET"),
        "Proxmox is only read"
    );
    assert!(entries.iter().all(|e| e.accepted));
    let (_, audit) = get(app, &world.admin, "/api/v1/audit?action=validate_instance").await;
    let audited: Vec<&Value> = audit["items"].as_array().unwrap().iter().collect();
    assert_eq!(
        audited.len(),
        1,
        "only the refused attempt is audited: {audited:?}"
    );
    assert_eq!(audited[0]["outcome"], json!("denied"));
    world.shutdown().await;
}
