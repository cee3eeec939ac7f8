//! User administration and self-service: the rules beyond "who may call what"
//! (that is the matrix's job).

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    ADMIN_PASSWORD, Session, TestApp, TestUser, error_code, spawn_app, status_and_json,
};

/// An operator holding both kinds of credential: a login session and a `pc_` API
/// token. What an admin does to the user must reach both.
struct SignedInOperator {
    user: TestUser,
    session: Session,
    token: String,
}

impl SignedInOperator {
    /// The session's access token and the API token, to check each the same way.
    fn credentials(&self) -> [&str; 2] {
        [&self.session.access, &self.token]
    }
}

async fn signed_in_operator(app: &TestApp) -> SignedInOperator {
    let user = app.insert_user(Role::Operator).await;
    let session = app.login_user(&user).await;
    let (_, token) = app.api_token(&session, "ci").await;
    SignedInOperator {
        user,
        session,
        token,
    }
}

#[tokio::test]
async fn admin_creates_users_with_a_generated_password_shown_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let create = app.post(
        "/api/v1/users",
        &admin.access,
        json!({ "username": "alice", "role": "operator" }),
    );
    let (status, body) = status_and_json(create.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let password = body["generated_password"].as_str().unwrap().to_owned();
    let id = body["user"]["id"].as_str().unwrap().to_owned();
    assert!(body["user"].get("password_hash").is_none());

    let (_, fetched) = status_and_json(
        app.get(&format!("/api/v1/users/{id}"), &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(fetched.get("generated_password").is_none() && fetched["role"] == "operator");
    let alice = app.login("alice", &password).await;
    assert_eq!(
        app.get("/api/v1/auth/me", &alice.access)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let again = app.post(
        "/api/v1/users",
        &admin.access,
        json!({ "username": "ALICE", "role": "readonly" }),
    );
    let (status, body) = status_and_json(again.send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "username_taken")
    );

    let invalid = app.post(
        "/api/v1/users",
        &admin.access,
        json!({ "username": "a b", "role": "operator", "password": "short" }),
    );
    let (status, body) = status_and_json(invalid.send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert!(
        body["error"]["fields"]["username"].is_string()
            && body["error"]["fields"]["password"].is_string()
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_disabled_or_deleted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, me) = status_and_json(
        app.get("/api/v1/auth/me", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/users/{admin_id}");
    let demote = app
        .request(Method::PATCH, &path)
        .bearer_auth(&admin.access)
        .json(&json!({ "role": "operator" }));
    let (status, body) = status_and_json(demote.send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "last_admin")
    );
    let disable = app.post(&format!("{path}/disable"), &admin.access, json!({}));
    assert_eq!(disable.send().await.unwrap().status(), StatusCode::CONFLICT);
    let delete = app
        .request(Method::DELETE, &path)
        .bearer_auth(&admin.access);
    assert_eq!(delete.send().await.unwrap().status(), StatusCode::CONFLICT);

    // With a second admin, the first may step down.
    let second = app.insert_user(Role::Admin).await;
    let demote = app
        .request(Method::PATCH, &path)
        .bearer_auth(&admin.access)
        .json(&json!({ "role": "operator" }));
    assert_eq!(demote.send().await.unwrap().status(), StatusCode::OK);
    // ... and the role change applies to the very next request, with the same token.
    let list = app
        .get("/api/v1/users", &admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::FORBIDDEN);
    let second = app.login_user(&second).await;
    assert_eq!(
        app.get("/api/v1/users", &second.access)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_api_tokens() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let operator = signed_in_operator(&app).await;
    // Both credentials were just used: whatever the server remembers of them must
    // not outlive the disabling.
    for credential in operator.credentials() {
        let me = app.get("/api/v1/auth/me", credential).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK);
    }

    let disable = app.post(
        &format!("/api/v1/users/{}/disable", operator.user.id),
        &admin.access,
        json!({}),
    );
    let (status, body) = status_and_json(disable.send().await.unwrap()).await;
    assert_eq!(
        (status, body["disabled"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    for credential in operator.credentials() {
        assert_eq!(
            app.get("/api/v1/auth/me", credential)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refresh = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": operator.session.refresh }));
    assert_eq!(
        refresh.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    // Enabling lets them log in again, but the revoked API token stays revoked.
    let enable = app.post(
        &format!("/api/v1/users/{}/enable", operator.user.id),
        &admin.access,
        json!({}),
    );
    assert_eq!(enable.send().await.unwrap().status(), StatusCode::OK);
    app.login_user(&operator.user).await;
    assert_eq!(
        app.get("/api/v1/auth/me", &operator.token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn password_reset_by_admin_replaces_the_password_and_ends_sessions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.insert_user(Role::Readonly).await;
    let session = app.login_user(&user).await;
    let reset = app
        .request(
            Method::POST,
            &format!("/api/v1/users/{}/reset-password", user.id),
        )
        .bearer_auth(&admin.access);
    let (status, body) = status_and_json(reset.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let new_password = body["generated_password"].as_str().unwrap();

    let refresh = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": session.refresh }));
    assert_eq!(
        refresh.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.try_login(&user.username, &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login(&user.username, new_password).await;
}

#[tokio::test]
async fn changing_your_own_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let this_device = app.admin().await;
    let other_device = app.admin().await;

    let wrong =
        json!({ "current_password": "not-my-password", "new_password": "a-brand-new-password" });
    let (status, body) = status_and_json(
        app.post("/api/v1/me/password", &this_device.access, wrong)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["current_password"].is_string());

    let right =
        json!({ "current_password": ADMIN_PASSWORD, "new_password": "a-brand-new-password" });
    let (status, renewed) = status_and_json(
        app.post("/api/v1/me/password", &this_device.access, right)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let renewed_access = renewed["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/auth/me", renewed_access)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    for old_refresh in [&this_device.refresh, &other_device.refresh] {
        let refresh = app
            .request(Method::POST, "/api/v1/auth/refresh")
            .json(&json!({ "refresh_token": old_refresh }));
        assert_eq!(
            refresh.send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.try_login("admin", ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login("admin", "a-brand-new-password").await;
}

#[tokio::test]
async fn user_list_is_paginated() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.insert_user(Role::Readonly).await;
    }
    let admin = app.admin().await;
    let (_, first) = status_and_json(
        app.get("/api/v1/users?limit=2", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = status_and_json(
        app.get(
            &format!("/api/v1/users?limit=2&cursor={cursor}"),
            &admin.access,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());
    let bad = app
        .get("/api/v1/users?cursor=nonsense", &admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_role_change_applies_to_the_very_next_request() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let operator = signed_in_operator(&app).await;
    for credential in operator.credentials() {
        let (status, me) =
            status_and_json(app.get("/api/v1/auth/me", credential).send().await.unwrap()).await;
        assert_eq!(
            (status, me["user"]["role"].as_str()),
            (StatusCode::OK, Some("operator"))
        );
    }

    let demote = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{}", operator.user.id),
        )
        .bearer_auth(&admin.access)
        .json(&json!({ "role": "readonly" }));
    assert_eq!(demote.send().await.unwrap().status(), StatusCode::OK);

    for credential in operator.credentials() {
        let (_, me) =
            status_and_json(app.get("/api/v1/auth/me", credential).send().await.unwrap()).await;
        assert_eq!(me["user"]["role"].as_str(), Some("readonly"));
        // Operators may launch (this body then fails validation); readonly may not.
        let launch = app.post("/api/v1/instances", credential, json!({ "type": "lxc" }));
        assert_eq!(launch.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
}
