//! A client nobody on this project wrote — proxmoxer, the common Python PVE
//! library — drives the simulator through a guest's whole life, and every request
//! the simulator accepted from it must be valid for real Proxmox VE.

mod common;

use std::process::Command;

use common::{SimProcess, validate_with_official_script};

#[test]
fn proxmoxer_runs_a_container_lifecycle_against_the_simulator() {
    let dir = std::env::temp_dir().join(format!("proxicloud-proxmoxer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = dir.join("requests.jsonl");
    let _ = std::fs::remove_file(&record);
    let sim = SimProcess::start(&[
        "--password",
        "root@pam:proxmoxer-secret",
        "--record",
        record.to_str().unwrap(),
    ]);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/proxmoxer_drive.py");
    let out = Command::new("python3")
        .args([
            script,
            "127.0.0.1",
            &sim.port.to_string(),
            "root@pam",
            "proxmoxer-secret",
        ])
        .output()
        .expect("running python3 (scripts/install-test-deps.sh installs proxmoxer)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "proxmoxer drive failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("proxmoxer drive OK"), "{stdout}");

    // Only what the simulator accepted must be valid PVE; the script also sends
    // requests PVE refuses (starting a running guest) on purpose.
    let accepted: Vec<String> = std::fs::read_to_string(&record)
        .expect("the simulator wrote its request record")
        .lines()
        .filter(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("record line is JSON");
            value
                .get("accepted")
                .and_then(|a| a.as_bool())
                .unwrap_or(true)
        })
        .map(str::to_string)
        .collect();
    assert!(
        accepted.len() >= 15,
        "too few requests recorded: {}",
        accepted.len()
    );
    let filtered = dir.join("accepted.jsonl");
    std::fs::write(&filtered, accepted.join("\n")).unwrap();
    match validate_with_official_script(&filtered) {
        Ok(summary) => assert!(summary.contains(" 0 failed"), "{summary}"),
        Err(report) => panic!("requests real PVE would reject:\n{report}"),
    }
}
