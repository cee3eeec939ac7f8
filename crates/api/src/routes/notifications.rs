//! `/api/v1/alerts/channels` and `/api/v1/alerts/subscriptions`: where alert
//! notifications go and which alerts each user sends where. Channel secrets are
//! write-only: never in a response, the audit trail (the channel's name and kind only)
//! or logs. Delivery runs in the `alerts.notify` worker.

use axum::Json;
use axum::http::StatusCode;
use proxicloud_domain::alerts::notify::{
    ChannelInput, ChannelPatch, ChannelService, SubscriptionInput, SubscriptionService,
};
use proxicloud_domain::alerts::rule::Severity;
use proxicloud_store::Timestamp;
use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::notifications::{
    CreateNotificationChannelRequest, CreateSubscriptionRequest, NotificationChannelDto,
    SubscriptionDto, UpdateNotificationChannelRequest,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::audit_trail::AuditTrail;
use crate::auth::Auth;
use crate::dto::{IntoDto, alerts as dto};
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::{ApiJson, ApiPath};
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(get_channel, update_channel, delete_channel))
        .routes(routes!(test_channel))
        .routes(routes!(list_subscriptions, create_subscription))
        .routes(routes!(delete_subscription))
}

/// The request's secrets, exposed only to be sealed at once.
fn exposed(secrets: BTreeMap<String, SecretString>) -> BTreeMap<String, String> {
    secrets
        .into_iter()
        .map(|(k, v)| (k, v.expose_secret().to_owned()))
        .collect()
}

/// Your notification channels (everyone's for an admin), by name.
#[utoipa::path(get, path = "/api/v1/alerts/channels", tag = "alerts",
    responses((status = 200, body = Paginated<NotificationChannelDto>)))]
async fn list_channels(
    auth: Auth,
    Domain(channels): Domain<ChannelService>,
) -> ApiResult<Json<Paginated<NotificationChannelDto>>> {
    let list = channels.list(&auth.principal).await?;
    Ok(Json(Paginated::all(list.into_dto())))
}

