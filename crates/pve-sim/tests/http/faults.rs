use std::time::{Duration, Instant};

use reqwest::Method;

use crate::common::{Harness, body, reason};

#[tokio::test]
async fn added_latency_delays_api_calls() {
    let harness = Harness::default().await;
    harness.sim_post("/api/latency?ms=600").await;
    let started = Instant::now();
    assert_eq!(
        harness
            .api(Method::GET, "/version")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(600));

    harness.sim_post("/reset").await;
    let started = Instant::now();
    harness.api(Method::GET, "/version").send().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(600));
}

#[tokio::test]
async fn injected_errors_fail_the_next_n_requests_like_pve_errors() {
    let harness = Harness::default().await;
    harness
        .sim_post("/api/errors?status=503&count=2&message=pveproxy%20overloaded")
        .await;
    for _ in 0..2 {
        let response = harness.api(Method::GET, "/version").send().await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(reason(&response), "pveproxy overloaded");
        assert_eq!(body(response).await["message"], "pveproxy overloaded\n");
    }
    assert_eq!(
        harness
            .api(Method::GET, "/version")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Without a count the API keeps failing until cleared.
    harness.sim_post("/api/errors").await;
    for _ in 0..3 {
        let status = harness
            .api(Method::GET, "/nodes")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 500);
    }
    harness
        .http
        .delete(harness.sim_url("/api/errors"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        harness
            .api(Method::GET, "/nodes")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_down_api_drops_connections_until_it_is_up_again() {
    let harness = Harness::default().await;
    harness.sim_post("/api/down").await;
    let error = harness
        .api(Method::GET, "/version")
        .send()
        .await
        .unwrap_err();
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    harness.sim_post("/api/up").await;
    assert_eq!(
        harness
            .api(Method::GET, "/version")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn the_next_task_fails_when_asked_to() {
    let harness = Harness::default().await;
    harness.sim_post("/tasks/fail-next?count=1").await;
    let download = || {
        harness
            .api(Method::POST, "/nodes/pve1/aplinfo")
            .form(&[
                ("storage", "local"),
                ("template", "debian-13-standard_13.1-2_amd64.tar.zst"),
            ])
            .send()
    };
    let upid = body(download().await.unwrap()).await["data"]
        .as_str()
        .unwrap()
        .to_string();
    let failed = harness.wait_task("pve1", &upid).await;
    assert_ne!(failed["exitstatus"], "OK");
    let content = harness
        .get_data("/nodes/pve1/storage/local/content?content=vztmpl")
        .await;
    assert!(
        !content.to_string().contains("debian-13-standard"),
        "a failed download leaves no template"
    );

    let upid = body(download().await.unwrap()).await["data"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(harness.wait_task("pve1", &upid).await["exitstatus"], "OK");
}

#[tokio::test]
async fn an_offline_node_is_unreachable_and_its_guests_unknown() {
    let harness = Harness::default().await;
    harness.sim_post("/nodes/pve2/offline").await;

    let proxied = harness
        .api(Method::GET, "/nodes/pve2/status")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status().as_u16(), 595);
    assert_eq!(
        reason(&proxied),
        "Errors during connection establishment, proxy handshake: No route to host"
    );

    let resources = harness.get_data("/cluster/resources").await;
    let entries = resources.as_array().unwrap();
    let node = entries.iter().find(|e| e["id"] == "node/pve2").unwrap();
    assert_eq!(node["status"], "offline");
    let guests_on_pve2: Vec<_> = entries
        .iter()
        .filter(|e| e["node"] == "pve2" && (e["type"] == "qemu" || e["type"] == "lxc"))
        .collect();
    assert!(!guests_on_pve2.is_empty());
    assert!(guests_on_pve2.iter().all(|g| g["status"] == "unknown"));
    let status = harness.get_data("/cluster/status").await;
    let member = status
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "pve2")
        .unwrap();
    assert_eq!(member["online"], 0);

    harness.sim_post("/nodes/pve2/online").await;
    let back = harness
        .api(Method::GET, "/nodes/pve2/status")
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
}

#[tokio::test]
async fn a_guest_can_be_stuck_locked_and_reset_unlocks_it() {
    let harness = Harness::default().await;
    harness.sim_post("/guests/105/lock?lock=backup").await;
    let resources = harness.get_data("/cluster/resources?type=vm").await;
    let guest = resources
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["vmid"] == 105)
        .unwrap();
    assert_eq!(guest["lock"], "backup");

    harness.sim_post("/reset").await;
    let resources = harness.get_data("/cluster/resources?type=vm").await;
    let guest = resources
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["vmid"] == 105)
        .unwrap();
    assert!(guest.get("lock").is_none());
}
