//! A simulator on a free port and an HTTPS client that trusts its self-signed
//! certificate (these tests only: real clients pin the fingerprint).

use std::path::PathBuf;
use std::time::Duration;

use proxicloud_pve_sim::schema::default_schema_path;
use proxicloud_pve_sim::{RunningSim, SimConfig};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub const TOKEN_ID: &str = "root@pam!ci";
pub const TOKEN_SECRET: &str = "5e3b7c1a-9f0d-4c8e-b2a6-0d1e2f3a4b5c";
pub const USER: &str = "root@pam";
pub const PASSWORD: &str = "correct horse";

/// The official schema; every test runs with it, and fails loudly without it.
pub fn schema_path() -> PathBuf {
    default_schema_path().expect(
        "the official PVE API schema was not found: run the tests from the checkout next to \
         shared/pve-api/ or set PROXICLOUD_PVE_SCHEMA to pve-api-schema.json",
    )
}

/// Three nodes, thirty guests, fast tasks.
pub fn config() -> SimConfig {
    SimConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        nodes: 3,
        guests: 30,
        tokens: vec![(TOKEN_ID.into(), TOKEN_SECRET.into())],
        passwords: vec![(USER.into(), PASSWORD.into())],
        schema_path: Some(schema_path()),
        time_scale: 0.005,
        ..SimConfig::default()
    }
}

pub struct Harness {
    pub sim: RunningSim,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start(config: SimConfig) -> Self {
        let sim = proxicloud_pve_sim::start(config)
            .await
            .expect("simulator starts");
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self { sim, http }
    }

    pub async fn default() -> Self {
        Self::start(config()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api2/json{path}", self.sim.base_url)
    }

    /// A request without credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request authenticated with the API token.
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path).header(
            "Authorization",
            format!("PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"),
        )
    }

    pub async fn get_data(&self, path: &str) -> Value {
        let response = self.api(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        body(response).await["data"].take()
    }

    pub fn sim_url(&self, path: &str) -> String {
        format!("{}/sim{path}", self.sim.base_url)
    }

    pub async fn sim_post(&self, path: &str) -> Value {
        let response = self.http.post(self.sim_url(path)).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "POST /sim{path}: {}",
            response.status()
        );
        body(response).await
    }

    /// Polls a task until it stops; returns its final status object.
    pub async fn wait_task(&self, node: &str, upid: &str) -> Value {
        let path = format!("/nodes/{node}/tasks/{}/status", encode(upid));
        for _ in 0..400 {
            let status = self.get_data(&path).await;
            if status["status"] == "stopped" {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("task {upid} did not finish");
    }
}

pub async fn body(response: Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// The HTTP reason phrase exactly as sent (hyper keeps non-canonical ones).
pub fn reason(response: &Response) -> String {
    match response.extensions().get::<hyper::ext::ReasonPhrase>() {
        Some(phrase) => String::from_utf8_lossy(phrase.as_bytes()).into_owned(),
        None => response
            .status()
            .canonical_reason()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Percent-encodes a path segment (UPIDs and volume ids contain ':' and '/').
pub fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}
