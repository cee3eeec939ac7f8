//! [`NotificationRepo`] for both backends.

use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

use super::codec::parse_column;
use super::{DbId, SqlStore, found};
use crate::repo::notifications::{
    AttemptOutcome, ChannelFields, Delivery, DeliveryState, NewDelivery, NewSubscription,
    NotificationChannel, NotificationRepo, Subscription,
};
use crate::{Result, StoreError, Timestamp};

const CHANNEL_COLUMNS: &str = "id, owner_id, name, kind, settings, secrets_sealed, enabled, \
     last_delivered_at, last_error, last_error_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ChannelRecord {
    id: DbId,
    owner_id: DbId,
    name: String,
    kind: String,
    settings: String,
    secrets_sealed: Vec<u8>,
    enabled: bool,
    last_delivered_at: Option<Timestamp>,
    last_error: Option<String>,
    last_error_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<ChannelRecord> for NotificationChannel {
    fn from(r: ChannelRecord) -> Self {
        NotificationChannel {
            id: r.id.0,
            owner_id: r.owner_id.0,
            name: r.name,
            kind: r.kind,
            settings: r.settings,
            secrets_sealed: r.secrets_sealed,
            enabled: r.enabled,
            last_delivered_at: r.last_delivered_at,
            last_error: r.last_error,
            last_error_at: r.last_error_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SUBSCRIPTION_COLUMNS: &str = "id, owner_id, channel_id, min_severity, rule_id, \
     resource_kind, resource_id, notify_resolved, created_at";

#[derive(sqlx::FromRow)]
struct SubscriptionRecord {
    id: DbId,
    owner_id: DbId,
    channel_id: DbId,
    min_severity: String,
    rule_id: Option<DbId>,
    resource_kind: Option<String>,
    resource_id: Option<String>,
    notify_resolved: bool,
    created_at: Timestamp,
}

impl From<SubscriptionRecord> for Subscription {
    fn from(r: SubscriptionRecord) -> Self {
        Subscription {
            id: r.id.0,
            owner_id: r.owner_id.0,
            channel_id: r.channel_id.0,
            min_severity: r.min_severity,
            rule_id: r.rule_id.map(|id| id.0),
            resource_kind: r.resource_kind,
            resource_id: r.resource_id,
            notify_resolved: r.notify_resolved,
            created_at: r.created_at,
        }
    }
}

const DELIVERY_COLUMNS: &str = "id, channel_id, alert_id, event, payload, state, attempts, \
     next_attempt_at, give_up_at, last_error, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct DeliveryRecord {
    id: DbId,
    channel_id: DbId,
    alert_id: DbId,
    event: String,
    payload: String,
    state: String,
    attempts: i64,
    next_attempt_at: Timestamp,
    give_up_at: Timestamp,
    last_error: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<DeliveryRecord> for Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRecord) -> Result<Self> {
        Ok(Delivery {
            id: r.id.0,
            channel_id: r.channel_id.0,
            alert_id: r.alert_id.0,
            event: r.event,
            payload: r.payload,
            state: parse_column::<DeliveryState>(&r.state)?,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            give_up_at: r.give_up_at,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn deliveries(records: Vec<DeliveryRecord>) -> Result<Vec<Delivery>> {
    records.into_iter().map(Delivery::try_from).collect()
}

#[async_trait]
impl NotificationRepo for SqlStore {
    async fn insert_channel(
        &self,
        id: Uuid,
        owner_id: Uuid,
        fields: ChannelFields,
        now: Timestamp,
    ) -> Result<NotificationChannel> {
        let sql = format!(
            "INSERT INTO notification_channels (id, owner_id, name, kind, settings, \
             secrets_sealed, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {CHANNEL_COLUMNS}"
        );
        let record: ChannelRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(DbId(owner_id))
                .bind(&fields.name)
                .bind(&fields.kind)
                .bind(&fields.settings)
                .bind(&fields.secrets_sealed)
                .bind(fields.enabled)
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn get_channel(&self, id: Uuid) -> Result<NotificationChannel> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM notification_channels WHERE id = $1");
        let record: Option<ChannelRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn list_channels(&self, owner_id: Option<Uuid>) -> Result<Vec<NotificationChannel>> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM notification_channels \
             WHERE ($1 IS NULL OR owner_id = $1) ORDER BY name, id"
        );
        let records: Vec<ChannelRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(owner_id.map(DbId)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn update_channel(
        &self,
        id: Uuid,
        fields: ChannelFields,
        now: Timestamp,
    ) -> Result<NotificationChannel> {
        let sql = format!(
            "UPDATE notification_channels SET name = $2, kind = $3, settings = $4, \
             secrets_sealed = $5, enabled = $6, updated_at = $7 WHERE id = $1 \
             RETURNING {CHANNEL_COLUMNS}"
        );
        let record: Option<ChannelRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(&fields.name)
                .bind(&fields.kind)
                .bind(&fields.settings)
                .bind(&fields.secrets_sealed)
                .bind(fields.enabled)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn delete_channel(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM notification_channels WHERE id = $1")
                .bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
    }

    async fn record_channel_result(
        &self,
        id: Uuid,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        // Success clears the error: `last_error` is what is wrong now.
        let sql = match error {
            None => {
                "UPDATE notification_channels SET last_delivered_at = $2, last_error = NULL \
                 WHERE id = $1"
            }
            Some(_) => {
                "UPDATE notification_channels SET last_error = $3, last_error_at = $2 \
                 WHERE id = $1"
            }
        };
        let changed = on_writer!(&self.db, pool => {
            let query = sqlx::query(sql).bind(DbId(id)).bind(at);
            let query = match error { Some(error) => query.bind(error), None => query };
            query.execute(pool).await?.rows_affected()
        });
        found(changed)
    }

    async fn insert_subscription(
        &self,
        s: NewSubscription,
        now: Timestamp,
    ) -> Result<Subscription> {
        // Only a channel of the subscription's owner: the row is inserted from the
        // channel's, so one of someone else's (or none) inserts nothing. A channel's
        // owner never changes, so the check cannot go stale.
        let sql = format!(
            "INSERT INTO notification_subscriptions ({SUBSCRIPTION_COLUMNS}) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM notification_channels \
             WHERE id = $3 AND owner_id = $2 RETURNING {SUBSCRIPTION_COLUMNS}"
        );
        let record: Option<SubscriptionRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(s.owner_id))
                .bind(DbId(s.channel_id))
                .bind(&s.min_severity)
                .bind(s.rule_id.map(DbId))
                .bind(&s.resource_kind)
                .bind(&s.resource_id)
                .bind(s.notify_resolved)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        Ok(record.ok_or(StoreError::MissingReference)?.into())
    }

    async fn get_subscription(&self, id: Uuid) -> Result<Subscription> {
        let sql =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM notification_subscriptions WHERE id = $1");
        let record: Option<SubscriptionRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn list_subscriptions(&self, owner_id: Option<Uuid>) -> Result<Vec<Subscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM notification_subscriptions \
             WHERE ($1 IS NULL OR owner_id = $1) ORDER BY created_at, id"
        );
        let records: Vec<SubscriptionRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(owner_id.map(DbId)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn delete_subscription(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM notification_subscriptions WHERE id = $1")
                .bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
    }

    async fn enqueue(&self, new: &[NewDelivery], now: Timestamp) -> Result<u64> {
        let sql = "INSERT INTO notification_deliveries (id, channel_id, alert_id, event, payload, \
             state, attempts, next_attempt_at, give_up_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $6, $6) \
             ON CONFLICT (channel_id, alert_id, event) DO NOTHING";
        let mut added = 0;
        for delivery in new {
            added += on_writer!(&self.db, pool => {
                sqlx::query(sql)
                    .bind(DbId(Uuid::now_v7()))
                    .bind(DbId(delivery.channel_id))
                    .bind(DbId(delivery.alert_id))
                    .bind(&delivery.event)
                    .bind(&delivery.payload)
                    .bind(now)
                    .bind(delivery.give_up_at)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
        }
        Ok(added)
    }

    async fn claim_due(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        // One statement, like the jobs' claim: PostgreSQL skips rows another replica
        // is claiming; SQLite's single writer serialises claims.
        let sql = format!(
            "UPDATE notification_deliveries SET next_attempt_at = $2, attempts = attempts + 1, \
             updated_at = $1 \
             WHERE id IN (SELECT id FROM notification_deliveries \
                          WHERE state = 'pending' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at, id LIMIT $3{}) \
             RETURNING {DELIVERY_COLUMNS}",
            self.dialect().for_update_skip_locked()
        );
        let mut records: Vec<DeliveryRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(now)
                .bind(now + lease)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        // RETURNING follows no ORDER BY: oldest first for the caller.
        records.sort_by_key(|a| (a.created_at, a.id.0));
        deliveries(records)
    }

    async fn finish_attempt(
        &self,
        id: Uuid,
        attempt: i64,
        outcome: AttemptOutcome,
        now: Timestamp,
    ) -> Result<Delivery> {
        let (state, error, next) = match outcome {
            AttemptOutcome::Delivered => (DeliveryState::Delivered, None, now),
            AttemptOutcome::Retry {
                error,
                next_attempt_at,
            } => (DeliveryState::Pending, Some(error), next_attempt_at),
            AttemptOutcome::GiveUp { error } => (DeliveryState::Failed, Some(error), now),
        };
        // Only the claim that counted `attempt` may finish: once its lease passed and
        // another worker claimed the delivery again, `attempts` has moved on.
        let sql = format!(
            "UPDATE notification_deliveries SET state = $2, last_error = COALESCE($3, last_error), \
             next_attempt_at = $4, updated_at = $5 \
             WHERE id = $1 AND attempts = $6 AND state = 'pending' RETURNING {DELIVERY_COLUMNS}"
        );
        let record: Option<DeliveryRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(state.as_str())
                .bind(error)
                .bind(next)
                .bind(now)
                .bind(attempt)
                .fetch_optional(pool)
                .await?
        });
        if let Some(record) = record {
            return record.try_into();
        }
        let exists: Option<(DbId,)> = on_reader!(&self.db, pool => {
            sqlx::query_as("SELECT id FROM notification_deliveries WHERE id = $1")
                .bind(DbId(id)).fetch_optional(pool).await?
        });
        Err(match exists {
            Some(_) => StoreError::Stale("the delivery was claimed again or has finished"),
            None => StoreError::NotFound,
        })
    }

    async fn list_deliveries(&self, channel_id: Uuid, limit: u32) -> Result<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM notification_deliveries WHERE channel_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let records: Vec<DeliveryRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(channel_id)).bind(i64::from(limit)).fetch_all(pool).await?
        });
        deliveries(records)
    }

    async fn prune_deliveries(&self, before: Timestamp) -> Result<u64> {
        let sql = "DELETE FROM notification_deliveries \
                   WHERE state IN ('delivered', 'failed') AND updated_at < $1";
        Ok(on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()
        }))
    }
}
