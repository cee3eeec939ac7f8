//! Notifiers: one alert change sent to one channel — a generic JSON webhook, ntfy,
//! Gotify, Discord, Slack or email — each in the request shape its service documents
//! (`payload`; email: `email`, over SMTP). Channel secrets (tokens, webhook URLs, which carry a token in their
//! path) are [`SecretString`]s: never in `Debug`, and a failed request reports the
//! service and status only, never the URL.
//!
//! Around them:
//! - `guard`: the [`Notifier`], the hardened HTTP client every send goes through;
//! - `kinds`: stored channels' kinds, settings and secrets;
//! - `channels`: [`ChannelService`], stored channels (secrets sealed) and "send test";
//! - `subscriptions`: [`SubscriptionService`], which alerts go to which channel;
//! - `outbox`: [`Outbox`], the retried deliveries and the `alerts.notify` worker.
//!
//! Adding a service: a [`Channel`] variant, its request in [`Channel::request`] (or,
//! not over HTTP, its own `send` like `email`), its body in `payload` and its row in
//! `kinds`.

mod channels;
mod email;
mod guard;
mod kinds;
mod outbox;
#[cfg(test)]
mod outbox_tests;
mod payload;
mod subscriptions;
#[cfg(test)]
mod tests;

pub use channels::{ChannelInput, ChannelPatch, ChannelService, ChannelView};
pub use email::{EmailChannel, Security as EmailSecurity};
pub use guard::{Blocked, CONNECT_TIMEOUT, Notifier, NotifierPolicy, SEND_TIMEOUT};
pub use kinds::kind_names;
pub use outbox::{GIVE_UP_AFTER, LEASE, Outbox, RoundReport, retry_delay};
pub use subscriptions::{SubscriptionInput, SubscriptionService, matches};

use std::sync::Arc;

use proxicloud_store::{Alert, AlertState, Timestamp, Uuid};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;

use crate::app::{Platform, Registry};

/// Provides the channel, subscription and outbox services and (unless the caller
/// drives the outbox itself, `alerts_manual`) the `alerts.notify` worker.
pub(super) fn register(
    registry: &mut Registry,
    platform: &Platform,
    rules: Arc<super::AlertRuleService>,
) {
    let store = platform.store.clone();
    let notifier = Arc::new(Notifier::new(platform.config.notifier.clone()));
    let channels = registry.provide(Arc::new(ChannelService::new(
        store.clone(),
        platform.master_key.clone(),
        notifier.clone(),
    )));
    registry.provide(Arc::new(SubscriptionService::new(store.clone(), rules)));
    let outbox = registry.provide(Arc::new(Outbox::new(store, channels, notifier)));
    if !platform.config.alerts_manual {
        registry.worker(Arc::new(outbox::DeliveryWorker {
            outbox,
            nudge: Arc::new(Notify::new()),
        }));
    }
}

/// Where notifications go, with its secrets.
#[derive(Clone)]
pub enum Channel {
    /// POST of our own JSON document ([`payload::webhook`]) to `url`.
    Webhook { url: SecretString },
    /// ntfy's JSON publishing: POST to the server's root with the topic in the body.
    Ntfy {
        server: String,
        topic: String,
        /// An access token (Bearer), for protected topics.
        token: Option<SecretString>,
    },
    /// Gotify's `POST /message` with an application token.
    Gotify { server: String, token: SecretString },
    /// A Discord channel webhook (`https://discord.com/api/webhooks/…`).
    Discord { webhook_url: SecretString },
    /// A Slack incoming webhook (`https://hooks.slack.com/services/…`).
    Slack { webhook_url: SecretString },
    /// A plain-text mail over SMTP.
    Email(Box<EmailChannel>),
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the service and the non-secret parts.
        match self {
            Channel::Ntfy { server, topic, .. } => f
                .debug_struct("Ntfy")
                .field("server", server)
                .field("topic", topic)
                .finish_non_exhaustive(),
            Channel::Gotify { server, .. } => f
                .debug_struct("Gotify")
                .field("server", server)
                .finish_non_exhaustive(),
            Channel::Email(email) => email.fmt(f),
            other => f.write_str(other.service()),
        }
    }
}

