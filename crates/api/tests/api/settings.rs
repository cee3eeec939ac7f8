//! `/api/v1/settings`: everyone reads, admins write, writes are validated and audited.

use std::time::Duration;

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{error_code, spawn_app, status_and_json};

#[tokio::test]
async fn everyone_reads_the_defaults_and_admins_change_them() {
    let app = spawn_app().await;
    let reader = app.insert_user(Role::Readonly).await;
    let reader = app.login_user(&reader).await;
    let admin = app.admin().await;

    let (status, defaults) = status_and_json(
        app.get("/api/v1/settings", &reader.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(defaults["network"]["dns_domain"], json!("prox.local"));
    assert_eq!(defaults["system"]["poll_interval_secs"], json!(10));

    let mut wanted = defaults.clone();
    wanted["system"]["poll_interval_secs"] = json!(30);
    wanted["resources"]["cores"] = json!(2);
    wanted["network"]["dns_domain"] = json!("Lab.Example");
    let put = |session: &str, body: &Value| {
        app.request(Method::PUT, "/api/v1/settings")
            .bearer_auth(session)
            .json(body)
    };

    let (status, _) = status_and_json(put(&reader.access, &wanted).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut poll_interval = app.services.platform().settings.poll_interval();
    let (status, saved) = status_and_json(put(&admin.access, &wanted).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["network"]["dns_domain"],
        json!("lab.example"),
        "normalised"
    );
    let (_, read_back) = status_and_json(
        app.get("/api/v1/settings", &reader.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(read_back, saved);
    assert_eq!(
        *poll_interval.borrow_and_update(),
        Duration::from_secs(30),
        "the inventory follows"
    );

    let (_, audit) = status_and_json(
        app.get("/api/v1/audit?action=update_settings", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let outcomes: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["outcome"].as_str())
        .collect();
    assert_eq!(
        outcomes.len(),
        2,
        "the refused and the accepted write: {audit}"
    );
}

#[tokio::test]
async fn invalid_settings_are_refused_field_by_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, mut settings) = status_and_json(
        app.get("/api/v1/settings", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    settings["network"]["dhcp_range"]["start"] = json!("192.168.1.10");
    settings["system"]["log_level"] = json!("loud");
    let response = app
        .request(Method::PUT, "/api/v1/settings")
        .bearer_auth(&admin.access)
        .json(&settings)
        .send();
    let (status, error) = status_and_json(response.await.unwrap()).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let fields: Vec<&String> = error["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(fields, ["network.dhcp_range.start", "system.log_level"]);

    // A partial document is refused too: PUT replaces everything.
    let partial = json!({ "system": settings["system"] });
    let response = app
        .request(Method::PUT, "/api/v1/settings")
        .bearer_auth(&admin.access)
        .json(&partial)
        .send();
    let (status, _) = status_and_json(response.await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
