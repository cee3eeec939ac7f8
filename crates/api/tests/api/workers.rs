//! `/api/v1/system/workers` and the `workers` of `/readyz`: the supervisor's states as
//! admins (in full) and anyone (in short) see them.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_domain::workers::{Periodic, Supervisor, SupervisorConfig, WorkerScope};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::sync::mpsc;

use crate::sim_support::eventually;
use crate::support::{spawn_app, status_and_json};

#[tokio::test]
async fn admins_see_each_workers_state_and_readiness_lists_them() {
    let app = spawn_app().await;
    let (ticked, mut ticks) = mpsc::unbounded_channel();
    let failing = Periodic::new(
        "retention",
        WorkerScope::Deployment,
        Duration::from_secs(3600),
        move || {
            let _ = ticked.send(());
            async { Err("disk full".to_owned()) }
        },
    );
    let workers = Supervisor::start(
        app.store.clone(),
        vec![Arc::new(failing)],
        SupervisorConfig::default(),
    );
    app.state.workers.attach(&workers);
    ticks.recv().await.expect("the worker ticks");
    // The tick's outcome is recorded right after it returns.
    let admin = app.admin().await;
    let body = eventually("the failed tick to be recorded", || async {
        let body = app.get_json("/api/v1/system/workers", &admin.access).await;
        (body["items"][0]["last_error"] == json!("disk full")).then_some(body)
    })
    .await;
    let worker = &body["items"][0];
    assert_eq!(worker["name"], "retention");
    assert_eq!(worker["scope"], "deployment");
    assert_eq!(worker["state"], "running");
    assert_eq!(worker["leader"], true, "SQLite: the one process leads");
    assert_eq!(worker["restarts"], 0);
    assert!(worker["last_run"].is_string() && worker["next_run"].is_string());

    let (status, ready) =
        status_and_json(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ready["workers"],
        json!([{"name": "retention", "scope": "deployment", "state": "running", "leader": true}]),
        "no errors or times for anonymous callers"
    );

    workers.shutdown().await;
    let (_, ready) =
        status_and_json(app.request(Method::GET, "/readyz").send().await.unwrap()).await;
    assert_eq!(ready["workers"][0]["state"], "stopped");
}
