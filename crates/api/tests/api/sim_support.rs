//! `spawn_app()` plus a simulated Proxmox VE cluster (HTTPS, token auth, fast task
//! time) and the inventory mirror polling it, for cluster and instance tests.

use std::time::{Duration, Instant};

use parking_lot::MutexGuard;
use proxicloud_domain::app::{Running, Start};
use proxicloud_pve_sim::schema::default_schema_path;
use proxicloud_pve_sim::{Cluster, RunningSim, SimConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, spawn_app};

pub const TOKEN_ID: &str = "root@pam!proxicloud";
pub const SIM_GUESTS: usize = 12;
/// How long an eventually-true condition may take (polls run every 100 ms).
pub const WAIT: Duration = Duration::from_secs(20);

pub struct SimApp {
    pub app: TestApp,
    pub sim: RunningSim,
    /// The token secret the simulator accepts: unique per test, so a test can look
    /// for it in every response and log line.
    pub token_secret: String,
    inventory: Option<Running>,
}

pub async fn spawn_app_with_sim() -> SimApp {
    spawn_app_with_sim_on(None).await
}

/// [`spawn_app_with_sim`] with the simulator reporting `pve_version` (default: the
/// schema's release).
pub async fn spawn_app_with_sim_on(pve_version: Option<&str>) -> SimApp {
    let app = spawn_app().await;
    let defaults = SimConfig::default();
    let token_secret = format!("planted-token-secret-{}", uuid::Uuid::now_v7().simple());
    let sim = proxicloud_pve_sim::start(SimConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        nodes: 3,
        guests: SIM_GUESTS,
        tokens: vec![(TOKEN_ID.into(), token_secret.clone())],
        schema_path: Some(default_schema_path().expect("the PVE API schema next to the checkout")),
        time_scale: 0.005,
        pve_version: pve_version.map_or(defaults.pve_version.clone(), str::to_owned),
        ..defaults
    })
    .await
    .unwrap();
    let inventory = start_inventory(&app).await;
    SimApp {
        app,
        sim,
        token_secret,
        inventory: Some(inventory),
    }
}

/// The background workers (the mirror polls every 100 ms, `support::test_config`),
/// without the job engine.
async fn start_inventory(app: &TestApp) -> Running {
    app.services
        .start(Start {
            workers: true,
            jobs: false,
        })
        .await
        .unwrap()
}

impl SimApp {
    /// The simulator as an admin registers it: token, pinned certificate.
    pub fn cluster_body(&self, name: &str) -> Value {
        json!({
            "name": name,
            "addresses": [self.sim.base_url],
            "auth": { "type": "token", "token_id": TOKEN_ID, "secret": self.token_secret },
            "tls_fingerprint": self.sim.fingerprint,
        })
    }

    /// Registers the simulator through the API; returns the cluster id.
    pub async fn register(&self, admin: &Session) -> String {
        let response = self
            .app
            .post("/api/v1/clusters", &admin.access, self.cluster_body("sim"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    /// Waits until the admin sees every simulated guest through the API.
    pub async fn wait_for_inventory(&self, admin: &Session) -> Vec<Value> {
        eventually("the mirrored guests", || async {
            let body: Value = self
                .app
                .get("/api/v1/instances?limit=500", &admin.access)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let items = body["items"].as_array()?.clone();
            (items.len() == SIM_GUESTS).then_some(items)
        })
        .await
    }

    /// Calls a `/sim/…` fault-injection endpoint.
    pub async fn sim_control(&self, method: Method, path: &str) {
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let response = http
            .request(method, format!("{}/sim/{path}", self.sim.base_url))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "/sim/{path}: {}",
            response.status()
        );
    }

    /// The simulated cluster itself, locked: what Proxmox holds, to check what a job
    /// did there or to plant state the API must then read. Drop it before awaiting.
    pub fn cluster(&self) -> MutexGuard<'_, Cluster> {
        self.sim.sim.cluster.lock()
    }

    /// Asserts that every request the simulator received passed the official PVE schema.
    pub fn assert_every_request_passed_the_schema(&self) {
        assert!(
            self.sim.recorded_entries().iter().all(|e| e.accepted),
            "every request passed the PVE schema"
        );
    }

    /// Stops polling: from then on the mirror only changes through our own API.
    pub async fn stop_inventory(&mut self) {
        if let Some(inventory) = self.inventory.take() {
            inventory.shutdown().await;
        }
    }

    /// Polls again after [`SimApp::stop_inventory`], e.g. to let the mirror learn a
    /// guest planted in the simulator meanwhile.
    pub async fn resume_inventory(&mut self) {
        if self.inventory.is_none() {
            self.inventory = Some(start_inventory(&self.app).await);
        }
    }

    pub async fn shutdown(mut self) {
        self.stop_inventory().await;
        self.sim.shutdown().await;
    }
}

/// Polls `probe` until it yields a value; fails the test after [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
