//! Two `proxicloud serve` replicas on one PostgreSQL database and one simulator:
//! exactly one polls the cluster (the elected `inventory` worker); `kill -9` it and the
//! other takes over within one election interval; an SSE client on the replica that
//! runs no jobs (`jobs.workers = 0`) sees the job the other one finished (the
//! `events.relay` over LISTEN/NOTIFY).
//!
//! Needs `PROXICLOUD_TEST_POSTGRES_URL` (`source scripts/postgres.sh`) and `psql`; each
//! run creates its own database.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use common::{ServeProcess, SimProcess};

const ADMIN_PASSWORD: &str = "replicas-test-password";
const TOKEN_ID: &str = "root@pam!replicas";
const TOKEN_SECRET: &str = "5b1c7e2a-replicas-0000-000000000000";
/// The election interval of both replicas: the takeover bound.
const ELECTION_SECS: u64 = 1;

/// A fresh database on the test server, dropped (best effort) at the end.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    fn create() -> Self {
        let admin_url = std::env::var("PROXICLOUD_TEST_POSTGRES_URL")
            .expect("PROXICLOUD_TEST_POSTGRES_URL (source scripts/postgres.sh)");
        let name = format!(
            "replicas_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let (base, _) = admin_url.rsplit_once('/').expect("a database in the URL");
        let url = format!("{base}/{name}");
        Self {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin_url,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-qc", sql])
        .output()
        .expect("running psql");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One replica: its own data dir, the shared database and master key.
fn replica(root: &Path, name: &str, db: &Database, job_workers: usize) -> ServeProcess {
    let config = root.join(format!("{name}.toml"));
    let body = format!(
        "database_url = {url:?}\nmaster_key_file = {key:?}\n\
         [inventory]\npoll_interval_secs = 1\n\
         [jobs]\nworkers = {job_workers}\n\
         [workers]\nelection_interval_secs = {ELECTION_SECS}\n",
        url = db.url,
        key = root.join("master.key").display().to_string(),
    );
    std::fs::write(&config, body).unwrap();
    let data = root.join(name);
    ServeProcess::start(
        &data,
        ADMIN_PASSWORD,
        &["--config", config.to_str().unwrap()],
    )
}

struct Api {
    http: Client,
    url: String,
    bearer: String,
}

impl Api {
    fn login(url: &str) -> Self {
        let http = Client::new();
        let session: Value = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let bearer = session["access_token"]
            .as_str()
            .expect("access token")
            .to_string();
        Self {
            http,
            url: url.to_string(),
            bearer,
        }
    }

    fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.bearer);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("API request");
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }

    /// This replica's `inventory` worker.
    fn inventory_worker(&self) -> Value {
        let (status, body) = self.send(reqwest::Method::GET, "/api/v1/system/workers", None);
        assert_eq!(status, 200, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == "inventory")
            .cloned()
            .expect("an inventory worker")
    }

    /// Follows `/api/v1/events` on a thread; each event arrives as (kind, data).
    fn events(&self) -> mpsc::Receiver<(String, Value)> {
        let response = Client::builder()
            .timeout(None)
            .build()
            .unwrap()
            .get(format!("{}/api/v1/events", self.url))
            .bearer_auth(&self.bearer)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut kind = String::new();
            for line in BufReader::new(response).lines() {
                let Ok(line) = line else { return };
                if let Some(k) = line.strip_prefix("event:") {
                    kind = k.trim().to_string();
                } else if let Some(data) = line.strip_prefix("data:") {
                    let data = serde_json::from_str(data.trim()).unwrap_or(Value::Null);
                    if tx.send((std::mem::take(&mut kind), data)).is_err() {
                        return;
                    }
                }
            }
        });
        rx
    }
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}

fn leads(worker: &Value) -> bool {
    worker["state"] == "running" && worker["leader"] == true
}

#[test]
fn one_replica_polls_another_takes_over_and_events_cross_replicas() {
    let started = Instant::now();
    let db = Database::create();
    let sim = SimProcess::start(&["--token", &format!("{TOKEN_ID}={TOKEN_SECRET}")]);
    let dir = tempfile::tempdir().unwrap();
    // `queuer` runs no jobs, so every job runs on `runner`.
    let queuer = replica(dir.path(), "queuer", &db, 0);
    let runner = replica(dir.path(), "runner", &db, 2);
    let (a, b) = (Api::login(&queuer.url), Api::login(&runner.url));

    let (status, cluster) = a.send(
        reqwest::Method::POST,
        "/api/v1/clusters",
        Some(
            json!({"name": "lab", "addresses": [format!("https://127.0.0.1:{}", sim.port)],
                    "auth": {"type": "token", "token_id": TOKEN_ID, "secret": TOKEN_SECRET},
                    "tls_fingerprint": sim.fingerprint.clone().expect("TLS fingerprint")}),
        ),
    );
    assert_eq!(status, 201, "{cluster}");

    // Exactly one replica polls: the leader has polled, the other stands by.
    wait_until("a leader's first poll", Duration::from_secs(20), || {
        let (wa, wb) = (a.inventory_worker(), b.inventory_worker());
        [&wa, &wb]
            .iter()
            .any(|w| leads(w) && w["last_run"].is_string())
    });
    let (wa, wb) = (a.inventory_worker(), b.inventory_worker());
    assert!(leads(&wa) != leads(&wb), "exactly one leader: {wa} / {wb}");
    let standby = if leads(&wa) { &wb } else { &wa };
    assert_eq!(standby["state"], "standby", "{standby}");
    assert!(
        standby["last_run"].is_null(),
        "the standby never polled: {standby}"
    );

    // An SSE client on the queuer sees the job the runner finishes.
    let events = a.events();
    let (status, accepted) = a.send(
        reqwest::Method::POST,
        "/api/v1/instances",
        Some(json!({"type": "lxc", "name": "crossing", "cluster": "lab",
                    "template": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                    "cores": 1, "memory": 512, "disk": 4})),
    );
    assert_eq!(status, 202, "{accepted}");
    let job = accepted["id"]
        .as_str()
        .or(accepted["job"]["id"].as_str())
        .expect("job id")
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (kind, data) = events
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no finished job.updated for {job} on the queuer"));
        if kind == "job.updated" && data["id"] == job.as_str() && data["status"] != "queued" {
            assert_ne!(data["status"], "failed", "{data}");
            if data["status"] == "succeeded" {
                break;
            }
        }
    }

    // Kill the leader: the other takes over within one interval (plus the time the
    // database takes to notice the dead session, and one poll).
    let (leader, survivor) = if leads(&wa) {
        (queuer, &b)
    } else {
        (runner, &a)
    };
    leader.kill_hard();
    let took = wait_until("the takeover", Duration::from_secs(15), || {
        let w = survivor.inventory_worker();
        leads(&w) && w["last_run"].is_string()
    });
    assert!(
        took <= Duration::from_secs(ELECTION_SECS * 3 + 2),
        "takeover took {took:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}
