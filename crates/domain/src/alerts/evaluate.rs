//! [`AlertEvaluator`]: one evaluation at a time `now` (the caller owns the clock).
//!
//! For every enabled rule and resource whose condition holds: no open alert → one is
//! opened, `pending` (or `firing` for a rule without a duration); pending for the
//! rule's duration → `firing`. When the condition ends: a pending alert is dropped, a
//! firing one `resolved` (kept as history). Open alerts of rules deleted or disabled
//! resolve too. Silences are applied to every open alert at every evaluation. Job
//! failures are raised as signals; signalled alerts resolve after `SIGNAL_TTL`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use proxicloud_store::{
    Alert, AlertResource, AlertState, AlertUpdate, NewAlert, Silence, Store, Timestamp, Uuid,
};
use tokio::sync::Mutex;

use super::conditions::{DownTracker, Observation, World, failed_jobs, observe};
use super::publish;
use super::rule::{Builtin, Rule, RuleKind};
use super::signals::{AlertSignals, SIGNAL_TTL, Signal};
use super::silences::covers;
use crate::error::DomainResult;
use crate::events::EventBus;

/// What one evaluation changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvaluationReport {
    /// Opened pending.
    pub pending: usize,
    /// Went firing (opened firing, or pending for long enough).
    pub fired: usize,
    pub resolved: usize,
    /// Pending alerts whose condition ended before they fired.
    pub dropped: usize,
}

pub struct AlertEvaluator {
    store: Arc<dyn Store>,
    events: Arc<EventBus>,
    signals: Arc<AlertSignals>,
    /// Held through an evaluation, so two never interleave.
    down: Mutex<DownTracker>,
}

impl AlertEvaluator {
    pub fn new(store: Arc<dyn Store>, events: Arc<EventBus>, signals: Arc<AlertSignals>) -> Self {
        Self {
            store,
            events,
            signals,
            down: Mutex::default(),
        }
    }

    /// Forgets which guests were running (for a replica that starts leading).
    pub async fn start_afresh(&self) {
        *self.down.lock().await = DownTracker::default();
    }

    pub async fn evaluate(&self, now: Timestamp) -> DomainResult<EvaluationReport> {
        let mut down_tracker = self.down.lock().await;
        let store = &*self.store;
        let rules: Vec<Rule> = store
            .alerts()
            .list_rules(None)
            .await?
            .into_iter()
            .filter_map(Rule::parse)
            .collect();
        let open = store.alerts().open_alerts().await?;
        let silences = store.alerts().active_silences(now).await?;
        let owners: HashSet<Uuid> = rules
            .iter()
            .filter_map(|r| r.row.owner_id)
            .chain(silences.iter().map(|s| s.owner_id))
            .collect();
        let world = World::read(store, now, &owners).await?;

        let guest_down = rules
            .iter()
            .find(|r| r.builtin() == Some(Builtin::GuestDown));
        let open_down: HashSet<String> = open
            .iter()
            .filter(|a| guest_down.is_some_and(|r| a.rule_id == Some(r.row.id)))
            .map(|a| a.resource.id.clone())
            .collect();
        let down = down_tracker.down(store, &world, &open_down).await?;

        let mut seen: HashMap<(Uuid, AlertResource), (&Rule, Observation)> = HashMap::new();
        for rule in rules.iter().filter(|r| r.row.enabled) {
            if matches!(rule.kind, RuleKind::Builtin(b) if b.is_signal()) {
                continue;
            }
            for observation in observe(rule, &world, &down) {
                seen.insert(
                    (rule.row.id, observation.resource.clone()),
                    (rule, observation),
                );
            }
        }
        let enabled: HashMap<Uuid, &Rule> = rules
            .iter()
            .filter(|r| r.row.enabled)
            .map(|r| (r.row.id, r))
            .collect();
        let silenced = |alert_rule: Option<Uuid>, resource: &AlertResource, owner: Option<Uuid>| {
            silences_cover(&silences, &world, alert_rule, resource, owner)
        };

        let mut report = EvaluationReport::default();
        for alert in &open {
            let rule = alert.rule_id.and_then(|id| enabled.get(&id));
            let key = (alert.rule_id.unwrap_or_default(), alert.resource.clone());
            let observed = seen.remove(&key);
            let silenced = silenced(alert.rule_id, &alert.resource, alert.owner_id);
            match (rule, observed) {
                (Some(rule), _) if matches!(rule.kind, RuleKind::Builtin(b) if b.is_signal()) => {
                    let fired = alert.fired_at.unwrap_or(alert.started_at);
                    if fired + SIGNAL_TTL <= now {
                        self.close(alert, now, &mut report).await?;
                    } else if silenced != alert.silenced {
                        self.update(
                            alert,
                            alert.state,
                            alert.value,
                            &alert.message,
                            silenced,
                            now,
                        )
                        .await?;
                    }
                }
                (Some(rule), Some((_, observation))) => {
                    let due = alert.started_at + rule_duration(rule) <= now;
                    let state = if alert.state == AlertState::Pending && due {
                        report.fired += 1;
                        AlertState::Firing
                    } else {
                        alert.state
                    };
                    let changed = state != alert.state
                        || silenced != alert.silenced
                        || observation.message != alert.message;
                    if changed {
                        self.update(
                            alert,
                            state,
                            observation.value,
                            &observation.message,
                            silenced,
                            now,
                        )
                        .await?;
                    }
                }
                // The condition ended, or the rule went away or was disabled.
                _ => self.close(alert, now, &mut report).await?,
            }
        }
        for ((_, resource), (rule, observation)) in seen {
            let silenced = silenced(Some(rule.row.id), &resource, observation.owner_id);
            let state = if rule.row.for_seconds <= 0 {
                AlertState::Firing
            } else {
                AlertState::Pending
            };
            let new = NewAlert {
                rule_id: rule.row.id,
                rule_name: rule.row.name.clone(),
                severity: rule.severity.as_str().into(),
                resource,
                resource_name: observation.resource_name,
                owner_id: observation.owner_id,
                state,
                value: observation.value,
                message: observation.message,
                silenced,
                started_at: now,
            };
            // Another replica (or a concurrent evaluation) opened it first: fine.
            if let Some(alert) = store.alerts().open_alert(&new).await? {
                match alert.state {
                    AlertState::Firing => {
                        report.fired += 1;
                        publish(&self.events, &alert);
                    }
                    _ => report.pending += 1,
                }
            }
        }
        if enabled
            .values()
            .any(|r| r.builtin() == Some(Builtin::JobFailed))
        {
            report.fired += self.raise_job_failures(now).await?;
        }
        Ok(report)
    }

