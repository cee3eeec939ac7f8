//! Each notifier against a local receiver (an axum server on a loopback port): the
//! exact method, path, headers and JSON body its service documents, and errors that
//! never carry the channel's secrets.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::any;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::*;

/// What the receiver saw of one request.
#[derive(Debug)]
struct Received {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Value,
}

/// A receiver answering `status` to everything; returns its base URL and the
/// requests it gets.
async fn receiver(status: StatusCode) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let tx = Arc::new(tx);
    let app = Router::new().fallback(any(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let path = uri.path().to_owned();
                let _ = tx.send(Received {
                    method,
                    path,
                    headers,
                    body,
                });
                status
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, rx)
}

fn note(status: &str, severity: &str) -> Notification {
    Notification {
        alert_id: "0193f0a0-0000-7000-8000-00000000abcd".into(),
        status: status.into(),
        severity: severity.into(),
        rule_name: "Disk over 90 %".into(),
        resource_kind: "instance".into(),
        resource_id: "0193f0a0-0000-7000-8000-000000000101".into(),
        resource_name: "web".into(),
        message: "web (lxc 101 on pve1): disk_percent is 95.0 (> 90)".into(),
        value: Some(95.0),
        at: "2026-01-01T00:05:00.000000Z".into(),
    }
}

async fn deliver(
    channel: Channel,
    note: &Notification,
    rx: &mut mpsc::UnboundedReceiver<Received>,
) -> Received {
    channel
        .send(&Notifier::new(NotifierPolicy::default()), note)
        .await
        .unwrap();
    rx.recv().await.unwrap()
}

fn header<'h>(r: &'h Received, name: &str) -> Option<&'h str> {
    r.headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn the_webhook_posts_our_versioned_document() {
    let (base, mut rx) = receiver(StatusCode::NO_CONTENT).await;
    let url = SecretString::from(format!("{base}/hooks/secret-path"));
    let got = deliver(
        Channel::Webhook { url },
        &note("firing", "warning"),
        &mut rx,
    )
    .await;
    assert_eq!(
        (&got.method, got.path.as_str()),
        (&Method::POST, "/hooks/secret-path")
    );
    assert_eq!(header(&got, "content-type"), Some("application/json"));
    assert_eq!(
        got.body,
        json!({
            "version": 1,
            "status": "firing",
            "alert": {
                "id": "0193f0a0-0000-7000-8000-00000000abcd",
                "rule_name": "Disk over 90 %",
                "severity": "warning",
                "resource": {
                    "kind": "instance",
                    "id": "0193f0a0-0000-7000-8000-000000000101",
                    "name": "web"
                },
                "message": "web (lxc 101 on pve1): disk_percent is 95.0 (> 90)",
                "value": 95.0,
                "at": "2026-01-01T00:05:00.000000Z"
            }
        })
    );
}

#[tokio::test]
async fn ntfy_gets_json_publishing_at_the_root_with_a_bearer_token() {
    let (base, mut rx) = receiver(StatusCode::OK).await;
    let channel = Channel::Ntfy {
        server: format!("{base}/"),
        topic: "homelab".into(),
        token: Some(SecretString::from("tk_abc")),
    };
    let got = deliver(channel, &note("firing", "critical"), &mut rx).await;
    assert_eq!((&got.method, got.path.as_str()), (&Method::POST, "/"));
    assert_eq!(header(&got, "authorization"), Some("Bearer tk_abc"));
    assert_eq!(
        got.body,
        json!({
            "topic": "homelab",
            "title": "[FIRING] Disk over 90 % — web",
            "message": "web (lxc 101 on pve1): disk_percent is 95.0 (> 90)",
            "priority": 5,
            "tags": ["rotating_light", "critical"]
        })
    );
    // Without a token, no Authorization header; a resolution is low priority.
    let channel = Channel::Ntfy {
        server: base,
        topic: "homelab".into(),
        token: None,
    };
    let got = deliver(channel, &note("resolved", "critical"), &mut rx).await;
    assert_eq!(header(&got, "authorization"), None);
    assert_eq!(got.body["priority"], 2);
    assert_eq!(got.body["tags"], json!(["white_check_mark", "critical"]));
}

#[tokio::test]
async fn gotify_gets_a_message_with_the_application_token_header() {
    let (base, mut rx) = receiver(StatusCode::OK).await;
    let channel = Channel::Gotify {
        server: base,
        token: SecretString::from("AppToken.1"),
    };
    let got = deliver(channel, &note("firing", "critical"), &mut rx).await;
    assert_eq!(
        (&got.method, got.path.as_str()),
        (&Method::POST, "/message")
    );
    assert_eq!(header(&got, "x-gotify-key"), Some("AppToken.1"));
    assert_eq!(
        got.body,
        json!({
            "title": "[FIRING] Disk over 90 % — web",
            "message": "web (lxc 101 on pve1): disk_percent is 95.0 (> 90)",
            "priority": 8,
            "extras": { "client::display": { "contentType": "text/plain" } }
        })
    );
}

