//! Alert notifications: channels (with their secrets sealed by the domain; the store
//! never sees them in the clear), per-user subscriptions and the delivery outbox.
//!
//! The outbox's guarantee: one delivery per alert change (`event`) and channel
//! ([`NotificationRepo::enqueue`] ignores repeats), and a claimed delivery is leased —
//! [`NotificationRepo::claim_due`] moves `next_attempt_at` to the lease's end, so a
//! delivery whose worker died is claimed again once the lease has passed.

use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Result, Timestamp};

#[derive(Clone, PartialEq, Eq)]
pub struct NotificationChannel {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    /// `webhook`, `ntfy`, `gotify`, `discord`, `slack`, `email`.
    pub kind: String,
    /// The non-secret settings, a JSON object.
    pub settings: String,
    /// The secrets, a JSON object sealed with the master key.
    pub secrets_sealed: Vec<u8>,
    pub enabled: bool,
    pub last_delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Never prints the sealed secrets.
impl std::fmt::Debug for NotificationChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationChannel")
            .field("id", &self.id)
            .field("owner_id", &self.owner_id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A channel to insert, or every settable field of one to update (whole).
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelFields {
    pub name: String,
    pub kind: String,
    pub settings: String,
    pub secrets_sealed: Vec<u8>,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub channel_id: Uuid,
    pub min_severity: String,
    pub rule_id: Option<Uuid>,
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub notify_resolved: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub owner_id: Uuid,
    pub channel_id: Uuid,
    pub min_severity: String,
    pub rule_id: Option<Uuid>,
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub notify_resolved: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Given up.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "pending" => Ok(DeliveryState::Pending),
            "delivered" => Ok(DeliveryState::Delivered),
            "failed" => Ok(DeliveryState::Failed),
            other => Err(format!("unknown delivery state {other:?}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub alert_id: Uuid,
    pub event: String,
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub give_up_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub channel_id: Uuid,
    pub alert_id: Uuid,
    pub event: String,
    pub payload: String,
    pub give_up_at: Timestamp,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Failed; try again at `next_attempt_at`.
    Retry {
        error: String,
        next_attempt_at: Timestamp,
    },
    /// Failed for the last time.
    GiveUp {
        error: String,
    },
}

#[async_trait]
pub trait NotificationRepo: Send + Sync {
    /// With the id the domain chose (the secrets are sealed under it).
    /// `MissingReference` when the owner does not exist.
    async fn insert_channel(
        &self,
        id: Uuid,
        owner_id: Uuid,
        fields: ChannelFields,
        now: Timestamp,
    ) -> Result<NotificationChannel>;
    async fn get_channel(&self, id: Uuid) -> Result<NotificationChannel>;
    /// One owner's channels, or everyone's (`None`), by name.
    async fn list_channels(&self, owner_id: Option<Uuid>) -> Result<Vec<NotificationChannel>>;
    async fn update_channel(
        &self,
        id: Uuid,
        fields: ChannelFields,
        now: Timestamp,
    ) -> Result<NotificationChannel>;
    /// Its subscriptions and deliveries go with it.
    async fn delete_channel(&self, id: Uuid) -> Result<()>;
    /// A delivery (or test) reached the channel at `at` (`error: None`), or failed.
    async fn record_channel_result(
        &self,
        id: Uuid,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;

    /// `MissingReference` when the channel is gone or is not the owner's own (nor
    /// is the owner, or the rule).
    async fn insert_subscription(
        &self,
        subscription: NewSubscription,
        now: Timestamp,
    ) -> Result<Subscription>;
    async fn get_subscription(&self, id: Uuid) -> Result<Subscription>;
    /// One owner's subscriptions, or everyone's (`None`), oldest first.
    async fn list_subscriptions(&self, owner_id: Option<Uuid>) -> Result<Vec<Subscription>>;
    async fn delete_subscription(&self, id: Uuid) -> Result<()>;

    /// Adds the deliveries not already there (same channel, alert and event), due at
    /// `now`; returns how many were added.
    async fn enqueue(&self, deliveries: &[NewDelivery], now: Timestamp) -> Result<u64>;
    /// Up to `limit` pending deliveries due at `now`, oldest due first, each leased for
    /// `lease` (its `next_attempt_at` moved to `now + lease`, `attempts` counted).
    async fn claim_due(&self, now: Timestamp, lease: Duration, limit: u32)
    -> Result<Vec<Delivery>>;
    /// Ends the attempt that the claim numbered `attempt` (the claimed
    /// [`Delivery::attempts`]) made. `Stale` when that claim is no longer the
    /// delivery's — its lease passed and another worker claimed it again, or it has
    /// finished — so a late worker never overwrites the newer attempt's outcome;
    /// `NotFound` when the delivery is gone.
    async fn finish_attempt(
        &self,
        id: Uuid,
        attempt: i64,
        outcome: AttemptOutcome,
        now: Timestamp,
    ) -> Result<Delivery>;
    /// A channel's deliveries, newest first, at most `limit`.
    async fn list_deliveries(&self, channel_id: Uuid, limit: u32) -> Result<Vec<Delivery>>;
    /// Forgets delivered and failed deliveries last changed before `before`.
    async fn prune_deliveries(&self, before: Timestamp) -> Result<u64>;
}
