//! Login, throttling, refresh-token rotation, logout and browser (cookie) sessions.

use std::time::Duration;

use proxicloud_domain::iam::throttle::ThrottlePolicy;
use proxicloud_domain::iam::{IamConfig, IamService};
use proxicloud_store::Role;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::support::{ADMIN_PASSWORD, error_code, spawn_app, spawn_app_with, status_and_json};

#[tokio::test]
async fn login_returns_tokens_that_authenticate_the_user() {
    let app = spawn_app().await;
    let response = app.try_login("admin", ADMIN_PASSWORD).await;
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["username"], "admin");
    assert_eq!(body["user"]["role"], "admin");
    assert!(body["refresh_token"].as_str().unwrap().starts_with("pcr_"));
    assert!(
        body.get("csrf_token").is_none(),
        "bearer clients get no CSRF token"
    );

    let access = body["access_token"].as_str().unwrap();
    let (status, me) =
        status_and_json(app.get("/api/v1/auth/me", access).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["username"], "admin");
    assert_eq!(me["authenticated_by"], "session");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let (status, wrong) = status_and_json(app.try_login("admin", "not-the-password").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, unknown) =
        status_and_json(app.try_login("nobody", "not-the-password").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown, "no hint whether the user exists");
    assert_eq!(error_code(&wrong), "invalid_credentials");
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after_even_for_the_right_password() {
    let policy = ThrottlePolicy {
        window: Duration::from_secs(600),
        max_failures_per_user: 3,
        max_failures_per_ip: 50,
    };
    let app = spawn_app_with(IamConfig {
        throttle: policy,
        ..IamConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.try_login("admin", "guess-guess-guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = app.try_login("Admin", ADMIN_PASSWORD).await;
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "too_many_attempts");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("seconds")
    );
}

#[tokio::test]
async fn disabled_users_cannot_log_in() {
    let app = spawn_app().await;
    let user = app.insert_user(Role::Operator).await;
    let admin = app.admin().await;
    let disable = app.post(
        &format!("/api/v1/users/{}/disable", user.id),
        &admin.access,
        json!({}),
    );
    assert_eq!(disable.send().await.unwrap().status(), StatusCode::OK);

    let (status, body) = status_and_json(app.try_login(&user.username, &user.password).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "account_disabled");
}

async fn refresh(app: &crate::support::TestApp, token: &str) -> (StatusCode, Value) {
    let request = app
        .request(Method::POST, "/api/v1/auth/refresh")
        .json(&json!({ "refresh_token": token }));
    status_and_json(request.send().await.unwrap()).await
}

#[tokio::test]
async fn refresh_rotates_and_reuse_of_a_rotated_token_ends_the_session() {
    let app = spawn_app().await;
    let first = app.admin().await;

    let (status, second) = refresh(&app, &first.refresh).await;
    assert_eq!(status, StatusCode::OK);
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    let second_access = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    assert_eq!(
        app.get("/api/v1/auth/me", &second_access)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // The rotated token shows up again: someone copied it. Everything in the family dies.
    let (status, body) = refresh(&app, &first.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "unauthenticated");
    assert_eq!(
        refresh(&app, &second_refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &second_access)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Other sessions of the same user are not affected.
    let other = app.admin().await;
    assert_eq!(refresh(&app, &other.refresh).await.0, StatusCode::OK);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let response = app
        .post("/api/v1/auth/logout", &session.access, json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        refresh(&app, &session.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    let me = app
        .get("/api/v1/auth/me", &session.access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me.headers()[header::WWW_AUTHENTICATE], "Bearer");

    // With only a refresh token (the access token has expired, say).
    let other = app.admin().await;
    let by_refresh = app
        .request(Method::POST, "/api/v1/auth/logout")
        .json(&json!({ "refresh_token": other.refresh }));
    assert_eq!(
        by_refresh.send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        refresh(&app, &other.refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// `name=value` pairs of the response's `Set-Cookie` headers, and the raw headers.
fn set_cookies(response: &reqwest::Response) -> (Vec<(String, String)>, Vec<String>) {
    let raw: Vec<String> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let pairs = raw
        .iter()
        .map(|line| {
            let (name, value) = line.split(';').next().unwrap().split_once('=').unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (pairs, raw)
}

fn cookie_value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    &pairs.iter().find(|(n, _)| n == name).unwrap().1
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_header_for_writes() {
    let app = spawn_app().await;
    let login = json!({ "username": "admin", "password": ADMIN_PASSWORD, "use_cookies": true });
    let response = app
        .request(Method::POST, "/api/v1/auth/login")
        .json(&login)
        .send()
        .await
        .unwrap();
    let (pairs, raw) = set_cookies(&response);
    let body: Value = response.json().await.unwrap();
    assert!(
        body.get("access_token").is_none() && body.get("refresh_token").is_none(),
        "tokens stay in cookies"
    );
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(cookie_value(&pairs, "pc_csrf"), csrf);
    for line in &raw {
        assert!(line.contains("SameSite=Strict"), "{line}");
        assert_eq!(
            line.contains("HttpOnly"),
            !line.starts_with("pc_csrf="),
            "{line}"
        );
    }
    assert!(
        raw.iter()
            .any(|l| l.starts_with("pc_refresh=") && l.contains("Path=/api/v1/auth"))
    );

    let access = cookie_value(&pairs, "pc_access");
    let cookies = format!("pc_access={access}; pc_csrf={csrf}");
    let me = app
        .request(Method::GET, "/api/v1/auth/me")
        .header(header::COOKIE, &cookies);
    assert_eq!(
        me.send().await.unwrap().status(),
        StatusCode::OK,
        "reads need no CSRF header"
    );

    let create = || {
        app.request(Method::POST, "/api/v1/tokens")
            .header(header::COOKIE, &cookies)
            .json(&json!({"name": "ui"}))
    };
    let (status, body) = status_and_json(create().send().await.unwrap()).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "csrf_failed")
    );
    let forged = create().header("x-csrf-token", "0123456789abcdef0123456789abcdef");
    assert_eq!(forged.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let genuine = create().header("x-csrf-token", &csrf);
    assert_eq!(genuine.send().await.unwrap().status(), StatusCode::CREATED);

    // Refreshing from the cookie, too, needs the header; then it renews every cookie.
    let refresh_cookies = format!(
        "pc_refresh={}; pc_csrf={csrf}",
        cookie_value(&pairs, "pc_refresh")
    );
    let refresh = || {
        app.request(Method::POST, "/api/v1/auth/refresh")
            .header(header::COOKIE, &refresh_cookies)
    };
    assert_eq!(
        refresh().send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let renewed = refresh()
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), StatusCode::OK);
    let (renewed_pairs, _) = set_cookies(&renewed);
    assert_ne!(
        cookie_value(&renewed_pairs, "pc_refresh"),
        cookie_value(&pairs, "pc_refresh")
    );
}

#[tokio::test]
async fn bootstrap_creates_the_admin_only_once() {
    let app = spawn_app().await;
    // spawn_app already bootstrapped with a given password: a second start does nothing.
    assert!(
        app.services
            .get::<IamService>()
            .bootstrap_admin(None)
            .await
            .unwrap()
            .is_none()
    );

    let fresh = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", fresh.path().join("db").display());
    let store = proxicloud_store::connect(&url).await.unwrap();
    let key = proxicloud_domain::secrets::MasterKey::generate();
    let iam = proxicloud_domain::iam::IamService::new(store, &key, IamConfig::default());
    let admin = iam
        .bootstrap_admin(None)
        .await
        .unwrap()
        .expect("first start creates admin");
    assert!(admin.generated);
    assert_eq!(admin.username, "admin");
    let password = secrecy::ExposeSecret::expose_secret(&admin.password).to_owned();
    let session = iam
        .login("admin", password.into(), "127.0.0.1".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(session.user.role, Role::Admin);
}
