//! Secrets never reach the logs: passwords, access/refresh/API tokens, password
//! hashes, generated passwords — whether the request succeeds or fails.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, USER_PASSWORD, captured_logs, json_body, spawn_app};

#[tokio::test]
async fn planted_secrets_do_not_appear_in_the_logs() {
    let app = spawn_app().await;
    let mut secrets: Vec<String> = vec![ADMIN_PASSWORD.into(), USER_PASSWORD.into()];
    let planted = |name: &str| format!("Planted-{name}-{}", uuid::Uuid::now_v7().simple());

    let wrong_guess = planted("WrongGuess");
    assert_eq!(
        app.try_login("admin", &wrong_guess).await.status(),
        StatusCode::UNAUTHORIZED
    );
    secrets.push(wrong_guess);

    let admin = app.admin().await;
    let dave_password = planted("DavePassword");
    let create = app.post(
        "/api/v1/users",
        &admin.access,
        json!({ "username": "dave", "role": "operator", "password": dave_password }),
    );
    let created: serde_json::Value = create.send().await.unwrap().json().await.unwrap();
    let dave_id = created["user"]["id"].as_str().unwrap().to_owned();
    let dave = app.login("dave", &dave_password).await;
    let (_, api_token) = app.api_token(&dave, "ci").await;
    assert_eq!(
        app.get("/api/v1/auth/me", &api_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let refreshed = json_body(
        app.request(Method::POST, "/api/v1/auth/refresh")
            .json(&json!({ "refresh_token": dave.refresh })),
    )
    .await;
    secrets.extend([
        dave_password,
        dave.access,
        dave.refresh,
        api_token.clone(),
        admin.access.clone(),
        admin.refresh,
    ]);
    secrets.push(refreshed["access_token"].as_str().unwrap().to_owned());
    secrets.push(refreshed["refresh_token"].as_str().unwrap().to_owned());

    // Credentials that fail must not be logged either.
    let bogus_api_token = format!("pc_{}", planted("BogusToken"));
    let bogus_jwt = planted("BogusJwt");
    for bogus in [&bogus_api_token, &bogus_jwt] {
        assert_eq!(
            app.get("/api/v1/auth/me", bogus)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let bogus_refresh = planted("BogusRefresh");
    let refresh = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": bogus_refresh }));
    assert_eq!(
        refresh.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    secrets.extend([bogus_api_token, bogus_jwt, bogus_refresh]);

    let reset_password = planted("ResetPassword");
    let reset = app.post(
        &format!("/api/v1/users/{dave_id}/reset-password"),
        &admin.access,
        json!({ "password": reset_password }),
    );
    let reset_response = reset.send().await.unwrap();
    assert_eq!(reset_response.status(), StatusCode::OK);
    let reset_request_id = reset_response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let generated = app
        .request(
            Method::POST,
            &format!("/api/v1/users/{dave_id}/reset-password"),
        )
        .bearer_auth(&admin.access);
    let generated: serde_json::Value = generated.send().await.unwrap().json().await.unwrap();
    secrets.push(reset_password);
    secrets.push(generated["generated_password"].as_str().unwrap().to_owned());

    let new_admin_password = planted("NewAdminPassword");
    let change = json!({ "current_password": ADMIN_PASSWORD, "new_password": new_admin_password });
    assert_eq!(
        app.post("/api/v1/me/password", &admin.access, change)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    secrets.push(new_admin_password);

    let stored = app
        .store
        .users()
        .find_by_username("dave")
        .await
        .unwrap()
        .unwrap();
    secrets.push(stored.password_hash);
    secrets.extend(
        app.store
            .api_tokens()
            .list_by_user(stored.id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.token_hash),
    );
    assert_eq!(stored.role, Role::Operator);

    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    // The capture works and covers these requests (else this test proves nothing).
    assert!(
        logs.contains(&reset_request_id),
        "request logs of this test were not captured"
    );
    assert!(logs.contains("request completed"));
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret leaked into the logs: {}…",
            &secret[..12]
        );
    }
}
