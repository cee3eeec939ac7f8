//! `/api/v1/audit`: reading the audit log (admin only), as JSON pages or CSV.

use axum::Json;
use axum::http::header;
use axum::response::IntoResponse;
use proxicloud_domain::audit::AuditService;
use proxicloud_store::{AuditEntry, AuditFilter, Outcome, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::dto::{page_request, paginated};
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::ApiQuery;
use crate::state::{AppState, Domain};
use proxicloud_types::api::common::{DEFAULT_PAGE_LIMIT, PageQuery, Paginated};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit_entries))
        .routes(routes!(export_audit_csv))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeDto {
    Success,
    Failure,
    /// Refused: not authenticated or not allowed.
    Denied,
}

impl From<Outcome> for OutcomeDto {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => OutcomeDto::Success,
            Outcome::Failure => OutcomeDto::Failure,
            Outcome::Denied => OutcomeDto::Denied,
        }
    }
}

impl From<OutcomeDto> for Outcome {
    fn from(outcome: OutcomeDto) -> Self {
        match outcome {
            OutcomeDto::Success => Outcome::Success,
            OutcomeDto::Failure => Outcome::Failure,
            OutcomeDto::Denied => Outcome::Denied,
        }
    }
}

/// Filters (all exact matches; `from` inclusive, `to` exclusive) and pagination.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    /// e.g. `login`, `create_user`.
    pub action: Option<String>,
    /// e.g. `users/0195…`.
    pub resource: Option<String>,
    pub outcome: Option<OutcomeDto>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<Timestamp>,
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<Timestamp>,
    /// Entries per page, 1 to 1000 (default 50). Not for the CSV export.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page. Not for the CSV export.
    pub cursor: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            user_id: self.user_id,
            username: self.username.clone(),
            action: self.action.clone(),
            resource: self.resource.clone(),
            outcome: self.outcome.map(Outcome::from),
            from: self.from,
            to: self.to,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    /// Position in the chain: 1, 2, 3… without gaps.
    pub seq: i64,
    pub id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub source_ip: Option<String>,
    pub action: String,
    pub resource: Option<String>,
    pub outcome: OutcomeDto,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Hash of the previous entry (`null` for the first).
    pub prev_hash: Option<String>,
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(entry: AuditEntry) -> Self {
        Self {
            seq: entry.seq,
            id: entry.id,
            at: entry.at,
            user_id: entry.user_id,
            username: entry.username,
            source_ip: entry.source_ip,
            action: entry.action,
            resource: entry.resource,
            outcome: entry.outcome.into(),
            request_id: entry.request_id,
            details: entry.details,
            prev_hash: entry.prev_hash,
            hash: entry.hash,
        }
    }
}

/// Audit log entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Paginated<AuditEntryDto>), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn list_audit_entries(
    auth: Auth,
    Domain(audit): Domain<AuditService>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Paginated<AuditEntryDto>>> {
    let page = PageQuery {
        limit: Some(query.limit.unwrap_or(DEFAULT_PAGE_LIMIT)),
        cursor: query.cursor.clone(),
    };
    let entries = audit
        .query(&auth.principal, &query.filter(), page_request(&page))
        .await?;
    Ok(Json(paginated(entries, AuditEntryDto::from)))
}

/// The audit log entries matching the filters as CSV, newest first.
#[utoipa::path(get, path = "/api/v1/audit.csv", tag = "audit", params(AuditQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorResponse)))]
async fn export_audit_csv(
    auth: Auth,
    Domain(audit): Domain<AuditService>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<impl IntoResponse> {
    if query.limit.is_some() || query.cursor.is_some() {
        let fields = [(
            "limit".to_owned(),
            "the CSV export has every matching entry; no paging".to_owned(),
        )];
        return Err(ApiError::validation(fields.into()));
    }
    let csv = audit.export_csv(&auth.principal, &query.filter()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        csv,
    ))
}
