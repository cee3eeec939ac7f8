//! `GET /metrics` against the simulator: an admin's API token reads the Prometheus
//! exposition of every cluster, node, storage and guest, which Debian's `promtool check
//! metrics` accepts (installed by scripts/install-test-deps.sh); others are refused.

use std::io::Write;
use std::process::{Command, Stdio};

use proxicloud_store::Role;
use reqwest::StatusCode;

use crate::sim_support::{SIM_GUESTS, spawn_app_with_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_scrape_an_exposition_promtool_accepts() {
    let world = spawn_app_with_sim().await;
    let admin = world.app.admin().await;
    world.register(&admin).await;
    world.wait_for_inventory(&admin).await;
    let (_, token) = world.app.api_token(&admin, "prometheus").await;

    let response = world.app.get("/metrics", &token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let lines = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(lines("pve_guest_info{"), SIM_GUESTS, "{text}");
    assert_eq!(lines("pve_node_info{"), 3);
    assert!(
        text.contains("pve_up{cluster=\"sim\",id=\"cluster\"} 1"),
        "{text}"
    );
    assert!(lines("pve_memory_usage_bytes{") >= 3 + SIM_GUESTS);
    assert!(lines("pve_disk_size_bytes{cluster=\"sim\",id=\"storage/") > 0);
    assert!(text.trim_end().ends_with("# EOF"));

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`; scripts/install-test-deps.sh installs it)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    let operator = world.app.insert_user(Role::Operator).await;
    let operator = world.app.login_user(&operator).await;
    let refused = world
        .app
        .get("/metrics", &operator.access)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    world.shutdown().await;
}
