//! What the audit log says about each entry: a first visit's missing refresh cookie
//! is not an event, and every entry names what it touched — its `kind/id` and, in
//! `details.name`, the name a person knows it by (the instance, the user, the cluster).

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::job_support::{accepted, create, finished_job, spawn_with_engine};
use crate::support::{spawn_app, status_and_json};

async fn audit(app: &crate::support::TestApp, token: &str, query: &str) -> Vec<Value> {
    let body = app.get_json(&format!("/api/v1/audit?{query}"), token).await;
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_first_visit_without_a_refresh_cookie_writes_no_entry() {
    let app = spawn_app().await;
    // What the console does on a first visit: try the (absent) refresh cookie.
    let response = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // A refresh token that is not valid is an attempt worth recording.
    let forged = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": "not-a-refresh-token" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let admin = app.admin().await;
    let refreshes: Vec<Value> = audit(&app, &admin.access, "action=refresh_session")
        .await
        .into_iter()
        .collect();
    assert_eq!(refreshes.len(), 1, "only the forged token: {refreshes:#?}");
    assert_eq!(refreshes[0]["outcome"], json!("denied"));
}

#[tokio::test]
async fn instance_entries_name_the_instance_by_id_and_name() {
    let world = spawn_with_engine().await;
    let (_, alice) = world.user(Role::Operator).await;
    let app = world.app();
    let (_, id) = create(&world, &alice, "named-1").await;
    let stop = accepted(
        app,
        &alice,
        &format!("/api/v1/instances/{id}/stop"),
        json!({}),
        None,
    )
    .await;
    finished_job(app, &alice, stop["id"].as_str().unwrap()).await;

    let log = audit(app, &world.admin.access, "limit=500").await;
    let of = |action: &str| {
        log.iter()
            .find(|entry| entry["action"] == json!(action))
            .unwrap_or_else(|| panic!("no {action} entry in {log:#?}"))
            .clone()
    };
    for action in ["create_instance", "stop_instance"] {
        let entry = of(action);
        assert_eq!(
            (&entry["resource"], &entry["details"]["name"]),
            (&json!(format!("instances/{id}")), &json!("named-1")),
            "{entry:#}"
        );
    }
    world.shutdown().await;
}

#[tokio::test]
async fn user_and_cluster_entries_name_what_they_touched() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let carol = app.insert_user(Role::Readonly).await;
    let response = app
        .post(
            &format!("/api/v1/users/{}/disable", carol.id),
            &admin.access,
            json!({}),
        )
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert!(status.is_success(), "{body}");
    let log = audit(&app, &admin.access, "action=disable_user").await;
    assert_eq!(
        (&log[0]["resource"], &log[0]["details"]["name"]),
        (
            &json!(format!("users/{}", carol.id)),
            &json!(carol.username)
        ),
        "{log:#?}"
    );
}
