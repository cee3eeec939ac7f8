//! [`Outbox`]: delivery of alert changes, retried until they arrive. Each round
//! ([`Outbox::round`], every [`ROUND_EVERY`] in the deployment-scoped
//! `alerts.notify` worker; tests call it with their own clock):
//! 1. **enqueue** — alerts that fired or resolved lately (unsilenced, changed within
//!    [`LOOK_BACK`]) become one delivery per subscribed channel; the store keeps one
//!    per alert change and channel however often a round sees it. Reading changes from
//!    the alerts themselves (rather than a call from the evaluator) means a change
//!    committed just before a crash is still sent;
//! 2. **deliver** — due deliveries are claimed with a [`LEASE`] (a worker that dies
//!    mid-send leaves its delivery to be claimed again once the lease has passed) and
//!    sent; a failure is retried after a back-off doubling from [`FIRST_RETRY`] up to
//!    [`MAX_RETRY`], and given up after [`GIVE_UP_AFTER`]. Every outcome is recorded
//!    on the channel (`last_delivered_at`, `last_error`);
//! 3. **prune** — finished deliveries older than [`KEEP_FINISHED`] are forgotten.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use proxicloud_store::{
    AttemptOutcome, Delivery, NewDelivery, NotificationChannel, Store, StoreError, Timestamp, User,
    Uuid,
};
use tokio::sync::Notify;

use super::channels::ChannelService;
use super::subscriptions::matches;
use super::{Notification, Notifier};
use crate::error::DomainResult;
use crate::workers::{BackgroundWorker, WorkerContext, WorkerScope};

pub const ROUND_EVERY: Duration = Duration::from_secs(5);
/// How far back a round looks for alert changes: longer than any restart back-off of
/// the worker, so a change made while it was down is still sent.
pub const LOOK_BACK: Duration = Duration::from_secs(3600);
/// Longer than the notifier's time limit, so a live attempt is never claimed twice.
pub const LEASE: Duration = Duration::from_secs(60);
pub const FIRST_RETRY: Duration = Duration::from_secs(5);
pub const MAX_RETRY: Duration = Duration::from_secs(300);
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(6 * 3600);
pub const KEEP_FINISHED: Duration = Duration::from_secs(30 * 24 * 3600);
/// Deliveries claimed (and sent concurrently) per round.
const BATCH: u32 = 16;
/// Alert changes read per query.
const CHANGES_PAGE: u32 = 1000;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    pub enqueued: u64,
    pub delivered: usize,
    pub retried: usize,
    pub given_up: usize,
}

/// The back-off before attempt `attempts + 1`.
pub fn retry_delay(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    (FIRST_RETRY * 2u32.pow(doublings)).min(MAX_RETRY)
}

pub struct Outbox {
    store: Arc<dyn Store>,
    channels: Arc<ChannelService>,
    notifier: Arc<Notifier>,
}

impl Outbox {
    pub fn new(
        store: Arc<dyn Store>,
        channels: Arc<ChannelService>,
        notifier: Arc<Notifier>,
    ) -> Self {
        Self {
            store,
            channels,
            notifier,
        }
    }

    pub async fn round(&self, now: Timestamp) -> DomainResult<RoundReport> {
        let mut report = RoundReport {
            enqueued: self.enqueue(now).await?,
            ..RoundReport::default()
        };
        let notifications = self.store.notifications();
        let due = notifications.claim_due(now, LEASE, BATCH).await?;
        let sent = join_all(due.iter().map(|d| self.attempt(d, now))).await;
        for (delivery, outcome) in due.iter().zip(sent) {
            let outcome = outcome?;
            let counter = match &outcome {
                AttemptOutcome::Delivered => &mut report.delivered,
                AttemptOutcome::Retry { .. } => &mut report.retried,
                AttemptOutcome::GiveUp { .. } => &mut report.given_up,
            };
            let error = match &outcome {
                AttemptOutcome::Delivered => None,
                AttemptOutcome::Retry { error, .. } => Some(error.clone()),
                AttemptOutcome::GiveUp { error } => Some(format!(
                    "gave up after {} attempts: {error}",
                    delivery.attempts
                )),
            };
            match notifications
                .finish_attempt(delivery.id, delivery.attempts, outcome, now)
                .await
            {
                Ok(_) => *counter += 1,
                // Our lease passed and another worker claimed it again (its outcome
                // stands), or the channel and its deliveries were deleted.
                Err(StoreError::Stale(_) | StoreError::NotFound) => continue,
                Err(other) => return Err(other.into()),
            }
            // The channel may have been deleted meanwhile: nothing to record then.
            let _ = notifications
                .record_channel_result(delivery.channel_id, error.as_deref(), now)
                .await;
        }
        notifications.prune_deliveries(now - KEEP_FINISHED).await?;
        Ok(report)
    }

