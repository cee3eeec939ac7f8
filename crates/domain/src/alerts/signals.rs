//! [`AlertSignals`]: how a feature raises an alert about something that happened
//! (a job failed, a backup failed) rather than a condition the evaluator watches.
//! The backup feature calls `raise(Signal { builtin: Builtin::BackupFailed, … })`
//! when a backup fails and `clear` when the next one of that guest succeeds; nothing
//! in this module knows about backups.
//!
//! A raised alert fires at once (one open alert per rule and resource: raising again
//! refreshes its message), and resolves on `clear` or after [`SIGNAL_TTL`].

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    Alert, AlertResource, AlertState, AlertUpdate, NewAlert, Store, Timestamp, Uuid,
};

use super::rule::{Builtin, Rule};
use super::{is_silenced, publish};
use crate::error::DomainResult;
use crate::events::EventBus;

/// How long a signalled alert fires when nothing clears it.
pub const SIGNAL_TTL: Duration = Duration::from_secs(86_400);

/// Something that happened to a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// A signal built-in ([`Builtin::is_signal`]).
    pub builtin: Builtin,
    pub resource: AlertResource,
    pub resource_name: String,
    /// Who sees the alert besides admins (the resource's owner).
    pub owner_id: Option<Uuid>,
    pub message: String,
}

pub struct AlertSignals {
    store: Arc<dyn Store>,
    events: Arc<EventBus>,
}

impl AlertSignals {
    pub fn new(store: Arc<dyn Store>, events: Arc<EventBus>) -> Self {
        Self { store, events }
    }

    async fn rule(&self, builtin: Builtin) -> DomainResult<Option<Rule>> {
        let rules = self.store.alerts().list_rules(None).await?;
        Ok(rules
            .into_iter()
            .filter_map(Rule::parse)
            .find(|r| r.builtin() == Some(builtin)))
    }

    /// Fires the signal's alert, or refreshes the one already firing. `None` when
    /// its rule is disabled.
    pub async fn raise(&self, signal: Signal, now: Timestamp) -> DomainResult<Option<Alert>> {
        let Some(rule) = self.rule(signal.builtin).await?.filter(|r| r.row.enabled) else {
            return Ok(None);
        };
        let silenced = is_silenced(
            &*self.store,
            now,
            Some(rule.row.id),
            &signal.resource,
            signal.owner_id,
        )
        .await?;
        let alerts = self.store.alerts();
        let new = NewAlert {
            rule_id: rule.row.id,
            rule_name: rule.row.name.clone(),
            severity: rule.severity.as_str().into(),
            resource: signal.resource.clone(),
            resource_name: signal.resource_name,
            owner_id: signal.owner_id,
            state: AlertState::Firing,
            value: None,
            message: signal.message.clone(),
            silenced,
            started_at: now,
        };
        if let Some(alert) = alerts.open_alert(&new).await? {
            publish(&self.events, &alert);
            return Ok(Some(alert));
        }
        // One is open already: it fires with the newest message.
        let Some(open) = alerts.latest_alert(rule.row.id, &signal.resource).await? else {
            return Ok(None);
        };
        let update = AlertUpdate {
            state: AlertState::Firing,
            value: None,
            message: signal.message,
            silenced,
            now,
        };
        let alert = alerts.update_alert(open.id, &update).await?;
        publish(&self.events, &alert);
        Ok(Some(alert))
    }

    /// Resolves the signal's open alert about `resource`, if any; says whether there
    /// was one.
    pub async fn clear(
        &self,
        builtin: Builtin,
        resource: &AlertResource,
        now: Timestamp,
    ) -> DomainResult<bool> {
        let Some(rule) = self.rule(builtin).await? else {
            return Ok(false);
        };
        let open = self
            .store
            .alerts()
            .latest_alert(rule.row.id, resource)
            .await?
            .filter(|a| a.state.is_open());
        let Some(open) = open else {
            return Ok(false);
        };
        let update = AlertUpdate {
            state: AlertState::Resolved,
            value: open.value,
            message: open.message.clone(),
            silenced: open.silenced,
            now,
        };
        let alert = self.store.alerts().update_alert(open.id, &update).await?;
        publish(&self.events, &alert);
        Ok(true)
    }
}
