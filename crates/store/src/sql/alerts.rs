//! [`AlertRepo`] for both backends, with its records.

use async_trait::async_trait;
use uuid::Uuid;

use super::codec::parse_column;
use super::records::convert_all;
use super::{DbId, SqlStore, found};
use crate::repo::alerts::{
    Alert, AlertFilter, AlertRepo, AlertResource, AlertRule, AlertRuleFields, AlertState,
    AlertUpdate, NewAlert, NewSilence, Silence,
};
use crate::{Result, StoreError, Timestamp};

const RULE_COLUMNS: &str = "id, owner_id, builtin, name, metric, comparison, threshold, \
     for_seconds, scope_kind, scope_value, severity, enabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct RuleRecord {
    id: DbId,
    owner_id: Option<DbId>,
    builtin: Option<String>,
    name: String,
    metric: String,
    comparison: String,
    threshold: f64,
    for_seconds: i64,
    scope_kind: String,
    scope_value: Option<String>,
    severity: String,
    enabled: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<RuleRecord> for AlertRule {
    fn from(r: RuleRecord) -> Self {
        AlertRule {
            id: r.id.0,
            owner_id: r.owner_id.map(|id| id.0),
            builtin: r.builtin,
            name: r.name,
            metric: r.metric,
            comparison: r.comparison,
            threshold: r.threshold,
            for_seconds: r.for_seconds,
            scope_kind: r.scope_kind,
            scope_value: r.scope_value,
            severity: r.severity,
            enabled: r.enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const ALERT_COLUMNS: &str = "id, rule_id, rule_name, severity, resource_kind, resource_id, \
     resource_name, owner_id, state, value, message, silenced, started_at, fired_at, \
     resolved_at, updated_at";

#[derive(sqlx::FromRow)]
struct AlertRecord {
    id: DbId,
    rule_id: Option<DbId>,
    rule_name: String,
    severity: String,
    resource_kind: String,
    resource_id: String,
    resource_name: String,
    owner_id: Option<DbId>,
    state: String,
    value: Option<f64>,
    message: String,
    silenced: bool,
    started_at: Timestamp,
    fired_at: Option<Timestamp>,
    resolved_at: Option<Timestamp>,
    updated_at: Timestamp,
}

impl TryFrom<AlertRecord> for Alert {
    type Error = StoreError;
    fn try_from(r: AlertRecord) -> Result<Self> {
        Ok(Alert {
            id: r.id.0,
            rule_id: r.rule_id.map(|id| id.0),
            rule_name: r.rule_name,
            severity: r.severity,
            resource: AlertResource {
                kind: r.resource_kind,
                id: r.resource_id,
            },
            resource_name: r.resource_name,
            owner_id: r.owner_id.map(|id| id.0),
            state: parse_column(&r.state)?,
            value: r.value,
            message: r.message,
            silenced: r.silenced,
            started_at: r.started_at,
            fired_at: r.fired_at,
            resolved_at: r.resolved_at,
            updated_at: r.updated_at,
        })
    }
}

const SILENCE_COLUMNS: &str =
    "id, owner_id, rule_id, resource_kind, resource_id, starts_at, ends_at, comment, created_at";

#[derive(sqlx::FromRow)]
struct SilenceRecord {
    id: DbId,
    owner_id: DbId,
    rule_id: Option<DbId>,
    resource_kind: Option<String>,
    resource_id: Option<String>,
    starts_at: Timestamp,
    ends_at: Timestamp,
    comment: String,
    created_at: Timestamp,
}

impl From<SilenceRecord> for Silence {
    fn from(r: SilenceRecord) -> Self {
        let resource = match (r.resource_kind, r.resource_id) {
            (Some(kind), Some(id)) => Some(AlertResource { kind, id }),
            _ => None,
        };
        Silence {
            id: r.id.0,
            owner_id: r.owner_id.0,
            rule_id: r.rule_id.map(|id| id.0),
            resource,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            comment: r.comment,
            created_at: r.created_at,
        }
    }
}

/// Open means pending or firing (the partial unique index's condition, verbatim).
const OPEN: &str = "state IN ('pending', 'firing')";

#[async_trait]
impl AlertRepo for SqlStore {
    async fn list_rules(&self, owner_id: Option<Uuid>) -> Result<Vec<AlertRule>> {
        let sql = format!(
            "SELECT {RULE_COLUMNS} FROM alert_rules \
             WHERE ($1 IS NULL OR owner_id IS NULL OR owner_id = $1) \
             ORDER BY builtin IS NULL, name, id"
        );
        let records: Vec<RuleRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(owner_id.map(DbId)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn get_rule(&self, id: Uuid) -> Result<AlertRule> {
        let sql = format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = $1");
        let record: Option<RuleRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn insert_rule(
        &self,
        owner_id: Uuid,
        fields: &AlertRuleFields,
        now: Timestamp,
    ) -> Result<AlertRule> {
        let sql = format!(
            "INSERT INTO alert_rules (id, owner_id, builtin, name, metric, comparison, threshold, \
             for_seconds, scope_kind, scope_value, severity, enabled, created_at, updated_at) \
             VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             RETURNING {RULE_COLUMNS}"
        );
        let record: RuleRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(owner_id))
                .bind(&fields.name)
                .bind(&fields.metric)
                .bind(&fields.comparison)
                .bind(fields.threshold)
                .bind(fields.for_seconds)
                .bind(&fields.scope_kind)
                .bind(&fields.scope_value)
                .bind(&fields.severity)
                .bind(fields.enabled)
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn update_rule(
        &self,
        id: Uuid,
        fields: &AlertRuleFields,
        now: Timestamp,
    ) -> Result<AlertRule> {
        let sql = format!(
            "UPDATE alert_rules SET name = $2, metric = $3, comparison = $4, threshold = $5, \
             for_seconds = $6, scope_kind = $7, scope_value = $8, severity = $9, enabled = $10, \
             updated_at = $11 WHERE id = $1 RETURNING {RULE_COLUMNS}"
        );
        let record: Option<RuleRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(&fields.name)
                .bind(&fields.metric)
                .bind(&fields.comparison)
                .bind(fields.threshold)
                .bind(fields.for_seconds)
                .bind(&fields.scope_kind)
                .bind(&fields.scope_value)
                .bind(&fields.severity)
                .bind(fields.enabled)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn delete_rule(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM alert_rules WHERE id = $1")
                .bind(DbId(id))
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(deleted)
    }

    async fn open_alert(&self, alert: &NewAlert) -> Result<Option<Alert>> {
        let fired_at = (alert.state == AlertState::Firing).then_some(alert.started_at);
        let sql = format!(
            "INSERT INTO alerts (id, rule_id, rule_name, severity, resource_kind, resource_id, \
             resource_name, owner_id, state, value, message, silenced, started_at, fired_at, \
             resolved_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, $13) \
             ON CONFLICT (rule_id, resource_kind, resource_id) WHERE {OPEN} DO NOTHING \
             RETURNING {ALERT_COLUMNS}"
        );
        let record: Option<AlertRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(alert.rule_id))
                .bind(&alert.rule_name)
                .bind(&alert.severity)
                .bind(&alert.resource.kind)
                .bind(&alert.resource.id)
                .bind(&alert.resource_name)
                .bind(alert.owner_id.map(DbId))
                .bind(alert.state.as_str())
                .bind(alert.value)
                .bind(&alert.message)
                .bind(alert.silenced)
                .bind(alert.started_at)
                .bind(fired_at)
                .fetch_optional(pool)
                .await?
        });
        record.map(Alert::try_from).transpose()
    }

    async fn update_alert(&self, id: Uuid, update: &AlertUpdate) -> Result<Alert> {
        // fired_at and resolved_at are set once, when the alert enters that state.
        let sql = format!(
            "UPDATE alerts SET state = $2, value = $3, message = $4, silenced = $5, \
             updated_at = $6, \
             fired_at = CASE WHEN $2 = 'firing' AND fired_at IS NULL THEN $6 ELSE fired_at END, \
             resolved_at = CASE WHEN $2 = 'resolved' THEN $6 ELSE NULL END \
             WHERE id = $1 AND {OPEN} RETURNING {ALERT_COLUMNS}"
        );
        let record: Option<AlertRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(update.state.as_str())
                .bind(update.value)
                .bind(&update.message)
                .bind(update.silenced)
                .bind(update.now)
                .fetch_optional(pool)
                .await?
        });
        match record {
            Some(record) => record.try_into(),
            None => {
                // Tell a missing alert from one already resolved.
                let exists = self.alert_exists(id).await?;
                Err(if exists {
                    StoreError::Stale("the alert is resolved")
                } else {
                    StoreError::NotFound
                })
            }
        }
    }

    async fn delete_pending_alert(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM alerts WHERE id = $1 AND state = 'pending'")
                .bind(DbId(id))
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(deleted)
    }

    async fn open_alerts(&self) -> Result<Vec<Alert>> {
        let sql =
            format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE {OPEN} ORDER BY started_at, id");
        let records: Vec<AlertRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        convert_all(records)
    }

    async fn latest_alert(&self, rule_id: Uuid, resource: &AlertResource) -> Result<Option<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts \
             WHERE rule_id = $1 AND resource_kind = $2 AND resource_id = $3 \
             ORDER BY started_at DESC, id DESC LIMIT 1"
        );
        let record: Option<AlertRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(rule_id))
                .bind(&resource.kind)
                .bind(&resource.id)
                .fetch_optional(pool)
                .await?
        });
        record.map(Alert::try_from).transpose()
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts \
             WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR owner_id = $2) \
             AND ($4 IS NULL OR started_at < $4 OR (started_at = $4 AND id < $5)) \
             ORDER BY started_at DESC, id DESC LIMIT $3"
        );
        let records: Vec<AlertRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(filter.state.map(AlertState::as_str))
                .bind(filter.owner_id.map(DbId))
                .bind(i64::from(filter.limit))
                .bind(filter.before.map(|(at, _)| at))
                .bind(filter.before.map(|(_, id)| DbId(id)))
                .fetch_all(pool)
                .await?
        });
        convert_all(records)
    }

    async fn changed_alerts(
        &self,
        since: Timestamp,
        after: Option<(Timestamp, Uuid)>,
        limit: u32,
    ) -> Result<Vec<Alert>> {
        // Keyset on (updated_at, id), the order: many alerts change in one evaluation
        // (same timestamp), and a page boundary inside them must not skip any.
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts \
             WHERE updated_at >= $1 AND state IN ('firing', 'resolved') AND NOT silenced \
             AND ($3 IS NULL OR updated_at > $3 OR (updated_at = $3 AND id > $4)) \
             ORDER BY updated_at, id LIMIT $2"
        );
        let records: Vec<AlertRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(since)
                .bind(i64::from(limit))
                .bind(after.map(|(at, _)| at))
                .bind(after.map(|(_, id)| DbId(id)))
                .fetch_all(pool)
                .await?
        });
        convert_all(records)
    }

    async fn insert_silence(&self, silence: &NewSilence) -> Result<Silence> {
        let sql = format!(
            "INSERT INTO alert_silences (id, owner_id, rule_id, resource_kind, resource_id, \
             starts_at, ends_at, comment, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {SILENCE_COLUMNS}"
        );
        let resource = silence.resource.as_ref();
        let record: SilenceRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(silence.owner_id))
                .bind(silence.rule_id.map(DbId))
                .bind(resource.map(|r| r.kind.as_str()))
                .bind(resource.map(|r| r.id.as_str()))
                .bind(silence.starts_at)
                .bind(silence.ends_at)
                .bind(&silence.comment)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn get_silence(&self, id: Uuid) -> Result<Silence> {
        let sql = format!("SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE id = $1");
        let record: Option<SilenceRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn list_silences(&self, owner_id: Option<Uuid>) -> Result<Vec<Silence>> {
        let sql = format!(
            "SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE ($1 IS NULL OR owner_id = $1) \
             ORDER BY ends_at DESC, id DESC"
        );
        let records: Vec<SilenceRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(owner_id.map(DbId)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn active_silences(&self, now: Timestamp) -> Result<Vec<Silence>> {
        let sql = format!(
            "SELECT {SILENCE_COLUMNS} FROM alert_silences WHERE starts_at <= $1 AND ends_at > $1 \
             ORDER BY id"
        );
        let records: Vec<SilenceRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(now).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn delete_silence(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM alert_silences WHERE id = $1")
                .bind(DbId(id))
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(deleted)
    }
}

impl SqlStore {
    async fn alert_exists(&self, id: Uuid) -> Result<bool> {
        let row: Option<(DbId,)> = on_reader!(&self.db, pool => {
            sqlx::query_as("SELECT id FROM alerts WHERE id = $1")
                .bind(DbId(id))
                .fetch_optional(pool)
                .await?
        });
        Ok(row.is_some())
    }
}
