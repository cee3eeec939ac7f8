//! The request bodies, one function per service, as each documents them:
//! - ntfy, "Publish as JSON" (<https://docs.ntfy.sh/publish/#publish-as-json>):
//!   `topic`, `message`, `title`, `priority` 1–5, `tags` (emoji short codes);
//! - Gotify, `POST /message` (<https://gotify.net/api-docs>): `title`, `message`,
//!   `priority` (0–10, 8+ is high), `extras`;
//! - Discord, Execute Webhook (<https://discord.com/developers/docs/resources/webhook>):
//!   `content` (≤ 2000 characters) and `embeds` (`title`, `description`, `color` as
//!   an integer);
//! - Slack, incoming webhooks (<https://api.slack.com/messaging/webhooks>): `text`;
//! - our webhook: a versioned document with the alert's fields.

use serde_json::{Value, json};

use super::Notification;

/// ntfy priority: 5 max/urgent, 4 high, 3 default; resolutions are low (2).
fn ntfy_priority(note: &Notification) -> u8 {
    match (note.status.as_str(), note.severity.as_str()) {
        ("resolved", _) => 2,
        (_, "critical") => 5,
        (_, "warning") => 4,
        _ => 3,
    }
}

pub fn webhook(note: &Notification) -> Value {
    json!({
        "version": 1,
        "status": note.status,
        "alert": {
            "id": note.alert_id,
            "rule_name": note.rule_name,
            "severity": note.severity,
            "resource": {
                "kind": note.resource_kind,
                "id": note.resource_id,
                "name": note.resource_name,
            },
            "message": note.message,
            "value": note.value,
            "at": note.at,
        },
    })
}

pub fn ntfy(note: &Notification, topic: &str) -> Value {
    let tag = if note.status == "resolved" {
        "white_check_mark"
    } else {
        "rotating_light"
    };
    json!({
        "topic": topic,
        "title": note.title(),
        "message": note.message,
        "priority": ntfy_priority(note),
        "tags": [tag, note.severity],
    })
}

pub fn gotify(note: &Notification) -> Value {
    let priority = match (note.status.as_str(), note.severity.as_str()) {
        ("resolved", _) => 2,
        (_, "critical") => 8,
        (_, "warning") => 5,
        _ => 3,
    };
    json!({
        "title": note.title(),
        "message": note.message,
        "priority": priority,
        "extras": { "client::display": { "contentType": "text/plain" } },
    })
}

pub fn discord(note: &Notification) -> Value {
    // Red for firing critical, amber for warnings, green once resolved.
    let color = match (note.status.as_str(), note.severity.as_str()) {
        ("resolved", _) => 0x2e_cc71,
        (_, "critical") => 0xe7_4c3c,
        _ => 0xf1_c40f,
    };
    let content: String = note.title().chars().take(2000).collect();
    let description: String = note.message.chars().take(4096).collect();
    json!({
        "content": content,
        "embeds": [{
            "title": note.rule_name,
            "description": description,
            "color": color,
            "timestamp": note.at,
        }],
    })
}

pub fn slack(note: &Notification) -> Value {
    json!({ "text": format!("*{}*\n{}", note.title(), note.message) })
}
