//! The secrets vault over HTTP: create, list (never values, paginated), the audited
//! read, update and versions, rollback, delete, and isolation between users.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{call, error_code, spawn_app};

fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_secret_lives_through_versions_and_rollback() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let session = app.login_user(&alice).await;
    let create = json!({ "name": "DB_PASSWORD", "value": "first", "description": "db",
        "tags": ["prod"] });
    let (status, created) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/secrets",
        Some(create),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["owner_id"], alice.id.to_string());
    assert_eq!(created["tags"], json!(["prod"]));
    assert!(created.get("value").is_none());

    let read = app
        .get("/api/v1/secrets/DB_PASSWORD", &session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["cache-control"], "no-store");
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["value"], "first");
    assert_eq!(read["secret"]["name"], "DB_PASSWORD");

    for value in ["second", "third"] {
        let (status, updated) = call(
            &app,
            &session,
            Method::PATCH,
            "/api/v1/secrets/DB_PASSWORD",
            Some(json!({ "value": value })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{updated}");
    }
    let (_, versions) = call(
        &app,
        &session,
        Method::GET,
        "/api/v1/secrets/DB_PASSWORD/versions",
        None,
    )
    .await;
    let numbers: Vec<(u64, bool)> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(numbers, [(3, true), (2, false), (1, false)]);

    let id = created["id"].as_str().unwrap();
    let (status, rolled) = call(
        &app,
        &session,
        Method::POST,
        &format!("/api/v1/secrets/{id}/rollback"),
        Some(json!({ "version": 1 })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rolled}");
    assert_eq!(rolled["version"], 4);
    let (_, read) = call(
        &app,
        &session,
        Method::GET,
        "/api/v1/secrets/DB_PASSWORD",
        None,
    )
    .await;
    assert_eq!(read["value"], "first");
    let (status, body) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/secrets/DB_PASSWORD/rollback",
        Some(json!({ "version": 99 })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/secrets",
        Some(json!({ "name": "DB_PASSWORD", "value": "x" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "secret_name_taken");
    let (status, body) = call(
        &app,
        &session,
        Method::POST,
        "/api/v1/secrets",
        Some(json!({ "name": "not-an-env-name", "value": "x".repeat(64 * 1024 + 1) })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["name"].is_string(), "{body}");
    assert!(body["error"]["fields"]["value"].is_string(), "{body}");

    let (status, _) = call(
        &app,
        &session,
        Method::DELETE,
        "/api/v1/secrets/DB_PASSWORD",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(
        &app,
        &session,
        Method::GET,
        "/api/v1/secrets/DB_PASSWORD",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
}

#[tokio::test]
async fn lists_page_by_name_and_stay_with_their_owner() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let alice_session = app.login_user(&alice).await;
    let bob_session = app.login_user(&bob).await;
    for name in ["C_KEY", "A_KEY", "B_KEY"] {
        let body = json!({ "name": name, "value": format!("value-of-{name}") });
        let (status, _) = call(
            &app,
            &alice_session,
            Method::POST,
            "/api/v1/secrets",
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // Bob may use the same name.
    let body = json!({ "name": "A_KEY", "value": "bobs" });
    let (status, bobs) = call(
        &app,
        &bob_session,
        Method::POST,
        "/api/v1/secrets",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (_, first) = call(
        &app,
        &alice_session,
        Method::GET,
        "/api/v1/secrets?limit=2",
        None,
    )
    .await;
    assert_eq!(names(&first), ["A_KEY", "B_KEY"]);
    assert!(
        !first.to_string().contains("value-of-"),
        "no values in lists"
    );
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = call(
        &app,
        &alice_session,
        Method::GET,
        &format!("/api/v1/secrets?limit=2&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(names(&second), ["C_KEY"]);
    assert!(second["next_cursor"].is_null());
    let (_, filtered) = call(
        &app,
        &alice_session,
        Method::GET,
        "/api/v1/secrets?q=b_k",
        None,
    )
    .await;
    assert_eq!(names(&filtered), ["B_KEY"]);

    // Bob sees only his own, reads his own by name, and not Alice's by id.
    let (_, bobs_list) = call(&app, &bob_session, Method::GET, "/api/v1/secrets", None).await;
    assert_eq!(names(&bobs_list), ["A_KEY"]);
    let (_, read) = call(
        &app,
        &bob_session,
        Method::GET,
        "/api/v1/secrets/A_KEY",
        None,
    )
    .await;
    assert_eq!(read["value"], "bobs");
    let alice_a = first["items"][0]["id"].as_str().unwrap();
    for method in [Method::GET, Method::DELETE] {
        let (status, _) = call(
            &app,
            &bob_session,
            method,
            &format!("/api/v1/secrets/{alice_a}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // An admin lists everyone's and reads any by id.
    let admin = app.admin().await;
    let (_, all) = call(&app, &admin, Method::GET, "/api/v1/secrets", None).await;
    assert_eq!(names(&all), ["A_KEY", "A_KEY", "B_KEY", "C_KEY"]);
    let bobs_id = bobs["id"].as_str().unwrap();
    let (_, read) = call(
        &app,
        &admin,
        Method::GET,
        &format!("/api/v1/secrets/{bobs_id}"),
        None,
    )
    .await;
    assert_eq!(read["value"], "bobs");
}
