//! Notification channels and subscriptions: domain views →
//! [`proxicloud_types::api::notifications`].

use proxicloud_domain::alerts::notify::ChannelView;
use proxicloud_store::Subscription;
use proxicloud_types::api::alerts::AlertResourceDto;
use proxicloud_types::api::notifications::{
    ChannelKindDto, NotificationChannelDto, SubscriptionDto,
};

use super::IntoDto;
use super::alerts::severity_dto;

impl IntoDto for ChannelView {
    type Dto = NotificationChannelDto;
    fn into_dto(self) -> NotificationChannelDto {
        let row = self.row;
        NotificationChannelDto {
            id: row.id,
            owner_id: row.owner_id,
            name: row.name,
            // Only kinds the API accepts are stored.
            kind: ChannelKindDto::parse(&row.kind).unwrap_or(ChannelKindDto::Webhook),
            settings: self.settings,
            secrets_set: self.secrets_set,
            enabled: row.enabled,
            last_delivered_at: row.last_delivered_at,
            last_error: row.last_error,
            last_error_at: row.last_error_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl IntoDto for Subscription {
    type Dto = SubscriptionDto;
    fn into_dto(self) -> SubscriptionDto {
        let resource = match (self.resource_kind, self.resource_id) {
            (Some(kind), Some(id)) => Some(AlertResourceDto { kind, id }),
            _ => None,
        };
        SubscriptionDto {
            id: self.id,
            owner_id: self.owner_id,
            channel_id: self.channel_id,
            min_severity: severity_dto(&self.min_severity),
            rule_id: self.rule_id,
            resource,
            notify_resolved: self.notify_resolved,
            created_at: self.created_at,
        }
    }
}
