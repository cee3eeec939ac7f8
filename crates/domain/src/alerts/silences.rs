//! Silences: matchers (a rule, a resource, or both; none matches everything its owner
//! sees) in force from `starts_at` to `ends_at`. A silence set in advance is a
//! maintenance window. Silenced alerts still go pending → firing → resolved, marked
//! `silenced`, so nothing is notified and the bell does not count them.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{AlertResource, NewSilence, Silence, Store, Timestamp, Uuid};
use tokio::sync::Notify;

use super::rules::AlertRuleService;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;

const RESOURCE: &str = "silence";
/// The longest a silence may last.
pub const MAX_SILENCE: Duration = Duration::from_secs(366 * 86_400);

/// Whether a silence in force covers an alert. `sees` says whether the silence's
/// owner may see the alert's resource (only admins silence what others own).
pub fn covers(
    silence: &Silence,
    rule_id: Option<Uuid>,
    resource: &AlertResource,
    sees: bool,
) -> bool {
    sees && silence.rule_id.is_none_or(|id| Some(id) == rule_id)
        && silence.resource.as_ref().is_none_or(|r| r == resource)
}

/// `POST /alerts/silences`.
#[derive(Debug, Clone)]
pub struct SilenceInput {
    pub rule_id: Option<Uuid>,
    pub resource: Option<AlertResource>,
    /// Now when left out.
    pub starts_at: Option<Timestamp>,
    pub ends_at: Timestamp,
    pub comment: String,
}

pub struct SilenceService {
    store: Arc<dyn Store>,
    rules: Arc<AlertRuleService>,
    /// Wakes the `alerts` worker, which marks the alerts a silence covers.
    nudge: Arc<Notify>,
}

impl SilenceService {
    pub fn new(store: Arc<dyn Store>, rules: Arc<AlertRuleService>, nudge: Arc<Notify>) -> Self {
        Self {
            store,
            rules,
            nudge,
        }
    }

    pub async fn create(
        &self,
        caller: &Principal,
        input: SilenceInput,
        now: Timestamp,
    ) -> DomainResult<Silence> {
        caller.require_create()?;
        let mut errors = FieldErrors::new();
        let starts_at = input.starts_at.unwrap_or(now);
        if input.ends_at <= starts_at || input.ends_at <= now {
            errors.insert(
                "ends_at".into(),
                "must be after starts_at and in the future".into(),
            );
        } else if input.ends_at > starts_at + MAX_SILENCE {
            errors.insert("ends_at".into(), "a silence lasts at most 366 days".into());
        }
        if input.comment.chars().count() > 500 {
            errors.insert("comment".into(), "at most 500 characters".into());
        }
        if let Some(rule_id) = input.rule_id
            && self.rules.get(caller, rule_id).await.is_err()
        {
            errors.insert("rule_id".into(), "no such alert rule".into());
        }
        if let Some(resource) = &input.resource
            && (resource.kind.trim().is_empty() || resource.id.trim().is_empty())
        {
            errors.insert("resource".into(), "kind and id are both needed".into());
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let silence = NewSilence {
            owner_id: caller.user_id,
            rule_id: input.rule_id,
            resource: input.resource,
            starts_at,
            ends_at: input.ends_at,
            comment: input.comment.trim().to_owned(),
        };
        let silence = self.store.alerts().insert_silence(&silence).await?;
        self.nudge.notify_one();
        Ok(silence)
    }

    /// The caller's silences (everyone's for an admin), ending last first.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<Silence>> {
        let owner = (!caller.is_admin()).then_some(caller.user_id);
        Ok(self.store.alerts().list_silences(owner).await?)
    }

    /// Ends a silence (deletes it).
    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<Silence> {
        let silence = self
            .store
            .alerts()
            .get_silence(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_manage(Some(silence.owner_id), RESOURCE)?;
        self.store
            .alerts()
            .delete_silence(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        self.nudge.notify_one();
        Ok(silence)
    }
}