#[tokio::test]
async fn discord_gets_content_and_an_embed() {
    let (base, mut rx) = receiver(StatusCode::NO_CONTENT).await;
    let webhook_url = SecretString::from(format!("{base}/api/webhooks/1/tok"));
    let got = deliver(
        Channel::Discord { webhook_url },
        &note("resolved", "warning"),
        &mut rx,
    )
    .await;
    assert_eq!(got.path, "/api/webhooks/1/tok");
    assert_eq!(
        got.body,
        json!({
            "content": "[RESOLVED] Disk over 90 % — web",
            "embeds": [{
                "title": "Disk over 90 %",
                "description": "web (lxc 101 on pve1): disk_percent is 95.0 (> 90)",
                "color": 0x2ecc71,
                "timestamp": "2026-01-01T00:05:00.000000Z"
            }]
        })
    );
}

#[tokio::test]
async fn slack_gets_text() {
    let (base, mut rx) = receiver(StatusCode::OK).await;
    let webhook_url = SecretString::from(format!("{base}/services/T0/B0/xyz"));
    let got = deliver(
        Channel::Slack { webhook_url },
        &note("firing", "info"),
        &mut rx,
    )
    .await;
    assert_eq!(got.path, "/services/T0/B0/xyz");
    assert_eq!(
        got.body,
        json!({
            "text": "*[FIRING] Disk over 90 % — web*\nweb (lxc 101 on pve1): disk_percent is 95.0 (> 90)"
        })
    );
}

#[tokio::test]
async fn failures_name_the_service_and_status_never_the_secrets() {
    let (base, _rx) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let secret_url = format!("{base}/api/webhooks/1/very-secret-token");
    let channel = Channel::Discord {
        webhook_url: SecretString::from(secret_url.clone()),
    };
    let error = channel
        .send(
            &Notifier::new(NotifierPolicy::default()),
            &note("firing", "warning"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error,
        "discord: the receiver answered 500 Internal Server Error"
    );
    // Nobody listening: a connection error, still without the URL.
    let closed = Channel::Slack {
        webhook_url: SecretString::from("http://127.0.0.1:9/services/very-secret-token"),
    };
    let error = closed
        .send(
            &Notifier::new(NotifierPolicy::default()),
            &note("firing", "warning"),
        )
        .await
        .unwrap_err();
    assert!(error.starts_with("slack: "), "{error}");
    assert!(!error.contains("very-secret-token"), "{error}");
    let debug = format!("{channel:?} {closed:?}");
    assert!(!debug.contains("very-secret-token"), "{debug}");
}

fn webhook(url: String) -> Channel {
    Channel::Webhook {
        url: SecretString::from(url),
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (elsewhere, mut elsewhere_rx) = receiver(StatusCode::OK).await;
    let app = Router::new().fallback(any(move || {
        let target = format!("{elsewhere}/caught");
        async move { (StatusCode::FOUND, [(axum::http::header::LOCATION, target)]) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let notifier = Notifier::new(NotifierPolicy::default());
    let error = webhook(format!("{base}/hook"))
        .send(&notifier, &note("firing", "warning"))
        .await
        .unwrap_err();
    assert_eq!(error, "webhook: the receiver answered 302 Found");
    // A client following redirects would have reached it before `send` returned.
    assert!(elsewhere_rx.try_recv().is_err());
}

#[tokio::test]
async fn link_local_and_metadata_addresses_are_refused() {
    let notifier = Notifier::new(NotifierPolicy::default());
    for (url, network) in [
        ("http://169.254.169.254/latest/meta-data/", "169.254.0.0/16"),
        (
            "http://[fd00:ec2::254]/latest/meta-data/",
            "fd00:ec2::254/128",
        ),
        ("http://[fe80::1]:8080/hook", "fe80::/10"),
        // An IPv4 address dressed as IPv6, and one written as a number.
        ("http://[::ffff:169.254.169.254]/", "169.254.0.0/16"),
        ("http://2852039166/", "169.254.0.0/16"),
    ] {
        let error = webhook(url.into())
            .send(&notifier, &note("firing", "warning"))
            .await
            .unwrap_err();
        assert!(
            error.starts_with("webhook: the receiver's address ")
                && error.contains(&format!("is in a blocked network ({network})")),
            "{url}: {error}"
        );
        assert!(!error.contains("meta-data"), "{error}");
    }
}

#[tokio::test]
async fn host_names_are_checked_on_the_addresses_they_resolve_to() {
    let (base, mut rx) = receiver(StatusCode::OK).await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let by_name = format!("http://localhost:{port}/hook");
    // Allowed by default: a receiver on this host (a homelab's ntfy often is).
    let open = Notifier::new(NotifierPolicy::default());
    webhook(by_name.clone())
        .send(&open, &note("firing", "warning"))
        .await
        .unwrap();
    assert_eq!(rx.recv().await.unwrap().path, "/hook");

    let strict = Notifier::new(NotifierPolicy {
        blocked: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        ..NotifierPolicy::default()
    });
    for url in [by_name, format!("{base}/hook")] {
        let error = webhook(url.clone())
            .send(&strict, &note("firing", "warning"))
            .await
            .unwrap_err();
        assert!(error.contains("is in a blocked network"), "{url}: {error}");
    }
    assert!(rx.try_recv().is_err());
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let notifier = Notifier::new(NotifierPolicy {
        timeout: std::time::Duration::from_millis(300),
        ..NotifierPolicy::default()
    });
    let started = std::time::Instant::now();
    let error = webhook(format!("{base}/hook"))
        .send(&notifier, &note("firing", "warning"))
        .await
        .unwrap_err();
    assert_eq!(error, "webhook: the receiver did not answer in time");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    held.abort();
}
