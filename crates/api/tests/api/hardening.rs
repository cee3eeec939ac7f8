//! What probing the running server from outside found (issue 18): bodies that are
//! not objects, an admin resetting their own password, and the other edges a
//! well-behaved client never reaches.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::support::{error_code, spawn_app, status_and_json};

#[tokio::test]
async fn only_a_json_object_is_a_request_body() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.insert_user(Role::Operator).await;
    let send = |method: Method, path: String, body: &'static str| {
        app.request(method, &path)
            .bearer_auth(&admin.access)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
    };
    // serde reads an array positionally: `["name", 5]` would be a token named "name".
    let cases = [
        (Method::POST, "/api/v1/tokens".to_owned(), r#"["name", 5]"#),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", user.id),
            r#" [null, "readonly"]"#,
        ),
        (
            Method::POST,
            format!("/api/v1/users/{}/reset-password", user.id),
            "null",
        ),
        (Method::POST, "/api/v1/tokens".to_owned(), r#""name""#),
    ];
    for (method, path, body) in cases {
        let response = send(method.clone(), path.clone(), body)
            .send()
            .await
            .unwrap();
        let (status, json) = status_and_json(response).await;
        assert_eq!(
            (status, error_code(&json)),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            "{method} {path} {body}: {json}"
        );
        if body.trim_start().starts_with('[') {
            assert_eq!(json["error"]["fields"]["body"], "must be a JSON object");
        }
    }
    let (_, shown) = status_and_json(
        app.get(&format!("/api/v1/users/{}", user.id), &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["role"], "operator", "the array changed nothing");
    let (_, tokens) = status_and_json(
        app.get("/api/v1/tokens", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(tokens["items"], json!([]), "no token was created");
}

#[tokio::test]
async fn an_admin_changes_their_own_password_only_with_the_current_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, me) = status_and_json(
        app.get("/api/v1/auth/me", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let my_id = me["user"]["id"].as_str().unwrap().to_owned();
    let reset = app.post(
        &format!("/api/v1/users/{my_id}/reset-password"),
        &admin.access,
        json!({ "password": "a-new-password-nobody-confirmed" }),
    );
    let (status, body) = status_and_json(reset.send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "cannot_reset_own_password")
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/api/v1/me/password")
    );
    // The old password still works: nothing changed.
    app.admin().await;
}
