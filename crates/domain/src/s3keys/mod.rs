//! Per-user S3 access keys (`/api/v1/s3/access-keys`): create (the secret shown once,
//! kept sealed with the master key because SigV4 needs it to check signatures), list,
//! disable, delete — each owned by its creator (readonly and operator callers see only
//! their own, admins all). [`AccessKeyService::secret_for`] is what the S3 endpoint's
//! authentication asks.
//!
//! Adding an operation: a method on [`AccessKeyService`].

mod service;

pub use service::{AccessKeyService, CreatedAccessKey, S3Identity};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`AccessKeyService`].
pub fn register(registry: &mut Registry, platform: &Platform) {
    registry.provide(Arc::new(AccessKeyService::new(
        platform.store.clone(),
        platform.master_key.clone(),
    )));
}
