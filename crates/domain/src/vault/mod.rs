//! The secrets vault (`/api/v1/secrets`): named values per owner, sealed at rest with
//! the master key ([`crate::secrets`], with the secret's id and version as associated
//! data), versioned (an update keeps the previous [`VaultConfig::keep_versions`]; a
//! rollback makes an old value current as a new version), readable by their owner,
//! admins and grantees — each read audited by the API — and never listed with values.
//!
//! Secrets reach containers as environment variables ([`SecretInjection`], the job
//! `instance.secrets.apply` in `inject_job.rs`, the `env` format in [`environment`]);
//! grants and re-applying a changed secret are in `sharing.rs`.
//!
//! Adding an operation: a method on [`VaultService`]; a rule on what a secret may
//! look like: [`rules`].

pub mod environment;
mod inject_job;
pub mod injection;
pub mod rules;
mod service;
mod sharing;
#[cfg(test)]
mod tests;

pub use inject_job::Applier;
pub use injection::{APPLY_KIND, InstanceSecrets, SecretInjection, UNSUPPORTED};
pub use service::{CreateSecret, RevealedSecret, UpdateSecret, VaultService, VersionInfo};
pub use sharing::Grantee;

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

/// Provides [`VaultService`] and [`SecretInjection`]; registers
/// `instance.secrets.apply`.
pub fn register(registry: &mut Registry, platform: &Platform) {
    let vault = Arc::new(
        VaultService::new(
            platform.store.clone(),
            platform.master_key.clone(),
            platform.config.vault,
        )
        .with_queue(platform.queue.clone()),
    );
    registry.jobs().register(
        APPLY_KIND,
        Arc::new(inject_job::ApplyHandler(Applier {
            store: platform.store.clone(),
            connector: platform.connector.clone(),
            vault: vault.clone(),
        })),
    );
    registry.provide(Arc::new(SecretInjection::new(
        platform.store.clone(),
        platform.queue.clone(),
        platform.connector.clone(),
        vault.clone(),
    )));
    registry.provide(vault);
}
