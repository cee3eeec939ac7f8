//! The secrets vault (`/api/v1/secrets`): named values per owner, sealed at rest with
//! the master key ([`crate::secrets`], with the secret's id and version as associated
//! data), versioned (an update keeps the previous [`VaultConfig::keep_versions`]; a
//! rollback makes an old value current as a new version), readable by their owner,
//! admins and grantees — each read audited by the API — and never listed with values.
//!
//! Adding an operation: a method on [`VaultService`]; a rule on what a secret may
//! look like: [`rules`].

pub mod rules;
mod service;
#[cfg(test)]
mod tests;

pub use service::{CreateSecret, RevealedSecret, UpdateSecret, VaultService, VersionInfo};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// How the vault behaves; `[vault]` in the configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct VaultConfig {
    /// Previous versions kept besides the current one.
    pub keep_versions: u32,
}

impl Default for VaultConfig {
    fn default() -> Self {
        Self { keep_versions: 10 }
    }
}

/// Provides [`VaultService`].
pub fn register(registry: &mut Registry, platform: &Platform) {
    registry.provide(Arc::new(VaultService::new(
        platform.store.clone(),
        platform.master_key.clone(),
        platform.config.vault,
    )));
}
