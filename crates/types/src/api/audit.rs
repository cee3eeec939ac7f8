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

/// Filters (every one given must match) and pagination. `username`, `action` and
/// `resource` match entries that contain the text, ignoring letter case; `from` is
/// inclusive, `to` exclusive and must be later than `from` (422 otherwise).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// e.g. `user` finds `create_user`, `delete_user` and `reset_user_password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// e.g. `users/0195` finds the entries about users whose id starts so.
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