    /// A firing alert for every failed job not alerted on yet (within the TTL).
    async fn raise_job_failures(&self, now: Timestamp) -> DomainResult<usize> {
        let Some(rule) = self
            .store
            .alerts()
            .list_rules(None)
            .await?
            .into_iter()
            .find(|r| r.builtin.as_deref() == Some(Builtin::JobFailed.as_str()))
        else {
            return Ok(0);
        };
        let mut raised = 0;
        for job in failed_jobs(&*self.store, now - SIGNAL_TTL).await? {
            let resource = AlertResource {
                kind: "job".into(),
                id: job.id.to_string(),
            };
            if self
                .store
                .alerts()
                .latest_alert(rule.id, &resource)
                .await?
                .is_some()
            {
                continue;
            }
            let error = job.error.as_deref().unwrap_or("no error recorded");
            let signal = Signal {
                builtin: Builtin::JobFailed,
                resource,
                resource_name: job.kind.clone(),
                owner_id: job.owner_id,
                message: format!("{} failed: {error}", job.kind),
            };
            if self.signals.raise(signal, now).await?.is_some() {
                raised += 1;
            }
        }
        Ok(raised)
    }

    async fn update(
        &self,
        alert: &Alert,
        state: AlertState,
        value: Option<f64>,
        message: &str,
        silenced: bool,
        now: Timestamp,
    ) -> DomainResult<()> {
        let update = AlertUpdate {
            state,
            value,
            message: message.to_owned(),
            silenced,
            now,
        };
        let updated = self.store.alerts().update_alert(alert.id, &update).await?;
        if updated.state != alert.state || updated.silenced != alert.silenced {
            publish(&self.events, &updated);
        }
        Ok(())
    }

    /// Pending: dropped; firing: resolved.
    async fn close(
        &self,
        alert: &Alert,
        now: Timestamp,
        report: &mut EvaluationReport,
    ) -> DomainResult<()> {
        if alert.state == AlertState::Pending {
            self.store.alerts().delete_pending_alert(alert.id).await?;
            report.dropped += 1;
        } else {
            let message = alert.message.clone();
            self.update(
                alert,
                AlertState::Resolved,
                alert.value,
                &message,
                alert.silenced,
                now,
            )
            .await?;
            report.resolved += 1;
        }
        Ok(())
    }
}

fn rule_duration(rule: &Rule) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from(rule.row.for_seconds).unwrap_or(0))
}

fn silences_cover(
    silences: &[Silence],
    world: &World,
    rule_id: Option<Uuid>,
    resource: &AlertResource,
    owner: Option<Uuid>,
) -> bool {
    silences.iter().any(|s| {
        let sees = world.sees(Some(s.owner_id), owner);
        covers(s, rule_id, resource, sees)
    })
}
