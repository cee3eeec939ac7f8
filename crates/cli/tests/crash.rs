//! Kill -9 the server while instance-creation jobs are in flight, restart it on the
//! same data directory, and check what a user relies on: every job ends, no guest
//! is created twice, and no guest is left without its owner.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Api, ServeProcess, SimProcess, wait_until};
use reqwest::blocking::Client;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "crash-test-password";
const TOKEN_ID: &str = "root@pam!crash";
const TOKEN_SECRET: &str = "0c9a4f7e-crash-test-0000-000000000000";
const INSTANCES: usize = 6;

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
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let server = ServeProcess::start(&data, ADMIN_PASSWORD, &[]);
    let api = Api::login(&server.url, ADMIN_PASSWORD);
    api.register_sim(&sim, TOKEN_ID, TOKEN_SECRET);
    wait_until("the mirror to fill", Duration::from_secs(60), || {
        !api.instances().is_empty()
    });

    let names: Vec<String> = (0..INSTANCES).map(|i| format!("crash-{i}")).collect();
    let jobs: Vec<String> = names.iter().map(|name| api.launch_lxc(name)).collect();

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
    let api = api.at(&server.url);
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
