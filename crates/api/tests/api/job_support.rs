//! For the instance-write, job and event tests: the simulator registered as a
//! cluster and mirrored, the job engine running as `serve` runs it, and a reader of
//! the server-sent event stream.

use std::time::Duration;

use proxicloud_domain::app::{Running, Start};
use proxicloud_store::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::sim_support::{SimApp, WAIT, eventually, spawn_app_with_sim_on};
use crate::support::{Session, TestApp, TestUser, status_and_json};

pub const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

/// A public key, as ssh-keygen prints it: a container needs a way in.
pub const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";

pub struct JobWorld {
    pub sim: SimApp,
    pub admin: Session,
    engine: Option<Running>,
}

/// A server with the simulator registered and mirrored, and the job engine started
/// on the server's queue as `serve` starts it.
pub async fn spawn_with_engine() -> JobWorld {
    spawn_with_engine_on(None).await
}

/// [`spawn_with_engine`] against a simulator reporting `pve_version`.
pub async fn spawn_with_engine_on(pve_version: Option<&str>) -> JobWorld {
    let sim = spawn_app_with_sim_on(pve_version).await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    sim.wait_for_inventory(&admin).await;
    // Two workers with quick timings (`support::test_config`).
    let engine = sim
        .app
        .services
        .start(Start {
            jobs: true,
            workers: false,
        })
        .await
        .unwrap();
    JobWorld {
        sim,
        admin,
        engine: Some(engine),
    }
}

impl JobWorld {
    pub fn app(&self) -> &TestApp {
        &self.sim.app
    }

    pub async fn user(&self, role: Role) -> (TestUser, Session) {
        let user = self.app().insert_user(role).await;
        let session = self.app().login_user(&user).await;
        (user, session)
    }

    /// One of the VM templates the simulator seeds, as the instance list shows it.
    pub async fn seeded_vm_template(&self) -> Value {
        let listed = self
            .app()
            .get_json("/api/v1/instances?type=vm&limit=500", &self.admin.access)
            .await;
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["template"] == json!(true))
            .expect("a seeded VM template")
            .clone()
    }

    pub async fn shutdown(mut self) {
        if let Some(engine) = self.engine.take() {
            engine.shutdown().await;
        }
        self.sim.shutdown().await;
    }
}

/// Polls `GET /api/v1/jobs/{id}` until the job has ended.
pub async fn finished_job(app: &TestApp, session: &Session, id: &str) -> Value {
    eventually(&format!("job {id} to end"), || async {
        let response = app
            .get(&format!("/api/v1/jobs/{id}"), &session.access)
            .send()
            .await
            .ok()?;
        let (status, job) = status_and_json(response).await;
        assert_eq!(status, StatusCode::OK);
        matches!(
            job["status"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        )
        .then_some(job)
    })
    .await
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseMessage {
    pub id: Option<u64>,
    pub event: String,
    pub data: Value,
}

/// Reads `GET /api/v1/events` as it arrives.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub async fn open(app: &TestApp, session: &Session, last_event_id: Option<u64>) -> Self {
        let mut request = app.get("/api/v1/events", &session.access);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), or `None` after `wait` of silence.
    pub async fn next(&mut self, wait: Duration) -> Option<SseMessage> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(message) = parse(&block) {
                    return Some(message);
                }
                continue;
            }
            let chunk = tokio::time::timeout(wait, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events until `stop` says so; fails the test after [`WAIT`].
    pub async fn until(&mut self, mut stop: impl FnMut(&SseMessage) -> bool) -> Vec<SseMessage> {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Some(message) = self.next(Duration::from_millis(200)).await {
                let done = stop(&message);
                seen.push(message);
                if done {
                    return seen;
                }
            }
        }
        panic!("the awaited event never came; saw {seen:#?}");
    }
}

fn parse(block: &str) -> Option<SseMessage> {
    let (mut id, mut event, mut data) = (None, String::from("message"), String::new());
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id:") {
            id = value.trim().parse().ok();
        } else if let Some(value) = line.strip_prefix("event:") {
            event = value.trim().to_owned();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim_start());
        }
    }
    (!data.is_empty()).then(|| SseMessage {
        id,
        event,
        data: serde_json::from_str(&data).unwrap_or(Value::Null),
    })
}

// ---- instance requests ----

pub const ISO: &str = "local:iso/debian-12.8.0-amd64-netinst.iso";

pub fn container(name: &str) -> Value {
    json!({ "type": "lxc", "name": name, "template": TEMPLATE, "cores": 1, "memory": 512, "disk": 4,
            "ssh_public_keys": [SSH_KEY] })
}

/// POSTs and expects `202 {job}` with a `Location` of the job.
pub async fn accepted(
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

/// The names of a job's steps, in order.
pub fn step_names(job: &Value) -> Vec<&str> {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

/// Creates a container as `session` and waits for the job; returns the job and the
/// instance id (named in the `reserve` step).
pub async fn create(world: &JobWorld, session: &Session, name: &str) -> (Value, String) {
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

pub async fn instance(app: &TestApp, session: &Session, id: &str) -> (StatusCode, Value) {
    status_and_json(
        app.get(&format!("/api/v1/instances/{id}"), &session.access)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Waits until the mirror shows the instance with `status`.
pub async fn mirrored_status(app: &TestApp, session: &Session, id: &str, status: &str) {
    eventually(&format!("instance {id} to be {status}"), || async {
        let (_, body) = instance(app, session, id).await;
        (body["status"] == json!(status)).then_some(())
    })
    .await;
}
