//! Notification channels and subscriptions: owned resources (readonly callers see
//! their own and change nothing). The target channel points at a port nobody listens
//! on, so a permitted "send test" answers 502.

use proxicloud_store::{ChannelFields, NewSubscription, Timestamp, Uuid};
use serde_json::{Value, json};

use super::common::*;
use crate::support::TestApp;

fn channel(_: &Cell) -> Option<Value> {
    Some(json!({
        "name": "matrix", "kind": "webhook",
        "secrets": { "url": "http://127.0.0.1:9/hook" }
    }))
}

fn rename(_: &Cell) -> Option<Value> {
    Some(json!({ "name": "renamed" }))
}

/// A channel that is not the caller's: refused with 422 by whoever may subscribe.
fn subscription(_: &Cell) -> Option<Value> {
    Some(json!({ "channel_id": Uuid::nil(), "min_severity": "critical" }))
}

/// A channel (and, for `OwnerSubscription`, a subscription to it) of `owner`, made
/// through the store with its secrets sealed as the domain seals them.
pub(in super::super) async fn notification_target(
    app: &TestApp,
    owner: Uuid,
    target: Target,
) -> String {
    let id = Uuid::now_v7();
    let sealed = app.services.platform().master_key.seal(
        br#"{"url":"http://127.0.0.1:9/hook"}"#,
        &format!("notification-channel:{id}:secrets"),
    );
    let fields = ChannelFields {
        name: "target".into(),
        kind: "webhook".into(),
        settings: "{}".into(),
        secrets_sealed: sealed,
        enabled: true,
    };
    let now = Timestamp::now();
    let notifications = app.store.notifications();
    let channel = notifications
        .insert_channel(id, owner, fields, now)
        .await
        .unwrap();
    match target {
        Target::OwnerSubscription => {
            let new = NewSubscription {
                owner_id: owner,
                channel_id: channel.id,
                min_severity: "warning".into(),
                rule_id: None,
                resource_kind: None,
                resource_id: None,
                notify_resolved: true,
            };
            let subscription = notifications.insert_subscription(new, now).await.unwrap();
            subscription.id.to_string()
        }
        _ => channel.id.to_string(),
    }
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row(
            "GET",
            "/api/v1/alerts/channels",
            Nothing,
            no_body,
            any_user(200),
        ),
        row(
            "POST",
            "/api/v1/alerts/channels",
            Nothing,
            channel,
            [401, 403, 201, 201, 201],
        ),
        row(
            "GET",
            "/api/v1/alerts/channels/{id}",
            OwnerChannel,
            no_body,
            OWN_ONLY,
        ),
        row(
            "PATCH",
            "/api/v1/alerts/channels/{id}",
            OwnerChannel,
            rename,
            [401, 403, 200, 404, 200],
        ),
        row(
            "DELETE",
            "/api/v1/alerts/channels/{id}",
            OwnerChannel,
            no_body,
            [401, 403, 204, 404, 204],
        ),
        row(
            "POST",
            "/api/v1/alerts/channels/{id}/test",
            OwnerChannel,
            no_body,
            [401, 403, 502, 404, 502],
        ),
        row(
            "GET",
            "/api/v1/alerts/subscriptions",
            Nothing,
            no_body,
            any_user(200),
        ),
        row(
            "POST",
            "/api/v1/alerts/subscriptions",
            Nothing,
            subscription,
            [401, 403, 422, 422, 422],
        ),
        row(
            "DELETE",
            "/api/v1/alerts/subscriptions/{id}",
            OwnerSubscription,
            no_body,
            [401, 403, 204, 404, 204],
        ),
    ]
}
