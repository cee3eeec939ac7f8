//! Global settings for the later Settings page: the appliance network, default
//! resources of new instances, and system behaviour (log level, poll interval,
//! metrics retention).
//!
//! Stored as one JSON document per section (`SettingKey`); a section never written
//! reads as its defaults. Writes are admin-only and validated as a whole, so a saved
//! document is always one the rest of the system can use. The current value is also
//! published on `watch` channels, so workers (the inventory poller) pick up a new
//! poll interval without a restart.

mod validate;

pub use validate::LOG_LEVELS;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use proxicloud_store::{SettingKey, Store};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;

/// All settings, as read by `GET /api/v1/settings` and written by `PUT`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub network: NetworkSettings,
    pub resources: ResourceDefaults,
    pub system: SystemSettings,
}

/// The network the appliance serves to instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkSettings {
    /// IPv4 network in CIDR notation, e.g. `10.77.0.0/24`.
    pub appliance_subnet: String,
    /// Addresses handed out by DHCP; both ends inside `appliance_subnet`.
    pub dhcp_range: DhcpRange,
    /// Instances get `<name>.<dns_domain>`.
    pub dns_domain: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DhcpRange {
    pub start: String,
    pub end: String,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            appliance_subnet: "10.77.0.0/24".to_owned(),
            dhcp_range: DhcpRange {
                start: "10.77.0.100".to_owned(),
                end: "10.77.0.250".to_owned(),
            },
            dns_domain: "prox.local".to_owned(),
        }
    }
}

/// What a new instance gets when its request does not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceDefaults {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

impl Default for ResourceDefaults {
    fn default() -> Self {
        Self {
            cores: 1,
            memory_mib: 1024,
            disk_gib: 8,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemSettings {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub log_level: String,
    /// Seconds between two inventory polls of a cluster.
    pub poll_interval_secs: u64,
    /// Days of metrics history kept.
    pub metrics_retention_days: u32,
}

impl Default for SystemSettings {
    fn default() -> Self {
        Self {
            log_level: "info".to_owned(),
            poll_interval_secs: 10,
            metrics_retention_days: 30,
        }
    }
}

impl SystemSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.poll_interval_secs)
    }
}

impl Settings {
    /// Every problem with these settings, by dotted field path
    /// (`network.dhcp_range.start`); `Ok` with the settings normalised (trimmed,
    /// lower-cased domain) when there are none.
    pub fn validated(self) -> DomainResult<Settings> {
        validate::validate(self)
    }
}

/// Reads and writes [`Settings`] over the store.
pub struct SettingsService {
    store: Arc<dyn Store>,
    /// What a section never written reads as (the built-in defaults, with the
    /// server's configuration file applied on top).
    defaults: RwLock<Settings>,
    current: watch::Sender<Settings>,
    poll_interval: watch::Sender<Duration>,
}

impl SettingsService {
    /// A service that reports `defaults` until [`SettingsService::refresh`] (or any
    /// read or write) has read the store; for wiring that cannot wait.
    pub fn new(store: Arc<dyn Store>, defaults: Settings) -> Self {
        let (poll_interval, _) = watch::channel(defaults.system.poll_interval());
        let (current, _) = watch::channel(defaults.clone());
        Self {
            store,
            defaults: RwLock::new(defaults),
            current,
            poll_interval,
        }
    }

    /// Replaces what unwritten sections read as (the server's configuration file, e.g.
    /// `[inventory] poll_interval_secs`), for a service built before the configuration
    /// was read. Takes effect at the next read; call [`SettingsService::refresh`].
    pub fn set_defaults(&self, defaults: Settings) {
        *self.defaults.write() = defaults;
    }

    /// Loads the stored settings (falling back to `defaults` section by section).
    pub async fn load(store: Arc<dyn Store>, defaults: Settings) -> DomainResult<Self> {
        let service = Self::new(store, defaults);
        service.refresh().await?;
        Ok(service)
    }

    /// Re-reads the stored settings and passes any change on to the watchers.
    pub async fn refresh(&self) -> DomainResult<Settings> {
        self.get().await
    }

    /// The settings as stored now. Any signed-in user may read them.
    pub async fn get(&self) -> DomainResult<Settings> {
        let defaults = self.defaults.read().clone();
        let settings = read(&*self.store, &defaults).await?;
        // Another replica may have written them; keep the watchers in step.
        self.publish(&settings);
        Ok(settings)
    }

    /// The last settings this process read or wrote, without a database round trip.
    pub fn current(&self) -> Settings {
        self.current.borrow().clone()
    }

    /// Follows every change of the settings.
    pub fn subscribe(&self) -> watch::Receiver<Settings> {
        self.current.subscribe()
    }

    /// Follows the inventory poll interval only (what the inventory supervisor needs).
    pub fn poll_interval(&self) -> watch::Receiver<Duration> {
        self.poll_interval.subscribe()
    }

    /// Replaces all settings. Admin only; `Validation` lists every invalid field.
    pub async fn update(
        &self,
        principal: &Principal,
        settings: Settings,
    ) -> DomainResult<Settings> {
        principal.require_admin()?;
        let settings = settings.validated()?;
        let by = Some(principal.user_id);
        let settings_store = self.store.settings();
        settings_store
            .put(SettingKey::Network, to_json(&settings.network)?, by)
            .await?;
        settings_store
            .put(SettingKey::Resources, to_json(&settings.resources)?, by)
            .await?;
        settings_store
            .put(SettingKey::System, to_json(&settings.system)?, by)
            .await?;
        self.publish(&settings);
        Ok(settings)
    }

    fn publish(&self, settings: &Settings) {
        self.current.send_if_modified(|current| {
            let changed = current != settings;
            if changed {
                *current = settings.clone();
            }
            changed
        });
        let interval = settings.system.poll_interval();
        self.poll_interval.send_if_modified(|current| {
            let changed = *current != interval;
            *current = interval;
            changed
        });
    }
}

fn to_json<T: Serialize>(section: &T) -> DomainResult<serde_json::Value> {
    serde_json::to_value(section).map_err(|e| DomainError::Internal(e.to_string()))
}

async fn read(store: &dyn Store, defaults: &Settings) -> DomainResult<Settings> {
    let settings_store = store.settings();
    let network = settings_store.get(SettingKey::Network).await?;
    let resources = settings_store.get(SettingKey::Resources).await?;
    let system = settings_store.get(SettingKey::System).await?;
    Ok(Settings {
        network: section(network, &defaults.network),
        resources: section(resources, &defaults.resources),
        system: section(system, &defaults.system),
    })
}

/// A stored section, or the default when it was never written. A stored document
/// that no longer parses (written by a different version) falls back to the default
/// rather than taking the whole server down; the next admin write repairs it.
fn section<T: DeserializeOwned + Clone>(
    stored: Option<proxicloud_store::Setting>,
    default: &T,
) -> T {
    let Some(stored) = stored else {
        return default.clone();
    };
    match serde_json::from_value(stored.value) {
        Ok(value) => value,
        Err(error) => {
            tracing::warn!(key = %stored.key, %error, "stored settings section is unreadable; using defaults");
            default.clone()
        }
    }
}

#[cfg(test)]
mod tests;

/// Provides the platform's [`SettingsService`] to the API.
pub fn register(registry: &mut crate::app::Registry, platform: &crate::app::Platform) {
    registry.provide(platform.settings.clone());
}
