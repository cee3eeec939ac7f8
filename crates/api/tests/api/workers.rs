//! `/api/v1/system/workers` and the `workers` of `/readyz`: the supervisor's states as
//! admins (in full) and anyone (in short) see them. (Failures, back-off and elections
//! are the supervisor's own tests, in `domain::workers`.)

use proxicloud_domain::app::Start;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{spawn_app, status_and_json};

#[tokio::test]
async fn admins_see_each_workers_state_and_readiness_lists_them() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let before = app.get_json("/api/v1/system/workers", &admin.access).await;
    assert_eq!(before["items"], json!([]), "nothing started yet");

    let running = app
        .services
        .start(Start {
            jobs: false,
            workers: true,
        })
        .await
        .unwrap();
    let body = app.get_json("/api/v1/system/workers", &admin.access).await;
    let items = body["items"].as_array().unwrap();
    let by_name = |name: &str| {
        items
            .iter()
            .find(|w| w["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {body}"))
    };
    let relay = by_name("events.relay");
    assert_eq!(
        (&relay["scope"], &relay["state"]),
        (&json!("replica"), &json!("running"))
    );
    let inventory = by_name("inventory");
    assert_eq!(inventory["scope"], "deployment");
    // On SQLite the one process leads at once (no election to wait for).
    assert_eq!(
        (&inventory["state"], &inventory["leader"]),
        (&json!("running"), &json!(true))
    );
    for worker in items {
        assert_eq!(
            (&worker["restarts"], &worker["last_error"]),
            (&json!(0), &json!(null))
        );
        for field in ["last_run", "last_error_at", "next_run"] {
            assert!(worker.get(field).is_some(), "{field} missing from {worker}");
        }
    }

    let (status, ready) =
        status_and_json(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let summaries = ready["workers"].as_array().unwrap();
    assert_eq!(summaries.len(), items.len());
    assert!(
        summaries.contains(
            &json!({"name": "inventory", "scope": "deployment", "state": "running", "leader": true})
        ),
        "{ready}"
    );
    assert!(
        summaries.iter().all(|w| w.get("last_error").is_none()),
        "no errors for anonymous callers"
    );

    running.shutdown().await;
    let (_, ready) =
        status_and_json(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert!(
        ready["workers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["state"] == "stopped"),
        "{ready}"
    );
}
