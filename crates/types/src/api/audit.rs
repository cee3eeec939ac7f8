//! `/api/v1/audit`: the audit log (admin only).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OutcomeDto {
    Success,
    Failure,
    /// Refused: not authenticated or not allowed.
    Denied,
}

/// Filters (all exact matches; `from` inclusive, `to` exclusive) and pagination.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// e.g. `login`, `create_user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// e.g. `users/0195…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeDto>,
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, format = DateTime))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, format = DateTime))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    /// Entries per page, 1 to 1000 (default 50). Not for the CSV export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page. Not for the CSV export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntryDto {
    /// Position in the chain: 1, 2, 3… without gaps.
    pub seq: i64,
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub source_ip: Option<String>,
    pub action: String,
    pub resource: Option<String>,
    pub outcome: OutcomeDto,
    pub request_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// Hash of the previous entry (`null` for the first).
    pub prev_hash: Option<String>,
    pub hash: String,
}
