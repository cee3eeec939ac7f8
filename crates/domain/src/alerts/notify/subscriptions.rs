//! [`SubscriptionService`]: which alerts a user sends to which of their channels — a
//! least severity, optionally one rule and/or one resource, and whether resolutions
//! are sent too. Whatever a subscription says, a user is only ever notified about
//! alerts they may see ([`matches`]: admins all, others their own).

use std::sync::Arc;

use proxicloud_store::{
    Alert, AlertResource, AlertState, NewSubscription, Role, Store, Subscription, Timestamp, User,
    Uuid,
};

use crate::alerts::AlertRuleService;
use crate::alerts::rule::Severity;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;

const RESOURCE: &str = "subscription";
const RESOURCE_KINDS: [&str; 4] = ["instance", "node", "cluster", "job"];

pub struct SubscriptionInput {
    pub channel_id: Uuid,
    pub min_severity: Severity,
    pub rule_id: Option<Uuid>,
    pub resource: Option<AlertResource>,
    pub notify_resolved: bool,
}

pub struct SubscriptionService {
    store: Arc<dyn Store>,
    rules: Arc<AlertRuleService>,
}

impl SubscriptionService {
    pub fn new(store: Arc<dyn Store>, rules: Arc<AlertRuleService>) -> Self {
        Self { store, rules }
    }

    /// Subscribes one of the caller's own channels.
    pub async fn create(
        &self,
        caller: &Principal,
        input: SubscriptionInput,
        now: Timestamp,
    ) -> DomainResult<Subscription> {
        caller.require_create()?;
        let channel = self
            .store
            .notifications()
            .get_channel(input.channel_id)
            .await;
        if !channel.is_ok_and(|c| c.owner_id == caller.user_id) {
            return Err(DomainError::invalid(
                "channel_id",
                "not one of your notification channels",
            ));
        }
        if let Some(rule_id) = input.rule_id
            && self.rules.get(caller, rule_id).await.is_err()
        {
            return Err(DomainError::invalid("rule_id", "no such alert rule"));
        }
        if let Some(resource) = &input.resource {
            if !RESOURCE_KINDS.contains(&resource.kind.as_str()) {
                return Err(DomainError::invalid(
                    "resource.kind",
                    format!("one of {}", RESOURCE_KINDS.join(", ")),
                ));
            }
            if resource.id.trim().is_empty() || resource.id.len() > 200 {
                return Err(DomainError::invalid("resource.id", "1 to 200 characters"));
            }
        }
        let new = NewSubscription {
            owner_id: caller.user_id,
            channel_id: input.channel_id,
            min_severity: input.min_severity.as_str().to_owned(),
            rule_id: input.rule_id,
            resource_kind: input.resource.as_ref().map(|r| r.kind.clone()),
            resource_id: input.resource.map(|r| r.id),
            notify_resolved: input.notify_resolved,
        };
        Ok(self
            .store
            .notifications()
            .insert_subscription(new, now)
            .await?)
    }

    /// The caller's subscriptions (everyone's for an admin), oldest first.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<Subscription>> {
        let owner = (!caller.is_admin()).then_some(caller.user_id);
        Ok(self.store.notifications().list_subscriptions(owner).await?)
    }

    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<Subscription> {
        let subscription = self
            .store
            .notifications()
            .get_subscription(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_view(Some(subscription.owner_id), RESOURCE)?;
        caller.authorize_manage(Some(subscription.owner_id), RESOURCE)?;
        self.store
            .notifications()
            .delete_subscription(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        Ok(subscription)
    }
}

/// Whether `subscription` (of `owner`) asks for this alert's current state — and its
/// owner may see the alert at all: an enabled admin sees every alert, anyone else
/// only alerts that are theirs (their rule's, or about their resource).
pub fn matches(subscription: &Subscription, owner: &User, alert: &Alert) -> bool {
    let sees = !owner.disabled && (owner.role == Role::Admin || alert.owner_id == Some(owner.id));
    let wanted_state = match alert.state {
        AlertState::Firing => true,
        AlertState::Resolved => subscription.notify_resolved,
        AlertState::Pending => false,
    };
    let severe_enough = rank(&alert.severity) >= rank(&subscription.min_severity);
    let rule = subscription.rule_id.is_none() || subscription.rule_id == alert.rule_id;
    let resource = match (&subscription.resource_kind, &subscription.resource_id) {
        (Some(kind), Some(id)) => *kind == alert.resource.kind && *id == alert.resource.id,
        _ => true,
    };
    sees && wanted_state && severe_enough && rule && resource
}

fn rank(severity: &str) -> u8 {
    match severity {
        "critical" => 2,
        "warning" => 1,
        _ => 0,
    }
}
