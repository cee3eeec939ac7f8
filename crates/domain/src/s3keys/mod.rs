//! Per-user S3 access keys (`/api/v1/s3/access-keys`): create (the secret shown once,
//! kept sealed with the master key because SigV4 needs it to check signatures), list,
//! disable, delete — each owned by its creator (readonly and operator callers see only
//! their own, admins all) — and the per-user storage quotas admins set ([`S3Quotas`]). [`AccessKeyService::secret_for`] is what the S3 endpoint's
//! authentication asks.
//!
//! Adding an operation: a method on [`AccessKeyService`].

mod quotas;
mod service;

pub use quotas::S3Quotas;
pub use service::{AccessKeyService, CreatedAccessKey, S3Identity};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`AccessKeyService`] and [`S3Quotas`].
pub fn register(registry: &mut Registry, platform: &Platform) {
    registry.provide(Arc::new(S3Quotas::new(platform.store.clone())));
    registry.provide(Arc::new(AccessKeyService::new(
        platform.store.clone(),
        platform.master_key.clone(),
    )));
}
