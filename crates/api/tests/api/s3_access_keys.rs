//! S3 access keys over HTTP: the secret once (never listed, audited or logged), kept
//! sealed so the S3 endpoint's lookup opens it again, disabling and deleting, and
//! isolation between users.

use proxicloud_domain::s3keys::AccessKeyService;
use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::support::{call, captured_logs, spawn_app};

#[tokio::test]
async fn the_secret_is_shown_once_and_opens_again_for_the_s3_endpoint() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let session = app.login_user(&alice).await;
    let (status, created) =
        call(&app, &session, Method::POST, "/api/v1/s3/access-keys", None).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let access_key_id = created["access_key_id"].as_str().unwrap().to_owned();
    let secret = created["secret_access_key"].as_str().unwrap().to_owned();
    assert_eq!(access_key_id.len(), 20);
    assert_eq!(secret.len(), 40);
    assert_eq!(created["owner_id"], alice.id.to_string());
    assert_eq!(created["disabled"], false);

    // No cache keeps the secret (a second key, looked at as a browser would).
    let second = app
        .post(
            "/api/v1/s3/access-keys",
            &session.access,
            serde_json::json!({}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["cache-control"], "no-store");
    let second: serde_json::Value = second.json().await.unwrap();

    let (_, listed) = call(&app, &session, Method::GET, "/api/v1/s3/access-keys", None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let items = listed["items"].as_array().unwrap();
    assert!(items.iter().any(|k| k["access_key_id"] == access_key_id));
    for shown in [&secret, second["secret_access_key"].as_str().unwrap()] {
        assert!(
            !listed.to_string().contains(shown),
            "the list has no secret"
        );
    }

    let keys = app.services.get::<AccessKeyService>();
    let identity = keys.secret_for(&access_key_id).await.unwrap().unwrap();
    assert_eq!(identity.owner_id, alice.id);
    assert_eq!(identity.secret.expose_secret(), secret);
    assert!(
        keys.secret_for("PCUNKNOWNKEY00000000")
            .await
            .unwrap()
            .is_none()
    );

    let admin = app.admin().await;
    let audit = app
        .request(Method::GET, "/api/v1/audit?limit=500")
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(audit.contains("create_access_key") && audit.contains(&access_key_id));
    assert!(!audit.contains(&secret));
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(!logs.contains(&secret), "the secret reached the logs");
}

#[tokio::test]
async fn disabled_keys_and_disabled_owners_are_refused_and_keys_are_private() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let alice_session = app.login_user(&alice).await;
    let bob_session = app.login_user(&bob).await;
    let (_, created) = call(
        &app,
        &alice_session,
        Method::POST,
        "/api/v1/s3/access-keys",
        None,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let access_key_id = created["access_key_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/s3/access-keys/{id}");
    let keys = app.services.get::<AccessKeyService>();

    let (status, _) = call(&app, &bob_session, Method::DELETE, &path, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "bob does not see alice's key"
    );
    let (_, bobs) = call(
        &app,
        &bob_session,
        Method::GET,
        "/api/v1/s3/access-keys",
        None,
    )
    .await;
    assert_eq!(bobs["items"], json!([]));

    let (status, disabled) = call(
        &app,
        &alice_session,
        Method::PATCH,
        &path,
        Some(json!({ "disabled": true })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{disabled}");
    assert_eq!(disabled["disabled"], true);
    assert!(keys.secret_for(&access_key_id).await.unwrap().is_none());
    call(
        &app,
        &alice_session,
        Method::PATCH,
        &path,
        Some(json!({ "disabled": false })),
    )
    .await;
    assert!(keys.secret_for(&access_key_id).await.unwrap().is_some());

    // Demoted to readonly: the key no longer signs (S3 requests write, and readonly
    // may not); promoted again, it does.
    for (role, signs) in [(Role::Readonly, false), (Role::Operator, true)] {
        let changes = proxicloud_store::UserChanges {
            username: None,
            password_hash: None,
            role: Some(role),
            disabled: None,
        };
        app.store.users().update(alice.id, changes).await.unwrap();
        let identity = keys.secret_for(&access_key_id).await.unwrap();
        assert_eq!(identity.is_some(), signs, "{role:?}");
    }

    let changes = proxicloud_store::UserChanges {
        username: None,
        password_hash: None,
        role: None,
        disabled: Some(true),
    };
    app.store.users().update(alice.id, changes).await.unwrap();
    assert!(
        keys.secret_for(&access_key_id).await.unwrap().is_none(),
        "a disabled account's keys do not sign"
    );

    let admin = app.admin().await;
    let (status, _) = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(keys.secret_for(&access_key_id).await.unwrap().is_none());
}

#[tokio::test]
async fn admins_set_quotas_that_show_usage_and_are_audited() {
    let app = spawn_app().await;
    let alice = app.insert_user(Role::Operator).await;
    let admin = app.admin().await;
    let path = format!("/api/v1/s3/quotas/{}", alice.id);
    let (status, unset) = call(&app, &admin, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{unset}");
    assert_eq!(
        unset,
        json!({ "user_id": alice.id, "max_bytes": null, "max_objects": null,
                "used_bytes": 0, "used_objects": 0 })
    );
    let limits = json!({ "max_bytes": 1_048_576, "max_objects": 10 });
    let (status, set) = call(&app, &admin, Method::PUT, &path, Some(limits)).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["max_bytes"], 1_048_576);
    let (_, read) = call(&app, &admin, Method::GET, &path, None).await;
    assert_eq!(read, set);
    let stored = app
        .services
        .platform()
        .store
        .objects()
        .quota(alice.id)
        .await
        .unwrap();
    assert_eq!(
        (stored.max_bytes, stored.max_objects),
        (Some(1_048_576), Some(10))
    );

    // Unknown users and fields are refused; the owner cannot raise their own quota.
    let nobody = format!("/api/v1/s3/quotas/{}", uuid::Uuid::now_v7());
    let (status, _) = call(&app, &admin, Method::PUT, &nobody, Some(json!({}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let typo = json!({ "max_byte": 5 });
    let (status, _) = call(&app, &admin, Method::PUT, &path, Some(typo)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let session = app.login_user(&alice).await;
    let (status, _) = call(&app, &session, Method::PUT, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let entries = app
        .get_json("/api/v1/audit?action=set_s3_quota", &admin.access)
        .await;
    let entries = entries["items"].as_array().unwrap();
    let resource = format!("s3/quotas/{}", alice.id);
    assert!(
        entries
            .iter()
            .any(|e| e["resource"] == resource && e["details"]["max_objects"] == 10),
        "{entries:#?}"
    );
}
