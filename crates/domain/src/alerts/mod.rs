//! Alerts: rules watch the inventory mirror and the jobs; an evaluator turns what
//! holds into alerts (pending → firing → resolved, one open alert per rule and
//! resource, resolved ones kept as history); silences mute them.
//!
//! - `rule`: the words of a rule (metrics, comparisons, scopes, severities, built-ins);
//! - `rules`: [`AlertRuleService`], CRUD with ownership;
//! - `conditions`: what holds now (thresholds on instances, guest down unexpectedly —
//!   a job of ours on the guest is a maintenance window —, node offline, cluster
//!   unreachable);
//! - `evaluate`: [`AlertEvaluator`], the state machine, run by the deployment-scoped
//!   `alerts` worker every [`EVALUATE_EVERY`] (tests call `evaluate(now)` with their
//!   own clock);
//! - `signals`: [`AlertSignals`], how other features raise alerts about events (job
//!   failed, backup failed);
//! - `silences`: [`SilenceService`], matchers in force for a time window;
//! - `notify`: notification channels (webhook, ntfy, Gotify, Discord, Slack, email), per-user
//!   subscriptions and the retried delivery outbox (the `alerts.notify` worker).
//!
//! Every alert change that matters to people (firing, resolved, silenced) is published
//! as `alert.updated` on the event bus, to the alert's owner and admins.
//!
//! Adding a built-in: see `rule`; adding a reader: a method on [`AlertService`].

mod conditions;
mod evaluate;
pub mod notify;
pub mod rule;
mod rules;
mod signals;
mod silences;
#[cfg(test)]
mod tests;

pub use conditions::OUR_STOP_GRACE;
pub use evaluate::{AlertEvaluator, EvaluationReport};
pub use rules::{AlertRuleService, RuleInput, RulePatch};
pub use signals::{AlertSignals, SIGNAL_TTL, Signal};
pub use silences::{MAX_SILENCE, SilenceInput, SilenceService};

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    Alert, AlertFilter, AlertResource, AlertState, Cursor, Page, Store, Timestamp, Uuid,
};
use serde_json::json;
use tokio::sync::Notify;

use crate::app::{Platform, Registry};
use crate::error::DomainResult;
use crate::events::{Audience, EventBus};
use crate::workers::{BackgroundWorker, WorkerContext, WorkerScope};

/// How often the `alerts` worker evaluates (the mirror polls about as often).
pub const EVALUATE_EVERY: Duration = Duration::from_secs(30);
/// The most alerts one list returns.
pub const MAX_LIST: u32 = 500;

/// Reads alerts: the caller's (everyone's for an admin).
pub struct AlertService {
    store: Arc<dyn Store>,
}

impl AlertService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Newest first, at most `limit` (1..=[`MAX_LIST`]) from `after` (the previous
    /// page's `next`, for the same state); `next` is set when there are more.
    pub async fn list(
        &self,
        caller: &crate::iam::Principal,
        state: Option<AlertState>,
        limit: u32,
        after: Option<&Cursor>,
    ) -> DomainResult<Page<Alert>> {
        let limit = limit.clamp(1, MAX_LIST);
        let filter = AlertFilter {
            state,
            owner_id: (!caller.is_admin()).then_some(caller.user_id),
            // One more than asked: it only says whether another page exists.
            limit: limit + 1,
            before: after.map(Cursor::decode).transpose()?,
        };
        let mut items = self.store.alerts().list_alerts(&filter).await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| Cursor::encode(&(last.started_at, last.id)))
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

/// Tells the alert's owner and admins (the console's bell and lists).
pub(crate) fn publish(events: &EventBus, alert: &Alert) {
    events.publish(
        "alert.updated",
        Audience::Owner(alert.owner_id.map(|id| id.to_string())),
        json!({
            "id": alert.id,
            "state": alert.state.as_str(),
            "severity": alert.severity,
            "silenced": alert.silenced,
            "rule_name": alert.rule_name,
            "resource_name": alert.resource_name,
        }),
    );
}

/// Whether a silence in force at `now` covers an alert of `rule_id` about `resource`
/// owned by `owner` (for alerts raised outside an evaluation).
pub(crate) async fn is_silenced(
    store: &dyn Store,
    now: Timestamp,
    rule_id: Option<Uuid>,
    resource: &AlertResource,
    owner: Option<Uuid>,
) -> DomainResult<bool> {
    let silences = store.alerts().active_silences(now).await?;
    if silences.is_empty() {
        return Ok(false);
    }
    let owners: HashSet<Uuid> = silences.iter().map(|s| s.owner_id).collect();
    let mut admins = HashSet::new();
    for id in owners {
        if let Ok(user) = store.users().get(id).await
            && user.role == proxicloud_store::Role::Admin
        {
            admins.insert(id);
        }
    }
    Ok(silences.iter().any(|s| {
        let sees = admins.contains(&s.owner_id) || owner == Some(s.owner_id);
        silences::covers(s, rule_id, resource, sees)
    }))
}

/// Provides the services and the `alerts` worker (deployment-scoped: one replica
/// evaluates).
pub fn register(registry: &mut Registry, platform: &Platform) {
    let store = platform.store.clone();
    let nudge = Arc::new(Notify::new());
    let rules = registry.provide(Arc::new(AlertRuleService::new(
        store.clone(),
        nudge.clone(),
    )));
    notify::register(registry, platform, rules.clone());
    registry.provide(Arc::new(SilenceService::new(
        store.clone(),
        rules,
        nudge.clone(),
    )));
    registry.provide(Arc::new(AlertService::new(store.clone())));
    let signals = registry.provide(Arc::new(AlertSignals::new(
        store.clone(),
        platform.events.clone(),
    )));
    let evaluator = registry.provide(Arc::new(AlertEvaluator::new(
        store,
        platform.events.clone(),
        signals,
    )));
    if !platform.config.alerts_manual {
        registry.worker(Arc::new(EvaluateWorker { evaluator, nudge }));
    }
}

/// The `alerts` worker: an evaluation every [`EVALUATE_EVERY`], and at once after a
/// rule is created or changed. A replica that (again)
/// leads forgets which guests it saw running: another replica may have stopped them
/// with a job meanwhile.
struct EvaluateWorker {
    evaluator: Arc<AlertEvaluator>,
    /// A rule created or changed: evaluate now rather than at the next round.
    nudge: Arc<Notify>,
}

#[async_trait::async_trait]
impl BackgroundWorker for EvaluateWorker {
    fn name(&self) -> &str {
        "alerts"
    }

    fn scope(&self) -> WorkerScope {
        WorkerScope::Deployment
    }

    async fn run(&self, ctx: WorkerContext) -> Result<(), String> {
        self.evaluator.start_afresh().await;
        loop {
            let result = tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                result = self.evaluator.evaluate(Timestamp::now()) => result,
            };
            let next = Timestamp::now() + EVALUATE_EVERY;
            ctx.record_run(result.map(drop).map_err(|e| e.to_string()), Some(next));
            tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                () = tokio::time::sleep(EVALUATE_EVERY) => {}
                () = self.nudge.notified() => {}
            }
        }
    }
}
