//! The HTTP API of a `proxicloud serve` process, as the admin, for tests that check
//! the server's behaviour rather than the CLI's (those run the CLI itself). Blocking,
//! untyped JSON: a test sees exactly what the server sent.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use super::SimProcess;

pub const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub struct Api {
    http: Client,
    pub url: String,
    bearer: String,
}

impl Api {
    /// Logs in as `admin` with `password`.
    pub fn login(url: &str, password: &str) -> Self {
        let http = Client::new();
        let session: Value = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": password}))
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

    /// The same session against another process on the same database (a restarted
    /// server, another replica).
    pub fn at(self, url: &str) -> Self {
        Self {
            url: url.to_string(),
            ..self
        }
    }

    pub fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
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

    pub fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Registers the simulator as cluster `lab` (token auth, pinned certificate).
    pub fn register_sim(&self, sim: &SimProcess, token_id: &str, secret: &str) -> Value {
        let (status, cluster) = self.call(
            Method::POST,
            "/api/v1/clusters",
            Some(
                json!({"name": "lab", "addresses": [format!("https://127.0.0.1:{}", sim.port)],
                        "auth": {"type": "token", "token_id": token_id, "secret": secret},
                        "tls_fingerprint": sim.fingerprint.clone().expect("TLS fingerprint")}),
            ),
        );
        assert_eq!(status, 201, "{cluster}");
        cluster
    }

    /// Starts creating a small container `name` on `lab`; returns its job's id.
    pub fn launch_lxc(&self, name: &str) -> String {
        let (status, body) = self.call(
            Method::POST,
            "/api/v1/instances",
            Some(
                json!({"type": "lxc", "name": name, "cluster": "lab", "template": TEMPLATE,
                        "cores": 1, "memory": 512, "disk": 4, "generate_root_password": true}),
            ),
        );
        assert_eq!(status, 202, "create {name}: {body}");
        body["id"].as_str().expect("job id").to_string()
    }

    pub fn job_statuses(&self, ids: &[String]) -> Vec<String> {
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
    pub fn instances(&self) -> Vec<Value> {
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

    /// This process's background worker `name` (`GET /api/v1/system/workers`).
    pub fn worker(&self, name: &str) -> Value {
        self.get("/api/v1/system/workers")["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no worker {name}"))
    }

    /// Follows `/api/v1/events` on a thread, through the client the CLI uses (its SSE
    /// parser is `eventsource-stream`); each event arrives as (kind, data). The stream
    /// is open when this returns.
    pub fn events(&self) -> mpsc::Receiver<(String, Value)> {
        let client = proxicloud_client::Client::new(&self.url, self.bearer.clone()).unwrap();
        let (opened_tx, opened) = mpsc::channel();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut stream = match client.events(None).await {
                    Ok(stream) => {
                        opened_tx.send(Ok(())).unwrap();
                        stream
                    }
                    Err(error) => return opened_tx.send(Err(error.to_string())).unwrap(),
                };
                while let Some(Ok(event)) = stream.next().await {
                    if tx.send((event.kind, event.data)).is_err() {
                        return;
                    }
                }
            });
        });
        opened.recv().unwrap().expect("the event stream opens");
        rx
    }
}

/// Polls `done` every 100 ms until it holds; fails the test after `limit`. Returns how
/// long it took.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}
