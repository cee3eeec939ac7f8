use std::io::Write;
use std::process::{Command, Stdio};

use proxicloud_pve_sim::{RecordEntry, SimConfig};
use reqwest::Method;

use crate::common::{Harness, PASSWORD, USER, config, schema_path};

#[tokio::test]
async fn every_request_is_recorded_with_whether_it_was_accepted() {
    let dir = std::env::temp_dir().join(format!("pve-sim-record-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record_file = dir.join("requests.jsonl");
    let harness = Harness::start(SimConfig {
        record_file: Some(record_file.clone()),
        ..config()
    })
    .await;

    harness
        .api(Method::GET, "/cluster/resources?type=vm")
        .send()
        .await
        .unwrap();
    harness
        .api(Method::GET, "/cluster/resources?type=bogus")
        .send()
        .await
        .unwrap();
    harness
        .anonymous(Method::GET, "/nodes")
        .send()
        .await
        .unwrap();
    harness
        .api(Method::POST, "/nodes/pve1/storage/local-lvm/content")
        .form(&[
            ("vmid", "100"),
            ("filename", "vm-100-disk-3"),
            ("size", "1G"),
        ])
        .send()
        .await
        .unwrap();
    harness
        .anonymous(Method::POST, "/access/ticket")
        .form(&[("username", USER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    let entries = harness.sim.recorded_entries();
    let summary: Vec<(String, bool, u16)> = entries
        .iter()
        .map(|e| (e.request.path.clone(), e.accepted, e.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("/cluster/resources".to_string(), true, 200),
            ("/cluster/resources".to_string(), false, 400),
            ("/nodes".to_string(), false, 401),
            (
                "/nodes/pve1/storage/local-lvm/content".to_string(),
                true,
                200
            ),
            ("/access/ticket".to_string(), true, 200),
        ]
    );
    assert_eq!(entries[3].request.params["size"], "1G");
    assert!(entries[0].token);
    // Recorded exactly as sent (tests check e.g. that renewal posts the ticket).
    assert_eq!(entries[4].request.params["username"], USER);
    assert_eq!(entries[4].request.params["password"], PASSWORD);
    assert_eq!(harness.sim.recorded().len(), 3);

    let from_file: Vec<RecordEntry> = std::fs::read_to_string(&record_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(from_file, entries);

    // The accepted requests in validator format pass the reference validator.
    let jsonl = harness
        .http
        .get(harness.sim_url("/requests?accepted=1&format=jsonl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(jsonl.lines().count(), 3);
    let validator = schema_path().with_file_name("validate_requests.py");
    let mut child = Command::new("python3")
        .arg(&validator)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs validate_requests.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(jsonl.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "validator: {report}");
    assert!(report.contains("3 passed, 0 failed"), "{report}");

    harness
        .http
        .delete(harness.sim_url("/requests"))
        .send()
        .await
        .unwrap();
    assert!(harness.sim.recorded_entries().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn stats_count_requests_per_template() {
    let harness = Harness::default().await;
    for _ in 0..3 {
        harness
            .api(Method::GET, "/nodes/pve1/status")
            .send()
            .await
            .unwrap();
    }
    let stats: serde_json::Value = harness
        .http
        .get(harness.sim_url("/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["data"]["requests"]["GET /nodes/{node}/status"], 3);
    assert_eq!(stats["data"]["guests"], 30);
}
