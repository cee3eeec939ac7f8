//! [`ChannelService`]: stored notification channels — create, list, get, update,
//! delete, send a test — owned by their creator (readonly users and operators see and
//! manage only their own, admins all; readonly users create none). Secrets are sealed
//! with the master key under `notification-channel:<id>:secrets` and leave this module
//! only as the names of those that are set.

use std::sync::Arc;

use proxicloud_store::{ChannelFields, NotificationChannel, Store, Timestamp, Uuid};
use secrecy::ExposeSecret;

use super::kinds::{self, Values};
use super::{Channel, Notification, Notifier};
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::secrets::MasterKey;

const RESOURCE: &str = "notification channel";
const MAX_NAME: usize = 100;

/// A channel as its owner sees it: its settings, and which secrets are set.
#[derive(Debug, Clone)]
pub struct ChannelView {
    pub row: NotificationChannel,
    pub settings: Values,
    pub secrets_set: Vec<String>,
}

pub struct ChannelInput {
    pub name: String,
    pub kind: String,
    pub settings: Values,
    pub secrets: Values,
    pub enabled: bool,
}

/// What is set changes. `settings` replaces them all; each secret given replaces that
/// secret, an empty one clears it, those not given are kept.
#[derive(Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub settings: Option<Values>,
    pub secrets: Option<Values>,
    pub enabled: Option<bool>,
}

pub struct ChannelService {
    store: Arc<dyn Store>,
    master_key: Arc<MasterKey>,
    notifier: Arc<Notifier>,
}

fn seal_context(id: Uuid) -> String {
    format!("notification-channel:{id}:secrets")
}

fn check_name(name: &str) -> DomainResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(DomainError::invalid(
            "name",
            format!("1 to {MAX_NAME} characters"),
        ));
    }
    Ok(name.to_owned())
}

impl ChannelService {
    pub fn new(store: Arc<dyn Store>, master_key: Arc<MasterKey>, notifier: Arc<Notifier>) -> Self {
        Self {
            store,
            master_key,
            notifier,
        }
    }

    fn seal(&self, id: Uuid, secrets: &Values) -> Vec<u8> {
        let json = kinds::secrets_json(secrets);
        self.master_key
            .seal(json.expose_secret().as_bytes(), &seal_context(id))
    }

    pub(super) fn open(&self, row: &NotificationChannel) -> DomainResult<Values> {
        let json = self
            .master_key
            .open(&row.secrets_sealed, &seal_context(row.id))
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        kinds::parse_secrets(&json).ok_or_else(|| {
            DomainError::Internal("a channel's secrets are not a JSON object".into())
        })
    }

    fn view(&self, row: NotificationChannel) -> DomainResult<ChannelView> {
        let settings: Values = serde_json::from_str(&row.settings).map_err(|_| {
            DomainError::Internal("a channel's settings are not a JSON object".into())
        })?;
        let secrets_set = self.open(&row)?.into_keys().collect();
        Ok(ChannelView {
            row,
            settings,
            secrets_set,
        })
    }

    /// The channel to send through, for a stored row.
    pub(super) fn channel(&self, row: &NotificationChannel) -> DomainResult<Channel> {
        let settings: Values = serde_json::from_str(&row.settings).unwrap_or_default();
        let secrets = self.open(row)?;
        kinds::to_channel(&row.kind, &settings, &secrets)
            .ok_or_else(|| DomainError::Internal(format!("channel {} is incomplete", row.id)))
    }

    pub async fn create(
        &self,
        caller: &Principal,
        input: ChannelInput,
        now: Timestamp,
    ) -> DomainResult<ChannelView> {
        caller.require_create()?;
        let name = check_name(&input.name)?;
        let settings = kinds::without_empty(input.settings);
        let secrets = kinds::without_empty(input.secrets);
        kinds::validate(&input.kind, &settings, &secrets)?;
        let id = Uuid::now_v7();
        let fields = ChannelFields {
            name,
            kind: input.kind,
            settings: serde_json::to_string(&settings).expect("a map of strings serialises"),
            secrets_sealed: self.seal(id, &secrets),
            enabled: input.enabled,
        };
        let row = self
            .store
            .notifications()
            .insert_channel(id, caller.user_id, fields, now)
            .await?;
        self.view(row)
    }

    /// The caller's channels (everyone's for an admin), by name.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<ChannelView>> {
        let owner = (!caller.is_admin()).then_some(caller.user_id);
        let rows = self.store.notifications().list_channels(owner).await?;
        rows.into_iter().map(|row| self.view(row)).collect()
    }

    async fn row(&self, caller: &Principal, id: Uuid) -> DomainResult<NotificationChannel> {
        let row = self
            .store
            .notifications()
            .get_channel(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_view(Some(row.owner_id), RESOURCE)?;
        Ok(row)
    }

    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<ChannelView> {
        let row = self.row(caller, id).await?;
        self.view(row)
    }

    pub async fn update(
        &self,
        caller: &Principal,
        id: Uuid,
        patch: ChannelPatch,
        now: Timestamp,
    ) -> DomainResult<ChannelView> {
        let row = self.row(caller, id).await?;
        caller.authorize_manage(Some(row.owner_id), RESOURCE)?;
        let current = self.view(row)?;
        let name = match patch.name {
            Some(name) => check_name(&name)?,
            None => current.row.name.clone(),
        };
        let settings = match patch.settings {
            Some(settings) => kinds::without_empty(settings),
            None => current.settings,
        };
        let mut secrets = self.open(&current.row)?;
        for (key, value) in patch.secrets.unwrap_or_default() {
            if value.trim().is_empty() {
                secrets.remove(&key);
            } else {
                secrets.insert(key, value.trim().to_owned());
            }
        }
        kinds::validate(&current.row.kind, &settings, &secrets)?;
        let fields = ChannelFields {
            name,
            kind: current.row.kind.clone(),
            settings: serde_json::to_string(&settings).expect("a map of strings serialises"),
            secrets_sealed: self.seal(id, &secrets),
            enabled: patch.enabled.unwrap_or(current.row.enabled),
        };
        let row = self
            .store
            .notifications()
            .update_channel(id, fields, now)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        self.view(row)
    }

    /// Its subscriptions and pending deliveries go with it.
    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<NotificationChannel> {
        let row = self.row(caller, id).await?;
        caller.authorize_manage(Some(row.owner_id), RESOURCE)?;
        self.store
            .notifications()
            .delete_channel(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        Ok(row)
    }

    /// Sends a test message now (enabled or not) and records the result on the
    /// channel; a failure is a 502 `notification_failed` carrying the receiver's answer
    /// (never the channel's URL or secrets).
    pub async fn test(
        &self,
        caller: &Principal,
        id: Uuid,
        now: Timestamp,
    ) -> DomainResult<ChannelView> {
        let row = self.row(caller, id).await?;
        caller.authorize_manage(Some(row.owner_id), RESOURCE)?;
        let channel = self.channel(&row)?;
        let note = Notification::test(&row.name, row.id, now);
        let result = channel.send(&self.notifier, &note).await;
        let notifications = self.store.notifications();
        notifications
            .record_channel_result(id, result.as_ref().err().map(String::as_str), now)
            .await?;
        match result {
            Ok(()) => self.view(notifications.get_channel(id).await?),
            Err(error) => Err(DomainError::BadGateway {
                code: "notification_failed",
                message: error,
            }),
        }
    }
}