/// Create a notification channel: a kind with its settings and (write-only) secrets.
#[utoipa::path(post, path = "/api/v1/alerts/channels", tag = "alerts",
    request_body = CreateNotificationChannelRequest,
    responses((status = 201, body = NotificationChannelDto), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_channel(
    auth: Auth,
    Domain(channels): Domain<ChannelService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateNotificationChannelRequest>,
) -> ApiResult<(StatusCode, Json<NotificationChannelDto>)> {
    trail.detail("kind", request.kind.as_str());
    let input = ChannelInput {
        name: request.name,
        kind: request.kind.as_str().to_owned(),
        settings: request.settings,
        secrets: exposed(request.secrets),
        enabled: request.enabled.unwrap_or(true),
    };
    let channel = channels
        .create(&auth.principal, input, Timestamp::now())
        .await?;
    trail.resource(format!("alerts/channels/{}", channel.row.id));
    trail.detail("name", channel.row.name.clone());
    Ok((StatusCode::CREATED, Json(channel.into_dto())))
}

/// One channel (yours, or anyone's for an admin).
#[utoipa::path(get, path = "/api/v1/alerts/channels/{id}", tag = "alerts",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = NotificationChannelDto), (status = 404, body = ErrorResponse)))]
async fn get_channel(
    auth: Auth,
    Domain(channels): Domain<ChannelService>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<NotificationChannelDto>> {
    Ok(Json(channels.get(&auth.principal, id).await?.into_dto()))
}

/// Change a channel: its name, settings, secrets (each given replaces that one; left
/// out, kept) or whether it is enabled.
#[utoipa::path(patch, path = "/api/v1/alerts/channels/{id}", tag = "alerts",
    params(("id" = Uuid, Path)), request_body = UpdateNotificationChannelRequest,
    responses((status = 200, body = NotificationChannelDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
async fn update_channel(
    auth: Auth,
    Domain(channels): Domain<ChannelService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateNotificationChannelRequest>,
) -> ApiResult<Json<NotificationChannelDto>> {
    trail.resource(format!("alerts/channels/{id}"));
    if let Some(secrets) = &request.secrets {
        // Which secrets changed, never their values.
        trail.detail(
            "secrets_changed",
            secrets.keys().cloned().collect::<Vec<_>>().join(","),
        );
    }
    let patch = ChannelPatch {
        name: request.name,
        settings: request.settings,
        secrets: request.secrets.map(exposed),
        enabled: request.enabled,
    };
    let channel = channels
        .update(&auth.principal, id, patch, Timestamp::now())
        .await?;
    trail.detail("name", channel.row.name.clone());
    Ok(Json(channel.into_dto()))
}

/// Delete a channel, with its subscriptions and pending deliveries.
#[utoipa::path(delete, path = "/api/v1/alerts/channels/{id}", tag = "alerts",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn delete_channel(
    auth: Auth,
    Domain(channels): Domain<ChannelService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("alerts/channels/{id}"));
    let deleted = channels.delete(&auth.principal, id).await?;
    trail.detail("name", deleted.name);
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test message now. When the receiver fails, a 502 `notification_failed`
/// says how (its status, a refused connection, a timeout, a blocked address); either
/// way the channel's `last_error` / `last_delivered_at` record it.
#[utoipa::path(post, path = "/api/v1/alerts/channels/{id}/test", tag = "alerts",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = NotificationChannelDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 502, body = ErrorResponse)))]
async fn test_channel(
    auth: Auth,
    Domain(channels): Domain<ChannelService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<NotificationChannelDto>> {
    trail.resource(format!("alerts/channels/{id}"));
    let channel = channels.test(&auth.principal, id, Timestamp::now()).await?;
    Ok(Json(channel.into_dto()))
}

/// Your subscriptions (everyone's for an admin), oldest first.
#[utoipa::path(get, path = "/api/v1/alerts/subscriptions", tag = "alerts",
    responses((status = 200, body = Paginated<SubscriptionDto>)))]
async fn list_subscriptions(
    auth: Auth,
    Domain(subscriptions): Domain<SubscriptionService>,
) -> ApiResult<Json<Paginated<SubscriptionDto>>> {
    let list = subscriptions.list(&auth.principal).await?;
    Ok(Json(Paginated::all(list.into_dto())))
}

/// Send alerts you may see — of at least `min_severity`, optionally of one rule
/// and/or about one resource — to one of your channels.
#[utoipa::path(post, path = "/api/v1/alerts/subscriptions", tag = "alerts",
    request_body = CreateSubscriptionRequest,
    responses((status = 201, body = SubscriptionDto), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn create_subscription(
    auth: Auth,
    Domain(subscriptions): Domain<SubscriptionService>,
    trail: AuditTrail,
    ApiJson(request): ApiJson<CreateSubscriptionRequest>,
) -> ApiResult<(StatusCode, Json<SubscriptionDto>)> {
    let min_severity =
        Severity::parse(dto::severity(request.min_severity)).unwrap_or(Severity::Warning);
    let input = SubscriptionInput {
        channel_id: request.channel_id,
        min_severity,
        rule_id: request.rule_id,
        resource: request.resource.map(dto::resource),
        notify_resolved: request.notify_resolved.unwrap_or(true),
    };
    let subscription = subscriptions
        .create(&auth.principal, input, Timestamp::now())
        .await?;
    trail.resource(format!("alerts/subscriptions/{}", subscription.id));
    trail.detail("channel_id", subscription.channel_id.to_string());
    Ok((StatusCode::CREATED, Json(subscription.into_dto())))
}

/// Stop a subscription.
#[utoipa::path(delete, path = "/api/v1/alerts/subscriptions/{id}", tag = "alerts",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
async fn delete_subscription(
    auth: Auth,
    Domain(subscriptions): Domain<SubscriptionService>,
    trail: AuditTrail,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    trail.resource(format!("alerts/subscriptions/{id}"));
    subscriptions.delete(&auth.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
