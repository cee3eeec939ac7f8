//! Alert rules, the alerts they raise and silences (the domain's `alerts` feature).
//!
//! The store only keeps rows; what the fields mean (metrics, comparisons, scopes) is
//! the domain's. Its guarantee: at most one open (pending or firing) alert per rule
//! and resource, however many replicas evaluate ([`AlertRepo::open_alert`]).

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Result, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    pub id: Uuid,
    /// `None` for built-in rules (seeded by the migration).
    pub owner_id: Option<Uuid>,
    /// The built-in condition, e.g. `guest_down`; `None` for custom rules.
    pub builtin: Option<String>,
    pub name: String,
    pub metric: String,
    pub comparison: String,
    pub threshold: f64,
    pub for_seconds: i64,
    pub scope_kind: String,
    pub scope_value: Option<String>,
    pub severity: String,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Everything about a rule that can be set (create, and every update, whole).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRuleFields {
    pub name: String,
    pub metric: String,
    pub comparison: String,
    pub threshold: f64,
    pub for_seconds: i64,
    pub scope_kind: String,
    pub scope_value: Option<String>,
    pub severity: String,
    pub enabled: bool,
}

impl From<&AlertRule> for AlertRuleFields {
    fn from(rule: &AlertRule) -> Self {
        Self {
            name: rule.name.clone(),
            metric: rule.metric.clone(),
            comparison: rule.comparison.clone(),
            threshold: rule.threshold,
            for_seconds: rule.for_seconds,
            scope_kind: rule.scope_kind.clone(),
            scope_value: rule.scope_value.clone(),
            severity: rule.severity.clone(),
            enabled: rule.enabled,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// The condition holds, not yet for the rule's duration.
    Pending,
    Firing,
    /// Was firing; the condition ended (or the rule went away).
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, AlertState::Resolved)
    }
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(AlertState::Pending),
            "firing" => Ok(AlertState::Firing),
            "resolved" => Ok(AlertState::Resolved),
            other => Err(format!("unknown alert state '{other}'")),
        }
    }
}

/// What an alert is about: `instance` + guest id, `node` + `<cluster>:<node>`,
/// `cluster` + cluster id, `job` + job id, … (the domain names them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertResource {
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: Uuid,
    /// `None` once the rule is deleted (its name stays in `rule_name`).
    pub rule_id: Option<Uuid>,
    pub rule_name: String,
    pub severity: String,
    pub resource: AlertResource,
    pub resource_name: String,
    /// Who sees it besides admins.
    pub owner_id: Option<Uuid>,
    pub state: AlertState,
    /// The measured value that last met the condition, when it has one.
    pub value: Option<f64>,
    pub message: String,
    pub silenced: bool,
    /// When the condition was first seen.
    pub started_at: Timestamp,
    pub fired_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub rule_id: Uuid,
    pub rule_name: String,
    pub severity: String,
    pub resource: AlertResource,
    pub resource_name: String,
    pub owner_id: Option<Uuid>,
    /// `Pending` or `Firing` (a rule without a duration fires at once).
    pub state: AlertState,
    pub value: Option<f64>,
    pub message: String,
    pub silenced: bool,
    pub started_at: Timestamp,
}

/// The new state of an alert; `now` becomes `updated_at`, and `fired_at` /
/// `resolved_at` when it enters that state.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertUpdate {
    pub state: AlertState,
    pub value: Option<f64>,
    pub message: String,
    pub silenced: bool,
    pub now: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    pub state: Option<AlertState>,
    /// Only the alerts this user sees (owned by them); `None`: all.
    pub owner_id: Option<Uuid>,
    /// At most this many, newest first.
    pub limit: u32,
    /// Only alerts before this `(started_at, id)` in that order: the next page after
    /// the last alert of the previous one.
    pub before: Option<(Timestamp, Uuid)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// Matchers: every one that is set must match; none set matches every alert the
    /// owner may see.
    pub rule_id: Option<Uuid>,
    pub resource: Option<AlertResource>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub comment: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSilence {
    pub owner_id: Uuid,
    pub rule_id: Option<Uuid>,
    pub resource: Option<AlertResource>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub comment: String,
}

#[async_trait]
pub trait AlertRepo: Send + Sync {
    /// Built-in rules and one owner's (`Some`), or every rule (`None`); built-ins
    /// first, then by name and id.
    async fn list_rules(&self, owner_id: Option<Uuid>) -> Result<Vec<AlertRule>>;
    async fn get_rule(&self, id: Uuid) -> Result<AlertRule>;
    /// A custom rule. `MissingReference` when the owner does not exist.
    async fn insert_rule(
        &self,
        owner_id: Uuid,
        fields: &AlertRuleFields,
        now: Timestamp,
    ) -> Result<AlertRule>;
    async fn update_rule(
        &self,
        id: Uuid,
        fields: &AlertRuleFields,
        now: Timestamp,
    ) -> Result<AlertRule>;
    /// Its alerts stay, without the rule; its silences go.
    async fn delete_rule(&self, id: Uuid) -> Result<()>;

    /// Opens an alert, or returns `None` when one is already open for its rule and
    /// resource (it is left as it is).
    async fn open_alert(&self, alert: &NewAlert) -> Result<Option<Alert>>;
    /// `Stale` when the alert is resolved already (resolved alerts are history).
    async fn update_alert(&self, id: Uuid, update: &AlertUpdate) -> Result<Alert>;
    /// Drops a pending alert whose condition ended before it fired (it never
    /// happened, as far as history goes). `NotFound` for any other alert.
    async fn delete_pending_alert(&self, id: Uuid) -> Result<()>;
    /// Every pending and firing alert.
    async fn open_alerts(&self) -> Result<Vec<Alert>>;
    /// The newest alert of a rule about a resource, in any state.
    async fn latest_alert(&self, rule_id: Uuid, resource: &AlertResource) -> Result<Option<Alert>>;
    /// Newest first (by when they started).
    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>>;
    /// Firing or resolved alerts, not silenced, changed at or after `since`, oldest
    /// change first (by `updated_at`, then id), at most `limit`: what the notification
    /// outbox looks at. The next page starts `after` the last alert's
    /// `(updated_at, id)`, so alerts changed at the same instant are never skipped.
    async fn changed_alerts(
        &self,
        since: Timestamp,
        after: Option<(Timestamp, Uuid)>,
        limit: u32,
    ) -> Result<Vec<Alert>>;

    async fn insert_silence(&self, silence: &NewSilence) -> Result<Silence>;
    async fn get_silence(&self, id: Uuid) -> Result<Silence>;
    /// One owner's silences or everyone's (`None`), those ending last first.
    async fn list_silences(&self, owner_id: Option<Uuid>) -> Result<Vec<Silence>>;
    /// The silences in force at `now`.
    async fn active_silences(&self, now: Timestamp) -> Result<Vec<Silence>>;
    async fn delete_silence(&self, id: Uuid) -> Result<()>;
}
