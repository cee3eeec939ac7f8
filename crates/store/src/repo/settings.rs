//! Global settings documents, one JSON value per key.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Result, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingKey {
    /// Appliance subnet, DHCP range, DNS domain.
    Network,
    /// Default cores, memory and disk of new instances.
    Resources,
    /// Log level, poll interval, retention.
    System,
    /// Volume classes (`ssd`, `hdd`, …) and the storages each maps onto.
    VolumeClasses,
}

impl SettingKey {
    pub const ALL: [SettingKey; 4] = [
        SettingKey::Network,
        SettingKey::Resources,
        SettingKey::System,
        SettingKey::VolumeClasses,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::Network => "network",
            SettingKey::Resources => "resources",
            SettingKey::System => "system",
            SettingKey::VolumeClasses => "volume_classes",
        }
    }
}

impl fmt::Display for SettingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SettingKey {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SettingKey::ALL
            .into_iter()
            .find(|key| key.as_str() == text)
            .ok_or_else(|| format!("unknown setting '{text}'"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: SettingKey,
    /// The document; its shape is the domain's (validated before it is stored).
    pub value: serde_json::Value,
    pub updated_at: Timestamp,
    /// `None` when written by the system (defaults) or the user was deleted since.
    pub updated_by: Option<Uuid>,
}

#[async_trait]
pub trait SettingsRepo: Send + Sync {
    /// `None` until first written: the domain falls back to its defaults.
    async fn get(&self, key: SettingKey) -> Result<Option<Setting>>;
    /// Inserts or replaces the document.
    async fn put(
        &self,
        key: SettingKey,
        value: serde_json::Value,
        updated_by: Option<Uuid>,
    ) -> Result<Setting>;
    async fn list(&self) -> Result<Vec<Setting>>;
}
