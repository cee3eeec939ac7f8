//! `AlertRuleService`: list, get, create, update, delete rules. Custom rules belong
//! to their creator (readonly and operator callers see only their own, admins all);
//! built-in rules are everyone's to read and an admin's to tune or disable, and are
//! never deleted.

use std::sync::Arc;

use proxicloud_store::{AlertRule, AlertRuleFields, Store, Timestamp, Uuid};
use tokio::sync::Notify;

use super::rule::{Builtin, Comparison, Metric, ScopeKind, check_fields};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;

const RESOURCE: &str = "alert rule";

/// `POST /alerts/rules`: a custom rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInput {
    pub fields: AlertRuleFields,
}

/// `PATCH /alerts/rules/{id}`: what is set changes. Built-in rules take `enabled`,
/// `severity` and `for_seconds` (and `threshold` for the disk rule) only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulePatch {
    pub name: Option<String>,
    pub metric: Option<String>,
    pub comparison: Option<String>,
    pub threshold: Option<f64>,
    pub for_seconds: Option<i64>,
    pub scope: Option<(String, Option<String>)>,
    pub severity: Option<String>,
    pub enabled: Option<bool>,
}

pub struct AlertRuleService {
    store: Arc<dyn Store>,
    /// Wakes the `alerts` worker: a rule just made is evaluated at once.
    nudge: Arc<Notify>,
}

impl AlertRuleService {
    pub fn new(store: Arc<dyn Store>, nudge: Arc<Notify>) -> Self {
        Self { store, nudge }
    }

    /// Built-ins first, then the caller's (everyone's for an admin) by name.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<AlertRule>> {
        let owner = (!caller.is_admin()).then_some(caller.user_id);
        Ok(self.store.alerts().list_rules(owner).await?)
    }

    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<AlertRule> {
        let rule = self
            .store
            .alerts()
            .get_rule(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        if rule.builtin.is_none() {
            caller.authorize_view(rule.owner_id, RESOURCE)?;
        }
        Ok(rule)
    }

    pub async fn create(
        &self,
        caller: &Principal,
        input: RuleInput,
        now: Timestamp,
    ) -> DomainResult<AlertRule> {
        caller.require_create()?;
        let mut fields = input.fields;
        fields.name = fields.name.trim().to_owned();
        self.check(caller, &fields).await?;
        let rule = self
            .store
            .alerts()
            .insert_rule(caller.user_id, &fields, now)
            .await?;
        self.nudge.notify_one();
        Ok(rule)
    }

    pub async fn update(
        &self,
        caller: &Principal,
        id: Uuid,
        patch: RulePatch,
        now: Timestamp,
    ) -> DomainResult<AlertRule> {
        let rule = self.get(caller, id).await?;
        let mut fields = AlertRuleFields::from(&rule);
        if let Some(builtin) = rule.builtin.as_deref() {
            caller.require_admin()?;
            let tunable_threshold = builtin == Builtin::DiskFull.as_str();
            let fixed = patch.name.is_some()
                || patch.metric.is_some()
                || patch.comparison.is_some()
                || patch.scope.is_some()
                || (patch.threshold.is_some() && !tunable_threshold);
            if fixed {
                return Err(DomainError::BadRequest {
                    code: "builtin_rule",
                    message: "a built-in rule can only be enabled or disabled and have its \
                              severity, duration (and, for the disk rule, threshold) changed"
                        .into(),
                });
            }
        } else {
            caller.authorize_manage(rule.owner_id, RESOURCE)?;
        }
        if let Some(name) = patch.name {
            fields.name = name.trim().to_owned();
        }
        if let Some(metric) = patch.metric {
            fields.metric = metric;
        }
        if let Some(comparison) = patch.comparison {
            fields.comparison = comparison;
        }
        if let Some(threshold) = patch.threshold {
            fields.threshold = threshold;
        }
        if let Some(for_seconds) = patch.for_seconds {
            fields.for_seconds = for_seconds;
        }
        if let Some((kind, value)) = patch.scope {
            fields.scope_kind = kind;
            fields.scope_value = value;
        }
        if let Some(severity) = patch.severity {
            fields.severity = severity;
        }
        if let Some(enabled) = patch.enabled {
            fields.enabled = enabled;
        }
        if rule.builtin.is_none() {
            self.check(caller, &fields).await?;
        } else {
            // Built-ins keep their own metric words; only the tunable values are checked.
            let mut errors = FieldErrors::new();
            let mut probe = fields.clone();
            probe.metric = Metric::DiskPercent.as_str().into();
            probe.comparison = Comparison::Greater.as_str().into();
            check_fields(&probe, &mut errors);
            if !errors.is_empty() {
                return Err(DomainError::Validation(errors));
            }
        }
        let rule = self
            .store
            .alerts()
            .update_rule(id, &fields, now)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        self.nudge.notify_one();
        Ok(rule)
    }

    /// Its open alerts are resolved at the next evaluation; its history stays.
    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<AlertRule> {
        let rule = self.get(caller, id).await?;
        if rule.builtin.is_some() {
            caller.require_admin()?;
            return Err(DomainError::conflict(
                "builtin_rule",
                "built-in rules cannot be deleted; disable them instead",
            ));
        }
        caller.authorize_manage(rule.owner_id, RESOURCE)?;
        self.store
            .alerts()
            .delete_rule(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        Ok(rule)
    }

    /// The texts, and a scope naming something the caller may see.
    async fn check(&self, caller: &Principal, fields: &AlertRuleFields) -> DomainResult<()> {
        let mut errors = FieldErrors::new();
        check_fields(fields, &mut errors);
        let value = fields.scope_value.as_deref().unwrap_or_default().trim();
        match ScopeKind::parse(&fields.scope_kind) {
            Some(ScopeKind::Instance) if !value.is_empty() => {
                let visible = match value.parse::<Uuid>() {
                    Ok(id) => self
                        .store
                        .guests()
                        .get(id)
                        .await
                        .ok()
                        .filter(|g| g.removed_at.is_none() && caller.can_view(g.owner_id)),
                    Err(_) => None,
                };
                if visible.is_none() {
                    errors.insert("scope.value".into(), "no such instance".into());
                }
            }
            Some(ScopeKind::Cluster) if !value.is_empty() && value.parse::<Uuid>().is_err() => {
                errors.insert("scope.value".into(), "must be a cluster id".into());
            }
            Some(ScopeKind::Node)
                if !value.is_empty()
                    && value
                        .split_once(':')
                        .is_none_or(|(c, n)| c.parse::<Uuid>().is_err() || n.is_empty()) =>
            {
                errors.insert(
                    "scope.value".into(),
                    "must be <cluster id>:<node name>".into(),
                );
            }
            _ => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(errors))
        }
    }
}
