//! Notification channels and subscriptions over HTTP: planted secrets never come back
//! (responses, errors, the audit trail, the logs, the database), "send test" reaches
//! a local receiver or reports its answer, and an alert that fires is delivered to a
//! subscribed channel through the outbox.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode as AxumStatus, Uri};
use axum::routing::any;
use proxicloud_domain::alerts::notify::Outbox;
use proxicloud_store::{AlertResource, AlertRuleFields, AlertState, NewAlert, Role, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::{TestApp, captured_logs, spawn_app, status_and_json};

/// A receiver answering each request with the next status of `script` (then the last
/// for ever); sends the path and JSON body of what it got.
async fn receiver(script: Vec<u16>) -> (String, mpsc::UnboundedReceiver<(String, Value)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new().fallback(any(move |uri: Uri, body: Bytes| {
        let tx = tx.clone();
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let status = AxumStatus::from_u16(script[n.min(script.len() - 1)]).unwrap();
        async move {
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let _ = tx.send((uri.path().to_owned(), body));
            status
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, rx)
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value, String) {
    let mut request = app.request(method, path).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let (status, json) = status_and_json(request.send().await.unwrap()).await;
    let text = json.to_string();
    (status, json, text)
}

#[tokio::test]
async fn planted_channel_secrets_never_leave_sealed() {
    let app = spawn_app().await;
    let user = app.insert_user(Role::Operator).await;
    let session = app.login_user(&user).await;
    let admin = app.admin().await;
    let planted = |name: &str| format!("Planted-{name}-{}", uuid::Uuid::now_v7().simple());
    let path_secret = planted("HookPath");
    let token_secret = planted("NtfyToken");
    let new_token = planted("NewToken");
    let (base, mut rx) = receiver(vec![200, 503]).await;
    let mut seen = Vec::new();

    let (status, hook, text) = call(
        &app,
        Method::POST,
        "/api/v1/alerts/channels",
        &session.access,
        Some(json!({
            "name": "hook", "kind": "webhook",
            "secrets": { "url": format!("{base}/hook/{path_secret}") }
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(hook["secrets_set"], json!(["url"]));
    assert_eq!(hook["settings"], json!({}));
    seen.push(text);
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    let (status, ntfy, text) = call(
        &app,
        Method::POST,
        "/api/v1/alerts/channels",
        &session.access,
        Some(json!({
            "name": "phone", "kind": "ntfy",
            "settings": { "server": base, "topic": "lab" },
            "secrets": { "token": token_secret }
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(ntfy["settings"]["topic"], "lab");
    assert_eq!(ntfy["secrets_set"], json!(["token"]));
    seen.push(text);
    let ntfy_id = ntfy["id"].as_str().unwrap().to_owned();

    // A refused change names the field, not the value.
    let (status, _, text) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/alerts/channels/{hook_id}"),
        &session.access,
        Some(json!({ "secrets": { "url": format!("not a url {path_secret}") } })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("secrets.url"), "{text}");
    seen.push(text);
    let (status, patched, text) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/alerts/channels/{ntfy_id}"),
        &session.access,
        Some(json!({ "name": "pager", "secrets": { "token": new_token } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        (patched["name"].as_str(), &patched["secrets_set"]),
        (Some("pager"), &json!(["token"]))
    );
    seen.push(text);

    // Send test: the receiver gets it; then its failure is reported, without the URL.
    let (status, tested, text) = call(
        &app,
        Method::POST,
        &format!("/api/v1/alerts/channels/{hook_id}/test"),
        &session.access,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(tested["last_delivered_at"].is_string());
    let (path, body) = rx.recv().await.unwrap();
    assert_eq!(path, format!("/hook/{path_secret}"));
    assert_eq!(body["status"], "test");
    seen.push(text);
    let (status, failed, text) = call(
        &app,
        Method::POST,
        &format!("/api/v1/alerts/channels/{hook_id}/test"),
        &session.access,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{text}");
    assert_eq!(failed["error"]["code"], "notification_failed");
    assert_eq!(
        failed["error"]["message"],
        "webhook: the receiver answered 503 Service Unavailable"
    );
    seen.push(text);

    for path in [
        "/api/v1/alerts/channels".to_owned(),
        format!("/api/v1/alerts/channels/{hook_id}"),
        format!("/api/v1/alerts/channels/{ntfy_id}"),
    ] {
        let (status, _, text) = call(&app, Method::GET, &path, &session.access, None).await;
        assert_eq!(status, StatusCode::OK);
        seen.push(text);
    }
    let (_, listed, text) = call(
        &app,
        Method::GET,
        "/api/v1/alerts/channels",
        &admin.access,
        None,
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert!(
        text.contains("503 Service Unavailable"),
        "last_error is shown: {text}"
    );
    seen.push(text);
    let (_, _, audit) = call(&app, Method::GET, "/api/v1/audit", &admin.access, None).await;
    assert!(audit.contains("alerts/channels/"), "{audit}");
    seen.push(audit);

    let mut database = std::fs::read(&app.db_path).unwrap();
    if let Ok(wal) = std::fs::read(app.db_path.with_extension("db-wal")) {
        database.extend(wal);
    }
    seen.push(String::from_utf8_lossy(&database).into_owned());
    seen.push(String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned());
    for text in &seen {
        for secret in [&path_secret, &token_secret, &new_token] {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} leaked: {text:.2000}"
            );
        }
    }
}

#[tokio::test]
async fn an_alert_that_fires_reaches_a_subscribed_channel() {
    let app = spawn_app().await;
    let user = app.insert_user(Role::Operator).await;
    let session = app.login_user(&user).await;
    let (base, mut rx) = receiver(vec![200]).await;
    let (status, hook, _) = call(
        &app,
        Method::POST,
        "/api/v1/alerts/channels",
        &session.access,
        Some(json!({ "name": "hook", "kind": "webhook", "secrets": { "url": format!("{base}/alerts") } })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, subscription, text) = call(
        &app,
        Method::POST,
        "/api/v1/alerts/subscriptions",
        &session.access,
        Some(json!({ "channel_id": hook["id"], "min_severity": "warning" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(subscription["notify_resolved"], true);
    let (_, listed, _) = call(
        &app,
        Method::GET,
        "/api/v1/alerts/subscriptions",
        &session.access,
        None,
    )
    .await;
    assert_eq!(listed["items"][0]["id"], subscription["id"]);

    let now = Timestamp::now();
    let rule = app
        .store
        .alerts()
        .insert_rule(
            user.id,
            &AlertRuleFields {
                name: "CPU high".into(),
                metric: "cpu_percent".into(),
                comparison: "gt".into(),
                threshold: 80.0,
                for_seconds: 0,
                scope_kind: "all".into(),
                scope_value: None,
                severity: "critical".into(),
                enabled: true,
            },
            now,
        )
        .await
        .unwrap();
    let alert = NewAlert {
        rule_id: rule.id,
        rule_name: rule.name,
        severity: "critical".into(),
        resource: AlertResource {
            kind: "instance".into(),
            id: "i-1".into(),
        },
        resource_name: "web".into(),
        owner_id: Some(user.id),
        state: AlertState::Firing,
        value: Some(97.0),
        message: "web: cpu_percent is 97.0 (> 80)".into(),
        silenced: false,
        started_at: now,
    };
    let alert = app
        .store
        .alerts()
        .open_alert(&alert)
        .await
        .unwrap()
        .unwrap();
    let report = app
        .services
        .get::<Outbox>()
        .round(Timestamp::now())
        .await
        .unwrap();
    assert_eq!((report.enqueued, report.delivered), (1, 1));
    let (path, body) = rx.recv().await.unwrap();
    assert_eq!(path, "/alerts");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["alert"]["id"], alert.id.to_string());
    assert_eq!(body["alert"]["severity"], "critical");

    let id = subscription["id"].as_str().unwrap();
    let (status, _, _) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/alerts/subscriptions/{id}"),
        &session.access,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
