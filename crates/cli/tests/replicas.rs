//! Two `proxicloud serve` replicas on one PostgreSQL database and one simulator:
//! exactly one polls the cluster (the elected `inventory` worker); `kill -9` it and the
//! other takes over within one election interval; an SSE client on the replica that
//! runs no jobs (`jobs.workers = 0`) sees the job the other one finished (the
//! `events.relay` over LISTEN/NOTIFY).
//!
//! Needs `PROXICLOUD_TEST_POSTGRES_URL` (`source scripts/postgres.sh`) and `psql`; each
//! run creates its own database.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{Api, ServeProcess, SimProcess, wait_until};

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
    let (a, b) = (
        Api::login(&queuer.url, ADMIN_PASSWORD),
        Api::login(&runner.url, ADMIN_PASSWORD),
    );
    a.register_sim(&sim, TOKEN_ID, TOKEN_SECRET);

    // Exactly one replica polls: the leader has polled, the other stands by.
    wait_until("a leader's first poll", Duration::from_secs(20), || {
        let (wa, wb) = (a.worker("inventory"), b.worker("inventory"));
        [&wa, &wb]
            .iter()
            .any(|w| leads(w) && w["last_run"].is_string())
    });
    let (wa, wb) = (a.worker("inventory"), b.worker("inventory"));
    assert!(leads(&wa) != leads(&wb), "exactly one leader: {wa} / {wb}");
    let standby = if leads(&wa) { &wb } else { &wa };
    assert_eq!(standby["state"], "standby", "{standby}");
    assert!(
        standby["last_run"].is_null(),
        "the standby never polled: {standby}"
    );

    // An SSE client on the queuer sees the job the runner finishes.
    let events = a.events();
    let job = a.launch_lxc("crossing");
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
        let w = survivor.worker("inventory");
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
