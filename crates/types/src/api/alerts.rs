//! `/api/v1/alerts`: alert rules (custom ones owned by their creator, built-in ones
//! shared), the alerts they raise (pending → firing → resolved, kept as history) and
//! silences (maintenance windows are silences set in advance).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// What a custom rule measures on each instance it watches (running instances, from
/// the latest inventory poll): percentages 0–100, rates in bytes per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertMetricDto {
    CpuPercent,
    MemoryPercent,
    DiskPercent,
    NetInBps,
    NetOutBps,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertComparisonDto {
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverityDto {
    Info,
    #[default]
    Warning,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertScopeKindDto {
    Instance,
    Tag,
    Node,
    Cluster,
    All,
}

/// Which instances a rule watches, among those its owner may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertScopeDto {
    pub kind: AlertScopeKindDto,
    /// The instance id, the tag, the node (`<cluster id>:<node>`) or the cluster id;
    /// left out for `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertRuleDto {
    pub id: Uuid,
    /// `null` for built-in rules.
    pub owner_id: Option<Uuid>,
    /// The built-in condition (`guest_down`, `node_offline`, `disk_full`,
    /// `cluster_unreachable`, `job_failed`, `backup_failed`); `null` for custom rules.
    pub builtin: Option<String>,
    pub name: String,
    /// One of [`AlertMetricDto`]'s names, or `status` for the built-in conditions.
    pub metric: String,
    /// `gt`, `ge`, `lt`, `le` (`eq` for the built-in conditions).
    pub comparison: String,
    pub threshold: f64,
    /// How long the condition must hold before the alert fires.
    pub for_seconds: i64,
    pub scope: AlertScopeDto,
    pub severity: AlertSeverityDto,
    pub enabled: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAlertRuleRequest {
    /// 1 to 100 characters.
    pub name: String,
    pub metric: AlertMetricDto,
    pub comparison: AlertComparisonDto,
    pub threshold: f64,
    /// 0 (fire at once) to 604800; 0 when left out.
    #[serde(default)]
    pub for_seconds: i64,
    pub scope: AlertScopeDto,
    /// `warning` when left out.
    #[serde(default)]
    pub severity: AlertSeverityDto,
    /// `true` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// What is set changes. A built-in rule takes `enabled`, `severity`, `for_seconds`
/// (and `threshold` for `disk_full`) only; anything else is a 400 `builtin_rule`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAlertRuleRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<AlertMetricDto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<AlertComparisonDto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<AlertScopeDto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<AlertSeverityDto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertStateDto {
    /// The condition holds, not yet for the rule's duration.
    Pending,
    Firing,
    Resolved,
}

/// What an alert is about: `kind` `instance` (id: the instance id), `node`
/// (`<cluster id>:<node>`), `cluster` (its id) or `job` (its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertResourceDto {
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertDto {
    pub id: Uuid,
    /// `null` once the rule is deleted.
    pub rule_id: Option<Uuid>,
    pub rule_name: String,
    pub severity: AlertSeverityDto,
    pub resource: AlertResourceDto,
    pub resource_name: String,
    /// Who sees it besides admins: the custom rule's owner, or the resource's.
    pub owner_id: Option<Uuid>,
    pub state: AlertStateDto,
    /// The measured value that last met the condition, if it has one.
    pub value: Option<f64>,
    pub message: String,
    /// A silence covers it: nothing is notified.
    pub silenced: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub fired_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolved_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// `GET /alerts`: newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AlertListQuery {
    /// Only alerts in this state (`firing` for what is wrong now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<AlertStateDto>,
    /// At most this many, 1 to 500 (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same `state`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SilenceDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// Only this rule's alerts (any rule when `null`).
    pub rule_id: Option<Uuid>,
    /// Only alerts about this resource (any when `null`).
    pub resource: Option<AlertResourceDto>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: Timestamp,
    pub comment: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// Mutes the matching alerts (among those you may see) from `starts_at` (now when
/// left out) to `ends_at`; set in advance, it is a maintenance window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSilenceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<AlertResourceDto>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub starts_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: Timestamp,
    /// Why (at most 500 characters).
    #[serde(default)]
    pub comment: String,
}
