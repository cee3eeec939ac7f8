//! `/api/v1/alerts`: what fires now and what fired (`?state=`), the rules that raise
//! alerts (custom ones owned by their creator; built-in ones shared, tuned or disabled
//! by admins, never deleted) and silences. Evaluation runs in the `alerts` worker.

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::alerts::{
    AlertRuleService, AlertService, RuleInput, RulePatch, SilenceInput, SilenceService,
};
use proxicloud_store::{AlertRuleFields, Cursor, Timestamp};
use proxicloud_types::api::alerts::{
    AlertDto, AlertListQuery, AlertRuleDto, CreateAlertRuleRequest, CreateSilenceRequest,
    SilenceDto, UpdateAlertRuleRequest,
};
use proxicloud_types::api::common::Paginated;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::{IntoDto, alerts as dto};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::{AppState, Domain};

/// `GET /alerts` without `limit`.
const DEFAULT_LIMIT: u32 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(list_alert_rules, create_alert_rule))
        .routes(routes!(
            get_alert_rule,
            update_alert_rule,
            delete_alert_rule
        ))
        .routes(routes!(list_silences, create_silence))
        .routes(routes!(delete_silence))
}

/// Alerts you may see (yours, or all for an admin), newest first: `?state=firing` is
/// what is wrong now, `resolved` the history (paged: `next_cursor` → `cursor`).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertListQuery),
    responses((status = 200, body = Paginated<AlertDto>), (status = 422, body = ErrorResponse)))]
async fn list_alerts(
    auth: Auth,
    Domain(alerts): Domain<AlertService>,
    ApiQuery(query): ApiQuery<AlertListQuery>,
) -> ApiResult<Json<Paginated<AlertDto>>> {
    let state = query.state.map(dto::state);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let cursor = query.cursor.map(Cursor::new);
    let page = alerts
        .list(&auth.principal, state, limit, cursor.as_ref())
        .await?;
    Ok(Json(crate::dto::paginated(page, IntoDto::into_dto)))
}

/// The built-in rules, then your rules (everyone's for an admin) by name.
#[utoipa::path(get, path = "/api/v1/alerts/rules", tag = "alerts",
    responses((status = 200, body = Paginated<AlertRuleDto>)))]
async fn list_alert_rules(
    auth: Auth,
    Domain(rules): Domain<AlertRuleService>,
) -> ApiResult<Json<Paginated<AlertRuleDto>>> {
    let list = rules.list(&auth.principal).await?;
    Ok(Json(Paginated::all(list.into_dto())))
}

