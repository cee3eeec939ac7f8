//! `/api/v1/clusters` against the simulator: CRUD with the secret never in a
//! response or a log line, and connection tests naming the precise error.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sim_support::{SimApp, TOKEN_ID, spawn_app_with_sim};
use crate::support::{captured_logs, error_code, status_and_json};

/// Sends a request and returns its status and body, asserting the body never holds
/// the planted token secret.
async fn call(sim: &SimApp, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(&sim.token_secret),
        "{status}: the secret leaked: {text}"
    );
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

#[tokio::test]
async fn cluster_crud_never_shows_or_logs_the_secret() {
    let sim = spawn_app_with_sim().await;
    let app = &sim.app;
    let admin = app.admin().await;

    let (status, created) = call(
        &sim,
        app.post("/api/v1/clusters", &admin.access, sim.cluster_body("lab")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["secret_set"], json!(true));
    assert_eq!(
        created["auth"],
        json!({ "type": "token", "token_id": TOKEN_ID })
    );
    assert_eq!(created["addresses"], json!([sim.sim.base_url]));
    assert_eq!(created["tls_fingerprint"], json!(sim.sim.fingerprint));
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/clusters/{id}");

    let (status, list) = call(&sim, app.get("/api/v1/clusters", &admin.access)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, one) = call(&sim, app.get(&path, &admin.access)).await;
    assert_eq!(
        (status, one["name"].as_str()),
        (StatusCode::OK, Some("lab"))
    );

    // Renamed without resending the secret: the stored one is kept and still works.
    let mut renamed = sim.cluster_body("lab-renamed");
    renamed["auth"].as_object_mut().unwrap().remove("secret");
    let (status, updated) = call(
        &sim,
        app.request(Method::PUT, &path)
            .bearer_auth(&admin.access)
            .json(&renamed),
    )
    .await;
    assert_eq!(
        (status, updated["name"].as_str()),
        (StatusCode::OK, Some("lab-renamed"))
    );
    assert_eq!(updated["secret_set"], json!(true));
    let (_, tested) = call(
        &sim,
        app.post(&format!("{path}/test"), &admin.access, json!({})),
    )
    .await;
    assert_eq!(tested["ok"], json!(true), "{tested}");

    let (_, audit) = call(&sim, app.get("/api/v1/audit?limit=100", &admin.access)).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["create_cluster", "update_cluster", "test_cluster"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }

    let (status, body) = call(
        &sim,
        app.request(Method::DELETE, &path)
            .bearer_auth(&admin.access),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unconfirmed: {body}"
    );
    assert!(body["error"]["fields"]["confirm"].is_string(), "{body}");
    let (status, _) = call(
        &sim,
        app.request(Method::DELETE, &path)
            .bearer_auth(&admin.access)
            .json(&json!({ "confirm": "lab-renamed" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = status_and_json(app.get(&path, &admin.access).send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );

    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(
        !logs.contains(&sim.token_secret),
        "the token secret reached the logs"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn connection_tests_report_success_then_the_precise_error() {
    let sim = spawn_app_with_sim().await;
    let app = &sim.app;
    let admin = app.admin().await;
    let id = sim.register(&admin).await;
    let path = format!("/api/v1/clusters/{id}");
    let test = || async {
        call(
            &sim,
            app.post(&format!("{path}/test"), &admin.access, json!({})),
        )
        .await
    };

    let (status, ok) = test().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ok["ok"], json!(true), "{ok}");
    assert_eq!(ok["version"], json!("9.1.1"));
    assert_eq!(ok["nodes"].as_array().unwrap().len(), 3);
    assert!(ok["latency_ms"].is_u64());

    let mut bad_token = sim.cluster_body("sim");
    bad_token["auth"]["secret"] = json!("00000000-0000-0000-0000-000000000000");
    let (status, _) = call(
        &sim,
        app.request(Method::PUT, &path)
            .bearer_auth(&admin.access)
            .json(&bad_token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, failed) = test().await;
    assert_eq!(failed["ok"], json!(false));
    assert_eq!(
        failed["error"]["category"],
        json!("unauthorized"),
        "{failed}"
    );

    let mut wrong_pin = sim.cluster_body("sim");
    wrong_pin["tls_fingerprint"] = json!("AB".repeat(32));
    let (status, _) = call(
        &sim,
        app.request(Method::PUT, &path)
            .bearer_auth(&admin.access)
            .json(&wrong_pin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, failed) = test().await;
    assert_eq!(failed["error"]["category"], json!("tls"), "{failed}");
    let presented = sim.sim.fingerprint.clone().unwrap();
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&presented),
        "{failed}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_clusters_are_refused_field_by_field() {
    let sim = spawn_app_with_sim().await;
    let app = &sim.app;
    let admin = app.admin().await;
    let mut body = sim.cluster_body("");
    body["addresses"] = json!(["http://pve1:8006"]);
    body["tls_fingerprint"] = json!("AA:BB");
    body["auth"] = json!({ "type": "token", "token_id": "root@pam" });
    let (status, error) = status_and_json(
        app.post("/api/v1/clusters", &admin.access, body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&String> = error["error"]["fields"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        fields,
        [
            "addresses",
            "auth.secret",
            "auth.token_id",
            "name",
            "tls_fingerprint"
        ]
    );

    sim.register(&admin).await;
    let (status, error) = status_and_json(
        app.post("/api/v1/clusters", &admin.access, sim.cluster_body("sim"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::CONFLICT, "cluster_name_taken")
    );
    sim.shutdown().await;
}

/// "Test connection" before saving: the settings typed into the add form are tried
/// as they are, nothing is stored, and a failure is an answer (the form warns, it does
/// not block the save).
#[tokio::test]
async fn unsaved_settings_can_be_tested_before_saving() {
    let sim = spawn_app_with_sim().await;
    let app = &sim.app;
    let admin = app.admin().await;
    let test = |body: serde_json::Value| async {
        call(&sim, app.post("/api/v1/clusters/test", &admin.access, body)).await
    };
    let (status, ok) = test(sim.cluster_body("typed")).await;
    assert_eq!((status, &ok["ok"]), (StatusCode::OK, &json!(true)), "{ok}");
    assert_eq!(ok["nodes"].as_array().unwrap().len(), 3);

    let mut nothing_there = sim.cluster_body("typed");
    nothing_there["addresses"] = json!(["https://127.0.0.1:1"]);
    let (status, failed) = test(nothing_there).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        failed["error"]["category"],
        json!("unreachable"),
        "{failed}"
    );

    let (status, body) = test(json!({ "name": "typed", "addresses": [] })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, clusters) = call(&sim, app.get("/api/v1/clusters", &admin.access)).await;
    assert_eq!(clusters["items"], json!([]), "nothing was saved");
    sim.shutdown().await;
}
