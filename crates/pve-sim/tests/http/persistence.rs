use proxicloud_pve_sim::SimConfig;
use reqwest::Method;

use crate::common::{Harness, body, config};

#[tokio::test]
async fn state_survives_a_restart_and_running_tasks_end_interrupted() {
    let dir = std::env::temp_dir().join(format!("pve-sim-state-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("cluster.json");
    let with_state = || SimConfig {
        state_file: Some(state.clone()),
        // Real-time tasks, so the download below is still running at shutdown.
        time_scale: 1.0,
        ..config()
    };

    let first = Harness::start(with_state()).await;
    let allocated = first
        .api(Method::POST, "/nodes/pve3/storage/local-lvm/content")
        .form(&[
            ("vmid", "110"),
            ("filename", "vm-110-disk-4"),
            ("size", "2G"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(allocated.status(), 200);
    let download = first
        .api(Method::POST, "/nodes/pve3/aplinfo")
        .form(&[
            ("storage", "local"),
            ("template", "fedora-42-default_20250428_amd64.tar.xz"),
        ])
        .send()
        .await
        .unwrap();
    let upid = body(download).await["data"].as_str().unwrap().to_string();
    // Firewall groups and staged network changes are cluster state too.
    for (path, form) in [
        (
            "/cluster/firewall/groups",
            [("group", "web"), ("comment", "kept")],
        ),
        (
            "/nodes/pve1/network",
            [("iface", "vmbr9"), ("type", "bridge")],
        ),
    ] {
        let created = first
            .api(Method::POST, path)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 200, "{path}");
    }
    let guests_before = first.get_data("/cluster/resources?type=vm").await;
    first.sim.shutdown().await;
    assert!(state.exists());

    let second = Harness::start(with_state()).await;
    let volumes = second
        .get_data("/nodes/pve3/storage/local-lvm/content?vmid=110")
        .await;
    assert!(
        volumes
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["volid"] == "local-lvm:vm-110-disk-4"
                && v["size"] == 2u64 * 1024 * 1024 * 1024),
        "{volumes}"
    );
    let task = second
        .get_data(&format!(
            "/nodes/pve3/tasks/{}/status",
            crate::common::encode(&upid)
        ))
        .await;
    assert_eq!(task["status"], "stopped");
    assert_eq!(task["exitstatus"], "interrupted by simulator restart");
    let guests_after = second.get_data("/cluster/resources?type=vm").await;
    let ids = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|g| (g["vmid"].clone(), g["name"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&guests_before), ids(&guests_after));
    let groups = second.get_data("/cluster/firewall/groups").await;
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["group"] == "web" && g["comment"] == "kept"),
        "{groups}"
    );
    let network = second
        .api(Method::GET, "/nodes/pve1/network")
        .send()
        .await
        .unwrap();
    let network = body(network).await;
    let staged = network["changes"].as_str().unwrap_or_default();
    assert!(staged.contains("+iface vmbr9"), "still staged: {network}");
    second.sim.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
