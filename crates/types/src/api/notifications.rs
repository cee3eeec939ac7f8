//! `/api/v1/alerts/channels` and `/api/v1/alerts/subscriptions`: where alert
//! notifications go (channels, owned by their creator, with write-only secrets) and
//! which alerts each user sends to which of their channels.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::alerts::{AlertResourceDto, AlertSeverityDto};
use crate::Timestamp;

/// The service a channel sends to. Its `settings` and `secrets`:
/// - `webhook`: secret `url` (our JSON document is POSTed to it);
/// - `ntfy`: settings `server` (e.g. `https://ntfy.sh`) and `topic`, optional secret
///   `token` (an access token);
/// - `gotify`: setting `server`, secret `token` (an application token);
/// - `discord`, `slack`: secret `webhook_url`;
/// - `email`: settings `host` (the SMTP server), `port` (default 587, or 465 with
///   `security` `tls`), `security` (`starttls`, the default: STARTTLS required;
///   `tls`: implicit TLS; `none`: plain SMTP, only without a login), `from` (one
///   address), `to` (addresses separated by commas), `username`, `ca_certificate` (a
///   PEM certificate trusted besides the system's roots, for a LAN server's own
///   certificate); secret `password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKindDto {
    Webhook,
    Ntfy,
    Gotify,
    Discord,
    Slack,
    Email,
}

impl ChannelKindDto {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKindDto::Webhook => "webhook",
            ChannelKindDto::Ntfy => "ntfy",
            ChannelKindDto::Gotify => "gotify",
            ChannelKindDto::Discord => "discord",
            ChannelKindDto::Slack => "slack",
            ChannelKindDto::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "webhook" => ChannelKindDto::Webhook,
            "ntfy" => ChannelKindDto::Ntfy,
            "gotify" => ChannelKindDto::Gotify,
            "discord" => ChannelKindDto::Discord,
            "slack" => ChannelKindDto::Slack,
            "email" => ChannelKindDto::Email,
            _ => return None,
        })
    }
}

/// A channel. Its secrets are never returned: `secrets_set` names those that are set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationChannelDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub kind: ChannelKindDto,
    pub settings: BTreeMap<String, String>,
    /// The names of the secrets that are set (e.g. `["url"]`).
    pub secrets_set: Vec<String>,
    /// A disabled channel is sent nothing (but can be tested).
    pub enabled: bool,
    /// When a notification last reached it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_delivered_at: Option<Timestamp>,
    /// What went wrong with the last delivery or test; `null` once one worked again.
    pub last_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub last_error_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateNotificationChannelRequest {
    /// 1 to 100 characters.
    pub name: String,
    pub kind: ChannelKindDto,
    /// The kind's settings (see [`ChannelKindDto`]).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// The kind's secrets; write-only: stored sealed, never returned.
    #[serde(default, serialize_with = "super::secret::serialize_map")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>, write_only))]
    pub secrets: BTreeMap<String, SecretString>,
    /// `true` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// What is set changes: `settings` replaces them all; each secret given replaces that
/// secret (an empty string clears an optional one), secrets not given are kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateNotificationChannelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<BTreeMap<String, String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::secret::serialize_option_map"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<BTreeMap<String, String>>, write_only))]
    pub secrets: Option<BTreeMap<String, SecretString>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Which alerts go to one of your channels. You are only ever notified about alerts
/// you may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub channel_id: Uuid,
    /// The least severity sent.
    pub min_severity: AlertSeverityDto,
    /// Only this rule's alerts (any rule when `null`).
    pub rule_id: Option<Uuid>,
    /// Only alerts about this resource (any when `null`).
    pub resource: Option<AlertResourceDto>,
    /// Resolutions are sent too.
    pub notify_resolved: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSubscriptionRequest {
    /// One of your channels.
    pub channel_id: Uuid,
    /// `warning` when left out.
    #[serde(default)]
    pub min_severity: AlertSeverityDto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<Uuid>,
    /// `kind` `instance`, `node`, `cluster` or `job`, and its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<AlertResourceDto>,
    /// `true` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_resolved: Option<bool>,
}
