//! `/api/v1/audit`: reading the audit log (admin only), as JSON pages or CSV.

use axum::Json;
use axum::http::header;
use axum::response::IntoResponse;
use proxicloud_domain::audit::AuditService;
use proxicloud_types::api::audit::{AuditEntryDto, AuditQuery};
use proxicloud_types::api::common::{DEFAULT_PAGE_LIMIT, PageQuery, Paginated};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::dto::audit::audit_filter;
use crate::dto::{IntoDto, page_request, paginated};
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::ApiQuery;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit_entries))
        .routes(routes!(export_audit_csv))
}

/// Audit log entries, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Paginated<AuditEntryDto>), (status = 403, body = ErrorResponse)))]
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
        .query(&auth.principal, &audit_filter(&query), page_request(&page))
        .await?;
    Ok(Json(paginated(entries, IntoDto::into_dto)))
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
    let csv = audit
        .export_csv(&auth.principal, &audit_filter(&query))
        .await?;
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