impl Channel {
    pub fn service(&self) -> &'static str {
        match self {
            Channel::Webhook { .. } => "webhook",
            Channel::Ntfy { .. } => "ntfy",
            Channel::Gotify { .. } => "gotify",
            Channel::Discord { .. } => "discord",
            Channel::Slack { .. } => "slack",
            Channel::Email(_) => "email",
        }
    }

    /// The HTTP request that delivers `note`; `None` for a channel that is not HTTP.
    fn request(
        &self,
        client: &reqwest::Client,
        note: &Notification,
    ) -> Option<reqwest::RequestBuilder> {
        let base = |server: &str| server.trim_end_matches('/').to_owned();
        Some(match self {
            Channel::Webhook { url } => client
                .post(url.expose_secret())
                .json(&payload::webhook(note)),
            Channel::Ntfy {
                server,
                topic,
                token,
            } => {
                let request = client.post(base(server)).json(&payload::ntfy(note, topic));
                match token {
                    Some(token) => request.bearer_auth(token.expose_secret()),
                    None => request,
                }
            }
            Channel::Gotify { server, token } => client
                .post(format!("{}/message", base(server)))
                .header("X-Gotify-Key", token.expose_secret())
                .json(&payload::gotify(note)),
            Channel::Discord { webhook_url } => client
                .post(webhook_url.expose_secret())
                .json(&payload::discord(note)),
            Channel::Slack { webhook_url } => client
                .post(webhook_url.expose_secret())
                .json(&payload::slack(note)),
            Channel::Email(_) => return None,
        })
    }

    /// Delivers `note` through `notifier` (its SSRF guard, time limits, no
    /// redirects); a non-2xx answer is an error. The error names the service and what
    /// went wrong, never the URL or a token.
    pub async fn send(&self, notifier: &Notifier, note: &Notification) -> Result<(), String> {
        let service = self.service();
        let Some(request) = self.request(notifier.client(), note) else {
            return match self {
                Channel::Email(email) => email.send(notifier, note).await,
                _ => Err(format!("{service}: not sent over HTTP")),
            };
        };
        let request = request
            .build()
            .map_err(|e| format!("{service}: the address is not valid: {}", e.without_url()))?;
        notifier
            .check_literal(request.url())
            .map_err(|blocked| format!("{service}: {blocked}"))?;
        let response = notifier
            .client()
            .execute(request)
            .await
            .map_err(|e| format!("{service}: {}", guard::describe(e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{service}: the receiver answered {status}"))
        }
    }
}

/// What a notification says, whatever the channel. Kept (as JSON) in the outbox as it
/// was when the alert changed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notification {
    pub alert_id: String,
    /// `firing` or `resolved` (or `test` for "send test").
    pub status: String,
    pub severity: String,
    pub rule_name: String,
    pub resource_kind: String,
    pub resource_id: String,
    pub resource_name: String,
    pub message: String,
    pub value: Option<f64>,
    /// RFC 3339.
    pub at: String,
}

impl Notification {
    /// The notification of an alert's current state.
    pub fn of(alert: &Alert) -> Self {
        let at = match alert.state {
            AlertState::Resolved => alert.resolved_at.unwrap_or(alert.updated_at),
            AlertState::Firing => alert.fired_at.unwrap_or(alert.updated_at),
            AlertState::Pending => alert.started_at,
        };
        Self {
            alert_id: alert.id.to_string(),
            status: alert.state.as_str().to_owned(),
            severity: alert.severity.clone(),
            rule_name: alert.rule_name.clone(),
            resource_kind: alert.resource.kind.clone(),
            resource_id: alert.resource.id.clone(),
            resource_name: alert.resource_name.clone(),
            message: alert.message.clone(),
            value: alert.value,
            at: at.to_rfc3339(),
        }
    }

    /// What "send test" sends.
    pub fn test(channel_name: &str, channel_id: Uuid, now: Timestamp) -> Self {
        Self {
            alert_id: Uuid::nil().to_string(),
            status: "test".into(),
            severity: "info".into(),
            rule_name: "Test notification".into(),
            resource_kind: "channel".into(),
            resource_id: channel_id.to_string(),
            resource_name: channel_name.to_owned(),
            message: format!("A test from ProxiCloud: the channel {channel_name} works."),
            value: None,
            at: now.to_rfc3339(),
        }
    }

    /// One line for people: `[FIRING] Disk over 90 % — web`.
    pub fn title(&self) -> String {
        format!(
            "[{}] {} — {}",
            self.status.to_uppercase(),
            self.rule_name,
            self.resource_name
        )
    }
}
