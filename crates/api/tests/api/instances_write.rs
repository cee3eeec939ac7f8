//! Instance writes over HTTP against the simulator over HTTPS: create a container to
//! `running`, power actions, terminate, failing Proxmox tasks, idempotency keys, and
//! validation that never reaches Proxmox.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{JobWorld, TEMPLATE, finished_job, spawn_with_engine};
use crate::sim_support::eventually;
use crate::support::{Session, TestApp, error_code, status_and_json};

const ISO: &str = "local:iso/debian-12.8.0-amd64-netinst.iso";

fn container(name: &str) -> Value {
    json!({ "type": "lxc", "name": name, "template": TEMPLATE, "cores": 1, "memory": 512, "disk": 4 })
}

/// POSTs and expects `202 {job}` with a `Location` of the job.
async fn accepted(
    app: &TestApp,
    session: &Session,
    path: &str,
    body: Value,
    key: Option<&str>,
) -> Value {
    let mut request = app.post(path, &session.access, body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let (status, job) = status_and_json(response).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{path}: {job}");
    assert_eq!(
        location,
        Some(format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()))
    );
    job
}

/// Creates a container as `session` and waits for the job; returns the job and the
/// instance id (named in the `reserve` step).
async fn create(world: &JobWorld, session: &Session, name: &str) -> (Value, String) {
    let job = accepted(
        world.app(),
        session,
        "/api/v1/instances",
        container(name),
        None,
    )
    .await;
    let job = finished_job(world.app(), session, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let detail = job["steps"][0]["detail"].as_str().unwrap();
    let id = detail
        .trim_start_matches("instance ")
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    (job, id)
}

async fn instance(app: &TestApp, session: &Session, id: &str) -> (StatusCode, Value) {
    status_and_json(
        app.get(&format!("/api/v1/instances/{id}"), &session.access)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Waits until the mirror shows the instance with `status`.
async fn mirrored_status(app: &TestApp, session: &Session, id: &str, status: &str) {
    eventually(&format!("instance {id} to be {status}"), || async {
        let (_, body) = instance(app, session, id).await;
        (body["status"] == json!(status)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_container_is_created_running_and_obeys_power_actions() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();

    let (job, id) = create(&world, &alice, "web-1").await;
    let steps: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["reserve", "create", "await_create", "start", "finalize"]
    );
    assert_eq!(job["progress"], json!(100));
    assert!(job["pve_upid"].as_str().unwrap().contains(":vzstart:"));
    mirrored_status(app, &alice, &id, "running").await;
    let (_, shown) = instance(app, &alice, &id).await;
    assert_eq!(
        (
            shown["name"].clone(),
            shown["type"].clone(),
            shown["managed"].clone()
        ),
        (json!("web-1"), json!("lxc"), json!(true))
    );

    // On Proxmox: a container carrying the job's mark.
    let vmid = shown["vmid"].as_u64().unwrap() as u32;
    let marker = format!("proxicloud-job={}", job["id"].as_str().unwrap());
    let description = world.sim.sim.sim.cluster.lock().guests[&vmid]
        .config
        .get("description")
        .cloned();
    assert!(description.is_some_and(|d| d.contains(&marker)));

    for (action, status) in [
        ("stop", "stopped"),
        ("start", "running"),
        ("reboot", "running"),
        ("shutdown", "stopped"),
    ] {
        let job = accepted(
            app,
            &alice,
            &format!("/api/v1/instances/{id}/{action}"),
            json!({}),
            None,
        )
        .await;
        assert_eq!(
            (job["kind"].clone(), job["resource_id"].clone()),
            (json!(format!("instance.{action}")), json!(id))
        );
        let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], json!("succeeded"), "{action}: {job:#}");
        mirrored_status(app, &alice, &id, status).await;
    }
    assert!(
        world.sim.sim.recorded_entries().iter().all(|e| e.accepted),
        "every request passed the PVE schema"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn terminate_requires_the_name_and_removes_the_instance() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "doomed").await;
    // The name to confirm is the one the console shows: the mirror's, once polled.
    eventually("the mirror to show the new name", || async {
        let (_, body) = instance(app, &alice, &id).await;
        (body["name"] == json!("doomed")).then_some(())
    })
    .await;

    let path = format!("/api/v1/instances/{id}");
    let wrong = app
        .request(Method::DELETE, &path)
        .bearer_auth(&alice.access)
        .json(&json!({ "confirm": "Doomed" }));
    let (status, body) = status_and_json(wrong.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["confirm"]
            .as_str()
            .unwrap()
            .contains("'doomed'"),
        "{body}"
    );
    let (status, _) = instance(app, &alice, &id).await;
    assert_eq!(status, StatusCode::OK, "still there");

    let confirmed = app
        .request(Method::DELETE, &format!("{path}?confirm=doomed"))
        .bearer_auth(&alice.access);
    let (status, job) = status_and_json(confirmed.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let (status, body) = instance(app, &alice, &id).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let names: Vec<String> = world
        .sim
        .sim
        .sim
        .cluster
        .lock()
        .guests
        .values()
        .filter_map(|g| g.config.get("hostname").cloned())
        .collect();
    assert!(
        !names.contains(&"doomed".to_owned()),
        "destroyed on Proxmox"
    );
    world.shutdown().await;
}

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
    let listed: Value = world
        .app()
        .get("/api/v1/instances?q=unlucky", &alice.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let bobs = accepted(
        app,
        &bob,
        "/api/v1/instances",
        container("once"),
        Some("create-once"),
    )
    .await;
    assert_ne!(first["id"], bobs["id"], "keys belong to their user");
    finished_job(app, &alice, first["id"].as_str().unwrap()).await;
    finished_job(app, &bob, bobs["id"].as_str().unwrap()).await;
    let listed: Value = app
        .get("/api/v1/instances?q=once", &alice.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "one instance for alice"
    );

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

#[tokio::test]
async fn invalid_requests_are_refused_before_proxmox_is_touched() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    world.sim.sim_control(Method::DELETE, "requests").await;
    let bad = json!({
        "type": "lxc", "name": "not_a_dns_label", "template": "local:vztmpl/nope.tar.zst",
        "cores": 0, "ssh_public_keys": ["ssh-rsa garbage"], "network": { "bridge": "vmbr0" }
    });
    let response = world
        .app()
        .post("/api/v1/instances", &alice.access, bad)
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let fields: Vec<&String> = body["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(fields, ["cores", "name", "ssh_public_keys[0]"]);

    // Well-formed, but the template is not in that storage: Proxmox is asked, not changed.
    let missing = json!({ "type": "lxc", "template": "local:vztmpl/nope.tar.zst" });
    let response = world
        .app()
        .post("/api/v1/instances", &alice.access, missing)
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["template"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{body}"
    );
    let writes: Vec<String> = world
        .sim
        .sim
        .recorded()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        writes.is_empty(),
        "nothing was changed on Proxmox: {writes:?}"
    );
    world.shutdown().await;
}

#[tokio::test]
async fn vms_install_from_an_iso_or_are_cloned_from_a_template() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();

    let iso = json!({ "type": "vm", "name": "installer", "iso": ISO, "memory": 1024, "disk": 8, "start": false });
    let job = accepted(app, &alice, "/api/v1/instances", iso, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    assert!(job["pve_upid"].as_str().unwrap().contains(":qmcreate:"));

    let listed: Value = app
        .get("/api/v1/instances?type=vm&limit=500", &world.admin.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["template"] == json!(true))
        .expect("a seeded VM template")
        .clone();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop";
    let clone = json!({
        "type": "vm", "name": "cloned", "clone_from": template["vmid"], "cores": 2, "memory": 2048, "disk": 64,
        "ssh_public_keys": [key],
    });
    let job = accepted(app, &alice, "/api/v1/instances", clone, None).await;
    let job = finished_job(app, &alice, job["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], json!("succeeded"), "{job:#}");
    let steps: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "reserve",
            "create",
            "await_create",
            "configure",
            "start",
            "finalize"
        ]
    );

    let copy = world
        .sim
        .sim
        .sim
        .cluster
        .lock()
        .guests
        .values()
        .find(|g| g.config.get("name").is_some_and(|n| n == "cloned"))
        .expect("the clone")
        .clone();
    assert_eq!(
        (
            copy.config["cores"].as_str(),
            copy.config["memory"].as_str()
        ),
        ("2", "2048")
    );
    assert!(
        copy.config["sshkeys"].contains("alice%40laptop"),
        "{:?}",
        copy.config.get("sshkeys")
    );
    assert!(
        copy.config["scsi0"].ends_with("size=64G"),
        "grown to the asked size: {}",
        copy.config["scsi0"]
    );
    assert!(
        world.sim.sim.recorded_entries().iter().all(|e| e.accepted),
        "every request passed the PVE schema"
    );
    world.shutdown().await;
}