    /// One delivery per subscribed channel for each recent unsilenced change.
    async fn enqueue(&self, now: Timestamp) -> DomainResult<u64> {
        // Every change of the look-back window, a page at a time (keyset on
        // `(updated_at, id)`: one evaluation changes many alerts at the same instant).
        let mut changed = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .alerts()
                .changed_alerts(now - LOOK_BACK, after, CHANGES_PAGE)
                .await?;
            let full = page.len() == CHANGES_PAGE as usize;
            after = page.last().map(|a| (a.updated_at, a.id));
            changed.extend(page);
            if !full {
                break;
            }
        }
        if changed.is_empty() {
            return Ok(0);
        }
        let notifications = self.store.notifications();
        let subscriptions = notifications.list_subscriptions(None).await?;
        let channels: HashMap<Uuid, NotificationChannel> = notifications
            .list_channels(None)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut owners: HashMap<Uuid, User> = HashMap::new();
        for subscription in &subscriptions {
            if !owners.contains_key(&subscription.owner_id)
                && let Ok(user) = self.store.users().get(subscription.owner_id).await
            {
                owners.insert(user.id, user);
            }
        }
        let mut new = Vec::new();
        for alert in &changed {
            let payload =
                serde_json::to_string(&Notification::of(alert)).expect("a notification serialises");
            for subscription in &subscriptions {
                let Some(owner) = owners.get(&subscription.owner_id) else {
                    continue;
                };
                let enabled = channels
                    .get(&subscription.channel_id)
                    .is_some_and(|c| c.enabled && c.owner_id == owner.id);
                if enabled && matches(subscription, owner, alert) {
                    new.push(NewDelivery {
                        channel_id: subscription.channel_id,
                        alert_id: alert.id,
                        event: alert.state.as_str().to_owned(),
                        payload: payload.clone(),
                        give_up_at: now + GIVE_UP_AFTER,
                    });
                }
            }
        }
        Ok(notifications.enqueue(&new, now).await?)
    }

    /// Sends one claimed delivery; says how it ended.
    async fn attempt(&self, delivery: &Delivery, now: Timestamp) -> DomainResult<AttemptOutcome> {
        let failed = |error: String| {
            if now >= delivery.give_up_at {
                AttemptOutcome::GiveUp { error }
            } else {
                AttemptOutcome::Retry {
                    error,
                    next_attempt_at: now + retry_delay(delivery.attempts),
                }
            }
        };
        let row = match self
            .store
            .notifications()
            .get_channel(delivery.channel_id)
            .await
        {
            Ok(row) => row,
            Err(StoreError::NotFound) => {
                return Ok(AttemptOutcome::GiveUp {
                    error: "the channel was deleted".into(),
                });
            }
            Err(other) => return Err(other.into()),
        };
        if !row.enabled {
            return Ok(AttemptOutcome::GiveUp {
                error: "the channel is disabled".into(),
            });
        }
        let Ok(note) = serde_json::from_str::<Notification>(&delivery.payload) else {
            return Ok(AttemptOutcome::GiveUp {
                error: "the stored notification is unreadable".into(),
            });
        };
        let channel = self.channels.channel(&row)?;
        Ok(match channel.send(&self.notifier, &note).await {
            Ok(()) => AttemptOutcome::Delivered,
            Err(error) => failed(error),
        })
    }
}

/// The `alerts.notify` worker: a round every [`ROUND_EVERY`], or at once when nudged.
pub(crate) struct DeliveryWorker {
    pub outbox: Arc<Outbox>,
    pub nudge: Arc<Notify>,
}

#[async_trait::async_trait]
impl BackgroundWorker for DeliveryWorker {
    fn name(&self) -> &str {
        "alerts.notify"
    }

    fn scope(&self) -> WorkerScope {
        WorkerScope::Deployment
    }

    async fn run(&self, ctx: WorkerContext) -> Result<(), String> {
        loop {
            let result = tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                result = self.outbox.round(Timestamp::now()) => result,
            };
            let next = Timestamp::now() + ROUND_EVERY;
            ctx.record_run(result.map(drop).map_err(|e| e.to_string()), Some(next));
            tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                () = tokio::time::sleep(ROUND_EVERY) => {}
                () = self.nudge.notified() => {}
            }
        }
    }
}
