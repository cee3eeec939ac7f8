//! A simulator per test, clients for it, `/sim` fault injection, and the schema check
//! every test ends with: each request the simulator accepted must be valid per the
//! official PVE API schema (checked in Rust and by `validate_requests.py`).

use std::io::Write;
use std::ops::Deref;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use proxicloud_pve::{
    Auth, ClusterConfig, Fingerprint, HttpPve, NodeName, RetryPolicy, TlsMode, WaitOptions,
};
use proxicloud_pve_sim::schema::default_schema_path;
use proxicloud_pve_sim::{RunningSim, SimConfig};

pub const TOKEN_ID: &str = "root@pam!ci";
pub const TOKEN_SECRET: &str = "0b8e5c7a-3d2f-4e1b-9a6c-5f4e3d2c1b0a";
pub const USER: &str = "root@pam";
pub const PASSWORD: &str = "sim-password";

pub fn schema_path() -> PathBuf {
    default_schema_path().expect(
        "the official PVE API schema was not found: run from the checkout next to \
         shared/pve-api/ or set PROXICLOUD_PVE_SCHEMA",
    )
}

/// Three nodes, a dozen guests, tasks ~200 times faster than real PVE.
pub fn sim_config() -> SimConfig {
    SimConfig {
        listen: "127.0.0.1:0".parse().expect("static address"),
        nodes: 3,
        guests: 12,
        tokens: vec![(TOKEN_ID.into(), TOKEN_SECRET.into())],
        passwords: vec![(USER.into(), PASSWORD.into())],
        schema_path: Some(schema_path()),
        time_scale: 0.005,
        ..SimConfig::default()
    }
}

/// A test's simulator. Its request log must be checked: a test that ends without
/// [`finish`] fails, so no test can skip the schema check by forgetting it.
pub struct TestSim(Option<RunningSim>);

impl Deref for TestSim {
    type Target = RunningSim;

    fn deref(&self) -> &RunningSim {
        self.0.as_ref().expect("the simulator runs until `finish`")
    }
}

impl Drop for TestSim {
    fn drop(&mut self) {
        // A test already failing has said what went wrong; don't pile on.
        if self.0.is_some() && !std::thread::panicking() {
            panic!(
                "the test ended without `finish(sim)`: its requests were not checked \
                 against the official PVE API schema"
            );
        }
    }
}

pub async fn start(config: SimConfig) -> TestSim {
    let running = proxicloud_pve_sim::start(config)
        .await
        .expect("simulator starts");
    TestSim(Some(running))
}

pub async fn start_default() -> TestSim {
    start(sim_config()).await
}

pub fn pinned(sim: &RunningSim) -> TlsMode {
    let fingerprint: Fingerprint = sim
        .fingerprint
        .as_deref()
        .expect("the simulator serves HTTPS")
        .parse()
        .expect("the simulator prints a valid fingerprint");
    TlsMode::Fingerprint(vec![fingerprint])
}

/// Fast retries so fault-injection tests stay quick.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    }
}

/// The simulator's address with its pinned certificate and fast retries.
fn sim_cluster_config(sim: &RunningSim, auth: Auth) -> ClusterConfig {
    ClusterConfig::new([sim.base_url.as_str()], auth)
        .expect("valid config")
        .with_tls(pinned(sim))
        .with_retry(fast_retry())
}

pub fn token_config(sim: &RunningSim) -> ClusterConfig {
    sim_cluster_config(sim, Auth::token(TOKEN_ID, TOKEN_SECRET))
}

pub fn token_client(sim: &RunningSim) -> HttpPve {
    HttpPve::new(token_config(sim)).expect("client builds")
}

pub fn password_client(sim: &RunningSim, renew_after: Duration) -> HttpPve {
    let config = sim_cluster_config(sim, Auth::password(USER, PASSWORD))
        .with_ticket_renew_after(renew_after);
    HttpPve::new(config).expect("client builds")
}

pub fn node(name: &str) -> NodeName {
    NodeName::new(name).expect("valid node name")
}

pub fn wait() -> WaitOptions {
    WaitOptions {
        poll_interval: Duration::from_millis(20),
        timeout: Duration::from_secs(60),
        log_tail_lines: 20,
    }
}

/// Calls a `/sim/…` control endpoint (no PVE auth, self-signed certificate).
pub async fn control(sim: &RunningSim, method: reqwest::Method, path_and_query: &str) {
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client builds");
    let response = http
        .request(method, format!("{}/sim/{path_and_query}", sim.base_url))
        .send()
        .await
        .expect("simulator reachable");
    assert!(
        response.status().is_success(),
        "/sim/{path_and_query}: {}",
        response.status()
    );
}

/// Ends a test: checks every request the simulator accepted against the official
/// schema (Rust check and the reference validator), appends them to the file named by
/// `PVE_REQUEST_LOG` if set, and shuts the simulator down.
pub async fn finish(mut sim: TestSim) {
    let sim = sim.0.take().expect("`finish` runs once");
    let entries: Vec<_> = sim
        .recorded_entries()
        .into_iter()
        .filter(|e| e.accepted)
        .collect();
    let schema = sim.sim.schema.clone().expect("tests run with the schema");
    let violations: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            schema
                .check_recorded(&e.request, e.token)
                .err()
                .map(|err| format!("{} {}: {err}", e.request.method.as_str(), e.request.path))
        })
        .collect();
    assert!(violations.is_empty(), "schema violations: {violations:#?}");

    let lines: Vec<String> = entries
        .iter()
        .map(|e| serde_json::to_string(&e.request).expect("serialisable"))
        .collect();
    reference_validator(&lines);
    if let Some(path) = std::env::var_os("PVE_REQUEST_LOG") {
        append_lines(&PathBuf::from(path), &lines);
    }
    sim.shutdown().await;
}

fn append_lines(path: &PathBuf, lines: &[String]) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("PVE_REQUEST_LOG is writable");
    // One write per test keeps lines of parallel tests from interleaving.
    let mut chunk = lines.join("\n");
    chunk.push('\n');
    file.write_all(chunk.as_bytes())
        .expect("appending to PVE_REQUEST_LOG");
}

/// Runs `shared/pve-api/validate_requests.py` over the lines; it must report nothing.
fn reference_validator(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let schema = schema_path();
    let script = schema.with_file_name("validate_requests.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg("--schema")
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs the reference validator (the test script installs python3)");
    let mut input = lines.join("\n");
    input.push('\n');
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(input.as_bytes())
        .expect("feeding the validator");
    let output = child.wait_with_output().expect("validator finishes");
    assert!(
        output.status.success(),
        "validate_requests.py found violations:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
#[should_panic(expected = "without `finish(sim)`")]
async fn a_test_that_forgets_the_schema_check_fails() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    proxicloud_pve::Pve::version(&pve)
        .await
        .expect("a request to check");
}
