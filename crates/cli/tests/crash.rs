//! Kill -9 the server while instance-creation jobs are in flight, restart it on the
//! same data directory, and check what a user relies on: every job ends, no guest
//! is created twice, and no guest is left without its owner.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{ServeProcess, SimProcess};
use reqwest::blocking::Client;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "crash-test-password";
const TOKEN_ID: &str = "root@pam!crash";
const TOKEN_SECRET: &str = "0c9a4f7e-crash-test-0000-000000000000";
const INSTANCES: usize = 6;

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

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
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

    fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn job_statuses(&self, ids: &[String]) -> Vec<String> {
        ids.iter()
            .map(|id| {
                self.get(&format!("/api/v1/jobs/{id}"))["status"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect()
    }

    /// Every instance of the mirror, all pages.
    fn instances(&self) -> Vec<Value> {
        let mut all = Vec::new();
        let mut path = "/api/v1/instances?limit=500".to_string();
        loop {
            let page = self.get(&path);
            all.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/instances?limit=500&cursor={cursor}"),
                None => return all,
            }
        }
    }
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Guest names on the simulator itself (the source of truth), with their counts.
fn names_on_proxmox(sim: &SimProcess) -> HashMap<String, usize> {
    let insecure = Client::builder()
        .danger_accept_invalid_certs(true) // the simulator's self-signed certificate
        .build()
        .unwrap();
    let resources: Value = insecure
        .get(format!(
            "https://127.0.0.1:{}/api2/json/cluster/resources?type=vm",
            sim.port
        ))
        .header(
            "Authorization",
            format!("PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut counts = HashMap::new();
    for guest in resources["data"].as_array().unwrap() {
        if let Some(name) = guest["name"].as_str() {
            *counts.entry(name.to_string()).or_default() += 1;
        }
    }
    counts
}

#[test]
fn kill_dash_nine_mid_create_resumes_every_job_without_duplicates_or_orphans() {
    // Creating a container takes 8 s on real hardware; 0.5 keeps jobs mid-flight long
    // enough to be killed while running.
    let sim = SimProcess::start_with_time_scale(
        "0.5",
        &["--token", &format!("{TOKEN_ID}={TOKEN_SECRET}")],
    );
    let fingerprint = sim.fingerprint.clone().expect("TLS fingerprint");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let server = ServeProcess::start(&data, ADMIN_PASSWORD, &[]);
    let api = Api::login(&server.url);
    let (status, cluster) = api.call(
        reqwest::Method::POST,
        "/api/v1/clusters",
        Some(
            json!({"name": "lab", "addresses": [format!("https://127.0.0.1:{}", sim.port)],
                    "auth": {"type": "token", "token_id": TOKEN_ID, "secret": TOKEN_SECRET},
                    "tls_fingerprint": fingerprint}),
        ),
    );
    assert_eq!(status, 201, "{cluster}");
    wait_until("the mirror to fill", Duration::from_secs(60), || {
        !api.instances().is_empty()
    });

    let names: Vec<String> = (0..INSTANCES).map(|i| format!("crash-{i}")).collect();
    let jobs: Vec<String> = names
        .iter()
        .map(|name| {
            let (status, body) = api.call(
                reqwest::Method::POST,
                "/api/v1/instances",
                Some(json!({"type": "lxc", "name": name, "cluster": "lab",
                            "template": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
                            "cores": 1, "memory": 512, "disk": 4})),
            );
            assert_eq!(status, 202, "create {name}: {body}");
            body["id"]
                .as_str()
                .or(body["job"]["id"].as_str())
                .expect("job id")
                .to_string()
        })
        .collect();

    // Kill while work is genuinely in flight: some jobs running, none finished yet.
    wait_until("jobs to be running", Duration::from_secs(30), || {
        api.job_statuses(&jobs).iter().any(|s| s == "running")
    });
    let before_kill = api.job_statuses(&jobs);
    server.kill_hard();
    assert!(
        before_kill.iter().any(|s| s != "succeeded"),
        "every job finished before the kill; the test proves nothing: {before_kill:?}"
    );

    let server = ServeProcess::start(&data, ADMIN_PASSWORD, &[]);
    let api = Api {
        url: server.url.clone(),
        ..api
    };
    wait_until("every job to end", Duration::from_secs(120), || {
        api.job_statuses(&jobs)
            .iter()
            .all(|s| matches!(s.as_str(), "succeeded" | "failed" | "cancelled"))
    });
    let after = api.job_statuses(&jobs);
    assert!(
        after.iter().all(|s| s == "succeeded"),
        "jobs after resume: {after:?} (before kill: {before_kill:?})"
    );

    let on_proxmox = names_on_proxmox(&sim);
    for name in &names {
        assert_eq!(
            on_proxmox.get(name),
            Some(&1),
            "guest {name} on Proxmox: {on_proxmox:?}"
        );
    }
    // The mirror knows each of them, with the admin as owner.
    let me = api.get("/api/v1/auth/me")["user"]["id"].clone();
    assert!(me.is_string(), "current user id: {me}");
    wait_until(
        "the mirror to show the new guests",
        Duration::from_secs(30),
        || {
            let mirrored = api.instances();
            names
                .iter()
                .all(|name| mirrored.iter().any(|i| i["name"] == *name))
        },
    );
    for instance in api
        .instances()
        .iter()
        .filter(|i| names.iter().any(|n| i["name"] == *n))
    {
        assert_eq!(instance["owner_id"], me, "owner of {}", instance["name"]);
    }
}
