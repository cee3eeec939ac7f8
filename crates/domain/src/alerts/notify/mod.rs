//! Notifiers: one alert change sent to one channel — a generic JSON webhook, ntfy,
//! Gotify, Discord or Slack — each in the request shape its service documents
//! (`payload`). Channel secrets (tokens, webhook URLs, which carry a token in their
//! path) are [`SecretString`]s: never in `Debug`, and a failed request reports the
//! service and status only, never the URL.
//!
//! Not yet here: stored channels, per-user subscriptions, the delivery outbox and
//! email (SMTP) — see the feature's README row. Adding a service: a [`Channel`]
//! variant, its request in [`Channel::request`] and its body in `payload`.

mod guard;
mod payload;
#[cfg(test)]
mod tests;

pub use guard::{Blocked, CONNECT_TIMEOUT, Notifier, NotifierPolicy, SEND_TIMEOUT};

use proxicloud_store::{Alert, AlertState};
use secrecy::{ExposeSecret, SecretString};

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
        }
    }

    fn request(&self, client: &reqwest::Client, note: &Notification) -> reqwest::RequestBuilder {
        let base = |server: &str| server.trim_end_matches('/').to_owned();
        match self {
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
        }
    }

    /// Delivers `note` through `notifier` (its SSRF guard, time limits, no
    /// redirects); a non-2xx answer is an error. The error names the service and what
    /// went wrong, never the URL or a token.
    pub async fn send(&self, notifier: &Notifier, note: &Notification) -> Result<(), String> {
        let service = self.service();
        let request = self
            .request(notifier.client(), note)
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

/// What a notification says, whatever the channel.
#[derive(Debug, Clone, PartialEq)]
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
