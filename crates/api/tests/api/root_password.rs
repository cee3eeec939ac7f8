//! A container needs a way in: launched with no SSH key and no generated root
//! password it is refused; a generated password is answered once, reaches Proxmox
//! and nothing else — not the job, its events, the audit log, the logs, the database
//! or a replayed answer.

use proxicloud_store::{Role, SEALED_PARAMS};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::job_support::{EventStream, TEMPLATE, finished_job, spawn_with_engine};
use crate::support::{captured_logs, error_code, status_and_json};

fn launch(name: &str, extra: Value) -> Value {
    let mut body =
        json!({ "type": "lxc", "name": name, "template": TEMPLATE, "memory": 512, "disk": 4 });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

#[tokio::test]
async fn a_keyless_container_is_refused_and_a_generated_password_is_shown_once() {
    let world = spawn_with_engine().await;
    let app = world.app();
    let (_, alice) = world.user(Role::Operator).await;
    world.sim.sim_control(Method::DELETE, "requests").await;

    // No key, no password: 422 on `ssh_public_keys` saying how to ask for either;
    // no job, nothing sent to Proxmox.
    let response = app
        .post(
            "/api/v1/instances",
            &alice.access,
            launch("nokey", json!({})),
        )
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        "{body}"
    );
    let fields = body["error"]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["ssh_public_keys"]);
    let why = fields["ssh_public_keys"].as_str().unwrap();
    for words in [
        "a container needs a way in",
        "key_pair_ids",
        "generate_root_password",
    ] {
        assert!(why.contains(words), "{why}");
    }
    let jobs = app.get_json("/api/v1/jobs", &alice.access).await;
    assert_eq!(jobs["items"], json!([]), "no job was queued");
    let sent = world.sim.sim.recorded();
    assert!(
        sent.iter().all(|r| r.method.as_str() == "GET"),
        "nothing was changed on Proxmox: {sent:?}"
    );

    // Asked for: the 202 carries it once, not to be cached.
    let mut events = EventStream::open(app, &alice, None).await;
    let request = launch("with-password", json!({ "generate_root_password": true }));
    let response = app
        .post("/api/v1/instances", &alice.access, request.clone())
        .header("idempotency-key", "launch-with-password")
        .send()
        .await
        .unwrap();
    let cache = response.headers().get("cache-control").cloned();
    let (status, launched) = status_and_json(response).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{launched}");
    assert_eq!(cache.unwrap(), "no-store");
    let password = launched["root_password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 24);
    assert_eq!(launched["kind"], "instance.create", "the job, as before");
    let job_id = launched["id"].as_str().unwrap().to_owned();

    let job = finished_job(app, &alice, &job_id).await;
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let seen = events
        .until(|m| m.data["id"] == json!(job_id) && m.data["status"] == json!("succeeded"))
        .await;

    // Proxmox got it in the create request (a valid `password`: the simulator checks
    // every request against the official schema) and keeps it out of the config.
    let create = world
        .sim
        .sim
        .recorded_entries()
        .into_iter()
        .find(|e| {
            e.request.path.ends_with("/lxc")
                && e.request.params.get("hostname") == Some(&json!("with-password"))
        })
        .expect("the recorded create request");
    assert!(create.accepted);
    assert_eq!(create.request.params["password"], json!(password));
    world.sim.assert_every_request_passed_the_schema();
    let instance = job["resource_id"].as_str().unwrap();
    let config = app
        .get_json(
            &format!("/api/v1/instances/{instance}/config"),
            &alice.access,
        )
        .await;
    assert!(config["entries"].is_array(), "{config}");

    // Nowhere else.
    let replay = app
        .post("/api/v1/instances", &alice.access, request)
        .header("idempotency-key", "launch-with-password")
        .send()
        .await
        .unwrap();
    let (status, replayed) = status_and_json(replay).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(replayed["id"], json!(job_id));
    assert!(replayed.get("root_password").is_none(), "{replayed}");
    let audit = app
        .get_json("/api/v1/audit?action=create_instance", &world.admin.access)
        .await;
    assert!(
        audit
            .to_string()
            .contains("\"root_password\":\"generated\""),
        "the audit entry says a password was generated: {audit}"
    );
    let mut places = vec![
        ("the job", job.to_string()),
        ("the config", config.to_string()),
        ("the replay", replayed.to_string()),
        ("the audit log", audit.to_string()),
        (
            "the job list",
            app.get_json("/api/v1/jobs", &alice.access)
                .await
                .to_string(),
        ),
        ("the events", format!("{seen:?}")),
    ];
    let store = &app.services.platform().store;
    let stored = store
        .jobs()
        .get(job_id.parse::<Uuid>().unwrap())
        .await
        .unwrap();
    assert!(
        stored.params.get(SEALED_PARAMS).is_none(),
        "{}",
        stored.params
    );
    places.push(("the stored job", format!("{stored:?}")));
    let mut database = std::fs::read(&app.db_path).unwrap();
    if let Ok(wal) = std::fs::read(app.db_path.with_extension("db-wal")) {
        database.extend(wal);
    }
    places.push((
        "the database",
        String::from_utf8_lossy(&database).into_owned(),
    ));
    places.push((
        "the logs",
        String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned(),
    ));
    for (place, text) in places {
        assert!(!text.contains(&password), "the password is in {place}");
    }
    world.shutdown().await;
}
