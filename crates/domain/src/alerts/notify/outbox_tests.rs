//! Stored channels, subscriptions and the outbox with a controlled clock, on a real
//! (SQLite) store and a local receiver: retries until the receiver is back, the lease
//! of a delivery whose worker died, giving up, and who gets notified of what.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::any;
use proxicloud_store::{
    Alert, AlertResource, AlertRuleFields, AlertState, NewAlert, NewDelivery, NewUser, Role, Store,
    Timestamp, Uuid,
};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use super::*;
use crate::alerts::AlertRuleService;
use crate::alerts::rule::Severity;
use crate::error::DomainError;
use crate::iam::{AuthMethod, Principal};
use crate::secrets::MasterKey;

const SECOND: Duration = Duration::from_secs(1);

/// A receiver answering each request with the next status of `script` (the last one
/// for ever after); sends what it got.
async fn receiver(
    script: Vec<StatusCode>,
) -> (String, mpsc::UnboundedReceiver<(StatusCode, Value)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new().fallback(any(move |body: Bytes| {
        let tx = tx.clone();
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let status = script[n.min(script.len() - 1)];
        async move {
            let _ = tx.send((status, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            status
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, rx)
}

struct Fixture {
    store: Arc<dyn Store>,
    channels: Arc<ChannelService>,
    subscriptions: SubscriptionService,
    outbox: Outbox,
    t0: Timestamp,
}

impl Fixture {
    async fn new() -> Self {
        let store = proxicloud_store::connect("sqlite::memory:").await.unwrap();
        let notifier = Arc::new(Notifier::new(NotifierPolicy::default()));
        let channels = Arc::new(ChannelService::new(
            store.clone(),
            Arc::new(MasterKey::generate()),
            notifier.clone(),
        ));
        let rules = Arc::new(AlertRuleService::new(
            store.clone(),
            Arc::new(Notify::new()),
        ));
        Self {
            subscriptions: SubscriptionService::new(store.clone(), rules),
            outbox: Outbox::new(store.clone(), channels.clone(), notifier),
            channels,
            store,
            // 2026-01-01T00:00:00Z
            t0: Timestamp::from_unix_micros(1_767_225_600_000_000).unwrap(),
        }
    }

    async fn user(&self, name: &str, role: Role) -> Principal {
        let user = self
            .store
            .users()
            .create(NewUser {
                username: name.into(),
                password_hash: "x".into(),
                role,
                disabled: false,
            })
            .await
            .unwrap();
        Principal {
            user_id: user.id,
            username: user.username,
            role,
            via: AuthMethod::Session { sid: Uuid::nil() },
        }
    }

    /// A webhook channel of `who` to `url`, subscribed to everything they may see.
    async fn webhook(&self, who: &Principal, url: &str) -> ChannelView {
        let channel = self
            .channels
            .create(
                who,
                ChannelInput {
                    name: "hook".into(),
                    kind: "webhook".into(),
                    settings: Default::default(),
                    secrets: [("url".to_owned(), url.to_owned())].into(),
                    enabled: true,
                },
                self.t0,
            )
            .await
            .unwrap();
        self.subscriptions
            .create(
                who,
                SubscriptionInput {
                    channel_id: channel.row.id,
                    min_severity: Severity::Info,
                    rule_id: None,
                    resource: None,
                    notify_resolved: true,
                },
                self.t0,
            )
            .await
            .unwrap();
        channel
    }

    /// A firing alert of a rule owned by `owner`.
    async fn firing(&self, owner: Uuid, severity: &str) -> Alert {
        let rule = self
            .store
            .alerts()
            .insert_rule(
                owner,
                &AlertRuleFields {
                    name: "CPU high".into(),
                    metric: "cpu_percent".into(),
                    comparison: "gt".into(),
                    threshold: 80.0,
                    for_seconds: 0,
                    scope_kind: "all".into(),
                    scope_value: None,
                    severity: severity.into(),
                    enabled: true,
                },
                self.t0,
            )
            .await
            .unwrap();
        let new = NewAlert {
            rule_id: rule.id,
            rule_name: rule.name,
            severity: severity.into(),
            resource: AlertResource {
                kind: "instance".into(),
                id: Uuid::now_v7().to_string(),
            },
            resource_name: "web".into(),
            owner_id: Some(owner),
            state: AlertState::Firing,
            value: Some(95.0),
            message: "web: cpu_percent is 95.0 (> 80)".into(),
            silenced: false,
            started_at: self.t0,
        };
        self.store.alerts().open_alert(&new).await.unwrap().unwrap()
    }
}

#[tokio::test]
async fn a_receiver_down_twice_gets_the_alert_once_it_is_back() {
    let f = Fixture::new().await;
    let alice = f.user("alice", Role::Operator).await;
    let (base, mut rx) = receiver(vec![
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::OK,
    ])
    .await;
    let channel = f.webhook(&alice, &format!("{base}/hook")).await;
    let alert = f.firing(alice.user_id, "warning").await;

    let first = f.outbox.round(f.t0).await.unwrap();
    assert_eq!((first.enqueued, first.retried), (1, 1));
    let failing = f
        .store
        .notifications()
        .get_channel(channel.row.id)
        .await
        .unwrap();
    assert_eq!(
        failing.last_error.as_deref(),
        Some("webhook: the receiver answered 503 Service Unavailable")
    );
    // Not due yet: the first retry waits 5 s, the second 10 s.
    assert_eq!(
        f.outbox.round(f.t0 + SECOND).await.unwrap(),
        RoundReport::default()
    );
    assert_eq!(f.outbox.round(f.t0 + 5 * SECOND).await.unwrap().retried, 1);
    let third = f.outbox.round(f.t0 + 15 * SECOND).await.unwrap();
    assert_eq!((third.enqueued, third.delivered), (0, 1));
    // Nothing more, however often the round runs.
    assert_eq!(
        f.outbox.round(f.t0 + 60 * SECOND).await.unwrap(),
        RoundReport::default()
    );

    let mut answers = Vec::new();
    while let Ok((status, body)) = rx.try_recv() {
        assert_eq!(body["status"], "firing");
        assert_eq!(body["alert"]["id"], alert.id.to_string());
        answers.push(status.as_u16());
    }
    assert_eq!(answers, [503, 503, 200], "arrived once");
    let healthy = f
        .store
        .notifications()
        .get_channel(channel.row.id)
        .await
        .unwrap();
    assert_eq!(healthy.last_delivered_at, Some(f.t0 + 15 * SECOND));
    assert_eq!(healthy.last_error, None);

    // Resolved: one more delivery.
    let update = proxicloud_store::AlertUpdate {
        state: AlertState::Resolved,
        value: alert.value,
        message: alert.message.clone(),
        silenced: false,
        now: f.t0 + 90 * SECOND,
    };
    f.store
        .alerts()
        .update_alert(alert.id, &update)
        .await
        .unwrap();
    let resolved = f.outbox.round(f.t0 + 90 * SECOND).await.unwrap();
    assert_eq!((resolved.enqueued, resolved.delivered), (1, 1));
    assert_eq!(rx.recv().await.unwrap().1["status"], "resolved");
}

#[tokio::test]
async fn a_delivery_claimed_by_a_worker_that_died_is_sent_after_its_lease() {
    let f = Fixture::new().await;
    let alice = f.user("alice", Role::Operator).await;
    let (base, mut rx) = receiver(vec![StatusCode::OK]).await;
    let channel = f.webhook(&alice, &format!("{base}/hook")).await;
    let alert = f.firing(alice.user_id, "critical").await;
    let notifications = f.store.notifications();
    let new = NewDelivery {
        channel_id: channel.row.id,
        alert_id: alert.id,
        event: "firing".into(),
        payload: serde_json::to_string(&Notification::of(&alert)).unwrap(),
        give_up_at: f.t0 + GIVE_UP_AFTER,
    };
    notifications.enqueue(&[new], f.t0).await.unwrap();
    // A worker claims it and dies before sending.
    assert_eq!(
        notifications
            .claim_due(f.t0, LEASE, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let during = f.outbox.round(f.t0 + SECOND).await.unwrap();
    assert_eq!((during.enqueued, during.delivered), (0, 0), "still leased");
    assert!(rx.try_recv().is_err());
    let after = f.outbox.round(f.t0 + LEASE).await.unwrap();
    assert_eq!(after.delivered, 1);
    assert_eq!(
        rx.recv().await.unwrap().1["alert"]["id"],
        alert.id.to_string()
    );
    assert!(rx.try_recv().is_err(), "once");
}

#[tokio::test]
async fn a_receiver_that_stays_away_is_given_up_with_the_failure_on_the_channel() {
    let f = Fixture::new().await;
    let alice = f.user("alice", Role::Operator).await;
    let (base, _rx) = receiver(vec![StatusCode::BAD_GATEWAY]).await;
    let channel = f.webhook(&alice, &format!("{base}/hook")).await;
    f.firing(alice.user_id, "critical").await;
    assert_eq!(f.outbox.round(f.t0).await.unwrap().retried, 1);
    let last = f.outbox.round(f.t0 + GIVE_UP_AFTER).await.unwrap();
    assert_eq!((last.retried, last.given_up), (0, 1));
    let row = f
        .store
        .notifications()
        .get_channel(channel.row.id)
        .await
        .unwrap();
    assert_eq!(
        row.last_error.as_deref(),
        Some("gave up after 2 attempts: webhook: the receiver answered 502 Bad Gateway")
    );
    assert_eq!(
        f.outbox.round(f.t0 + GIVE_UP_AFTER * 2).await.unwrap(),
        RoundReport::default()
    );
}

#[tokio::test]
async fn users_are_notified_only_of_alerts_they_may_see_and_asked_for() {
    let f = Fixture::new().await;
    let alice = f.user("alice", Role::Operator).await;
    let bob = f.user("bob", Role::Operator).await;
    let root = f.user("root", Role::Admin).await;
    let (base, mut rx) = receiver(vec![StatusCode::OK]).await;
    f.webhook(&bob, &format!("{base}/bob")).await;
    f.webhook(&root, &format!("{base}/root")).await;
    // Alice's critical-only channel.
    let alices = f.webhook(&alice, &format!("{base}/alice")).await;
    let all = f.subscriptions.list(&alice).await.unwrap();
    f.subscriptions.delete(&alice, all[0].id).await.unwrap();
    f.subscriptions
        .create(
            &alice,
            SubscriptionInput {
                channel_id: alices.row.id,
                min_severity: Severity::Critical,
                rule_id: None,
                resource: None,
                notify_resolved: false,
            },
            f.t0,
        )
        .await
        .unwrap();

    // Alice's warning: not Bob's to see, below Alice's least severity; the admin's.
    f.firing(alice.user_id, "warning").await;
    let report = f.outbox.round(f.t0).await.unwrap();
    assert_eq!((report.enqueued, report.delivered), (1, 1));
    let _ = rx.recv().await.unwrap();
    // Alice's critical one: Alice and the admin.
    f.firing(alice.user_id, "critical").await;
    assert_eq!(f.outbox.round(f.t0 + SECOND).await.unwrap().delivered, 2);

    // Subscribing someone else's channel, or a rule one cannot see, is refused.
    let input = |channel_id, rule_id| SubscriptionInput {
        channel_id,
        min_severity: Severity::Info,
        rule_id,
        resource: None,
        notify_resolved: true,
    };
    let refused = f
        .subscriptions
        .create(&bob, input(alices.row.id, None), f.t0)
        .await;
    assert!(matches!(refused, Err(DomainError::Validation(e)) if e.contains_key("channel_id")));
    let alices_rule = f
        .store
        .alerts()
        .list_rules(Some(alice.user_id))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.owner_id == Some(alice.user_id))
        .unwrap()
        .id;
    let bobs = f.channels.list(&bob).await.unwrap()[0].row.id;
    let refused = f
        .subscriptions
        .create(&bob, input(bobs, Some(alices_rule)), f.t0)
        .await;
    assert!(matches!(refused, Err(DomainError::Validation(e)) if e.contains_key("rule_id")));
    // Bob neither sees nor deletes Alice's subscriptions.
    let alices_sub = f.subscriptions.list(&alice).await.unwrap()[0].id;
    assert!(matches!(
        f.subscriptions.delete(&bob, alices_sub).await,
        Err(DomainError::NotFound { .. })
    ));
    assert_eq!(f.subscriptions.list(&root).await.unwrap().len(), 3);
}

#[tokio::test]
async fn channel_secrets_are_sealed_kept_on_update_and_test_reports_the_receiver() {
    let f = Fixture::new().await;
    let alice = f.user("alice", Role::Operator).await;
    let bob = f.user("bob", Role::Operator).await;
    let (base, mut rx) = receiver(vec![StatusCode::SERVICE_UNAVAILABLE, StatusCode::OK]).await;
    let secret_url = format!("{base}/hook/s3cr3t-t0ken");
    let created = f.webhook(&alice, &secret_url).await;
    assert_eq!(created.secrets_set, ["url"]);
    let row = f
        .store
        .notifications()
        .get_channel(created.row.id)
        .await
        .unwrap();
    let sealed = String::from_utf8_lossy(&row.secrets_sealed).to_string();
    assert!(!sealed.contains("s3cr3t"), "sealed at rest");
    assert!(!format!("{created:?} {row:?}").contains("s3cr3t"));

    // A patch without secrets keeps them; clearing a required one is refused.
    let renamed = f
        .channels
        .update(
            &alice,
            created.row.id,
            ChannelPatch {
                name: Some("pager".into()),
                ..ChannelPatch::default()
            },
            f.t0,
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.row.name.as_str(), renamed.secrets_set.clone()),
        ("pager", vec!["url".to_owned()])
    );
    let cleared = f
        .channels
        .update(
            &alice,
            created.row.id,
            ChannelPatch {
                secrets: Some([("url".to_owned(), String::new())].into()),
                ..ChannelPatch::default()
            },
            f.t0,
        )
        .await;
    assert!(matches!(cleared, Err(DomainError::Validation(e)) if e.contains_key("secrets.url")));

    // Send test: the receiver's answer, never the URL.
    let Err(DomainError::BadGateway { code, message }) =
        f.channels.test(&alice, created.row.id, f.t0).await
    else {
        panic!("the receiver answered 503")
    };
    assert_eq!(code, "notification_failed");
    assert_eq!(
        message,
        "webhook: the receiver answered 503 Service Unavailable"
    );
    let tested = f
        .channels
        .test(&alice, created.row.id, f.t0 + SECOND)
        .await
        .unwrap();
    assert_eq!(
        (tested.row.last_delivered_at, tested.row.last_error),
        (Some(f.t0 + SECOND), None)
    );
    let (_, body) = rx.recv().await.unwrap();
    assert_eq!(body["status"], "test");
    // Others' channels are not found.
    assert!(matches!(
        f.channels.test(&bob, created.row.id, f.t0).await,
        Err(DomainError::NotFound { .. })
    ));
}