/// Create a rule: `metric comparison threshold`, held for `for_seconds`, on the
/// instances of `scope` you may see.
#[utoipa::path(post, path = "/api/v1/alerts/rules", tag = "alerts",
    request_body = CreateAlertRuleRequest,
    responses((status = 201, body = AlertRuleDto), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_alert_rule(
    auth: Auth,
    Domain(rules): Domain<AlertRuleService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateAlertRuleRequest>,
) -> ApiResult<(StatusCode, Json<AlertRuleDto>)> {
    let fields = AlertRuleFields {
        name: request.name,
        metric: dto::metric(request.metric).into(),
        comparison: dto::comparison(request.comparison).into(),
        threshold: request.threshold,
        for_seconds: request.for_seconds,
        scope_kind: dto::scope_kind(request.scope.kind).into(),
        scope_value: request.scope.value,
        severity: dto::severity(request.severity).into(),
        enabled: request.enabled.unwrap_or(true),
    };
    let rule = rules
        .create(&auth.principal, RuleInput { fields }, Timestamp::now())
        .await?;
    trail.resource(format!("alerts/rules/{}", rule.id));
    trail.detail("name", rule.name.clone());
    Ok((StatusCode::CREATED, Json(rule.into_dto())))
}

/// One rule (a built-in one, yours, or anyone's for an admin).
#[utoipa::path(get, path = "/api/v1/alerts/rules/{id}", tag = "alerts",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AlertRuleDto), (status = 404, body = ErrorResponse)))]
async fn get_alert_rule(
    auth: Auth,
    Domain(rules): Domain<AlertRuleService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<AlertRuleDto>> {
    Ok(Json(rules.get(&auth.principal, id).await?.into_dto()))
}

/// Change a rule; disabling it resolves its open alerts at the next evaluation.
#[utoipa::path(patch, path = "/api/v1/alerts/rules/{id}", tag = "alerts",
    params(("id" = Uuid, Path)), request_body = UpdateAlertRuleRequest,
    responses((status = 200, body = AlertRuleDto), (status = 400, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn update_alert_rule(
    auth: Auth,
    Domain(rules): Domain<AlertRuleService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateAlertRuleRequest>,
) -> ApiResult<Json<AlertRuleDto>> {
    trail.resource(format!("alerts/rules/{id}"));
    let patch = RulePatch {
        name: request.name,
        metric: request.metric.map(|m| dto::metric(m).into()),
        comparison: request.comparison.map(|c| dto::comparison(c).into()),
        threshold: request.threshold,
        for_seconds: request.for_seconds,
        scope: request
            .scope
            .map(|s| (dto::scope_kind(s.kind).to_owned(), s.value)),
        severity: request.severity.map(|s| dto::severity(s).into()),
        enabled: request.enabled,
    };
    let rule = rules
        .update(&auth.principal, id, patch, Timestamp::now())
        .await?;
    trail.detail("enabled", rule.enabled);
    Ok(Json(rule.into_dto()))
}

/// Delete a custom rule (built-in ones are disabled instead: 409 `builtin_rule`). Its
/// alerts stay in the history.
#[utoipa::path(delete, path = "/api/v1/alerts/rules/{id}", tag = "alerts",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
async fn delete_alert_rule(
    auth: Auth,
    Domain(rules): Domain<AlertRuleService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("alerts/rules/{id}"));
    let deleted = rules.delete(&auth.principal, id).await?;
    trail.detail("name", deleted.name);
    Ok(StatusCode::NO_CONTENT)
}

/// Your silences (everyone's for an admin), those ending last first.
#[utoipa::path(get, path = "/api/v1/alerts/silences", tag = "alerts",
    responses((status = 200, body = Paginated<SilenceDto>)))]
async fn list_silences(
    auth: Auth,
    Domain(silences): Domain<SilenceService>,
) -> ApiResult<Json<Paginated<SilenceDto>>> {
    let list = silences.list(&auth.principal).await?;
    Ok(Json(Paginated::all(list.into_dto())))
}

/// Silence the matching alerts you may see until `ends_at` (from `starts_at`: a
/// maintenance window).
#[utoipa::path(post, path = "/api/v1/alerts/silences", tag = "alerts",
    request_body = CreateSilenceRequest,
    responses((status = 201, body = SilenceDto), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_silence(
    auth: Auth,
    Domain(silences): Domain<SilenceService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateSilenceRequest>,
) -> ApiResult<(StatusCode, Json<SilenceDto>)> {
    let input = SilenceInput {
        rule_id: request.rule_id,
        resource: request.resource.map(dto::resource),
        starts_at: request.starts_at,
        ends_at: request.ends_at,
        comment: request.comment,
    };
    let silence = silences
        .create(&auth.principal, input, Timestamp::now())
        .await?;
    trail.resource(format!("alerts/silences/{}", silence.id));
    trail.detail("ends_at", silence.ends_at.to_string());
    Ok((StatusCode::CREATED, Json(silence.into_dto())))
}

/// End a silence.
#[utoipa::path(delete, path = "/api/v1/alerts/silences/{id}", tag = "alerts",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn delete_silence(
    auth: Auth,
    Domain(silences): Domain<SilenceService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("alerts/silences/{id}"));
    silences.delete(&auth.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
