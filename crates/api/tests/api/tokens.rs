//! API tokens: shown once, usable as bearer credentials, listed without secrets,
//! revocable, refused once expired.

use std::time::Duration;

use proxicloud_domain::iam::tokens::{hash_token, mint_api_token};
use proxicloud_store::{NewApiToken, Role, Timestamp};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::support::{spawn_app, status_and_json};

#[tokio::test]
async fn token_is_shown_once_then_authenticates_until_revoked() {
    let app = spawn_app().await;
    let user = app.insert_user(Role::Operator).await;
    let session = app.login_user(&user).await;
    let create = app.post(
        "/api/v1/tokens",
        &session.access,
        json!({ "name": "terraform", "expires_in_days": 30 }),
    );
    let (status, created) = status_and_json(create.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("pc_"));
    assert!(secret.starts_with(created["token"]["prefix"].as_str().unwrap()));
    let expires =
        Timestamp::parse_rfc3339(created["token"]["expires_at"].as_str().unwrap()).unwrap();
    let in_30_days = Timestamp::now() + Duration::from_secs(30 * 86_400);
    assert!(expires <= in_30_days && expires > in_30_days - Duration::from_secs(60));

    let (status, me) =
        status_and_json(app.get("/api/v1/auth/me", &secret).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            me["user"]["username"].as_str(),
            me["authenticated_by"].as_str()
        ),
        (Some(user.username.as_str()), Some("api_token"))
    );

    let listing = app
        .get("/api/v1/tokens", &session.access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !listing.contains(&secret),
        "the secret is never listed again"
    );
    let listed: serde_json::Value = serde_json::from_str(&listing).unwrap();
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert!(
        listed["items"][0]["last_used_at"].is_string(),
        "use is recorded"
    );

    let revoke = app
        .request(Method::DELETE, &format!("/api/v1/tokens/{id}"))
        .bearer_auth(&session.access);
    assert_eq!(
        revoke.send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &secret)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, listed) = status_and_json(
        app.get("/api/v1/tokens", &session.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(listed["items"][0]["revoked_at"].is_string());
}

#[tokio::test]
async fn expired_and_forged_tokens_are_refused() {
    let app = spawn_app().await;
    let user = app.insert_user(Role::Operator).await;
    let minted = mint_api_token();
    let expired = NewApiToken {
        user_id: user.id,
        name: "old".into(),
        prefix: minted.display_prefix.clone(),
        token_hash: minted.hash.clone(),
        expires_at: Some(Timestamp::now() - Duration::from_secs(1)),
    };
    app.store.api_tokens().insert(expired).await.unwrap();
    let (status, body) = status_and_json(
        app.get("/api/v1/auth/me", minted.secret.expose_secret())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    let forged = format!("pc_{}", "0".repeat(64));
    assert_ne!(hash_token(&forged), minted.hash);
    assert_eq!(
        app.get("/api/v1/auth/me", &forged)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tokens_of_others_are_invisible_except_to_admins() {
    let app = spawn_app().await;
    let alice = app.login_user(&app.insert_user(Role::Operator).await).await;
    let bob = app.login_user(&app.insert_user(Role::Operator).await).await;
    let (alice_token, _) = app.api_token(&alice, "alice-ci").await;
    app.api_token(&bob, "bob-ci").await;

    let (_, bobs_view) =
        status_and_json(app.get("/api/v1/tokens", &bob.access).send().await.unwrap()).await;
    let names: Vec<&str> = bobs_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob-ci"]);
    let steal = app
        .request(Method::DELETE, &format!("/api/v1/tokens/{alice_token}"))
        .bearer_auth(&bob.access);
    assert_eq!(steal.send().await.unwrap().status(), StatusCode::NOT_FOUND);

    let admin = app.admin().await;
    let (_, everything) = status_and_json(
        app.get("/api/v1/tokens", &admin.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(everything["items"].as_array().unwrap().len(), 2);
    let revoke = app
        .request(Method::DELETE, &format!("/api/v1/tokens/{alice_token}"))
        .bearer_auth(&admin.access);
    assert_eq!(
        revoke.send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn token_requests_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bad = app.post(
        "/api/v1/tokens",
        &admin.access,
        json!({ "name": "", "expires_in_days": 0 }),
    );
    let (status, body) = status_and_json(bad.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["name"].is_string()
            && body["error"]["fields"]["expires_in_days"].is_string()
    );
}

#[tokio::test]
async fn a_user_creating_tokens_too_fast_is_told_when_to_try_again() {
    use proxicloud_domain::iam::api_tokens::CREATION_BURST;
    let app = spawn_app().await;
    let alice = app.login_user(&app.insert_user(Role::Readonly).await).await;
    let bob = app.login_user(&app.insert_user(Role::Readonly).await).await;
    let create = |session: &str, name: String| {
        app.post("/api/v1/tokens", session, json!({ "name": name }))
            .send()
    };
    // The whole burst is created; then (allowing a few refills on a slow machine)
    // one is refused.
    let mut created = 0;
    let refused = loop {
        let answer = create(&alice.access, format!("script-{created}"))
            .await
            .unwrap();
        if answer.status() != StatusCode::CREATED {
            break answer;
        }
        created += 1;
        assert!(created <= CREATION_BURST + 20, "never refused");
    };
    assert!(created >= CREATION_BURST, "refused after {created}");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&wait), "Retry-After {wait}");
    let (_, body) = status_and_json(refused).await;
    assert_eq!(body["error"]["code"], "busy");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many API tokens"),
        "{body}"
    );
    // Nothing was created, and another user is not held back.
    let (_, listed) = status_and_json(
        app.get("/api/v1/tokens", &alice.access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), created as usize);
    let other = create(&bob.access, "bob-ci".into()).await.unwrap();
    assert_eq!(other.status(), StatusCode::CREATED);
}
