//! SSH key pairs (`/api/v1/keypairs`): generated here (ed25519 or RSA 4096, the
//! private key handed out once and never stored) or imported (public key only);
//! chosen at launch by id and injected with the instance's other keys
//! (`instances::plan`). The store keeps the public halves and, per instance, which
//! pairs it was launched with.
//!
//! Adding an operation: a method on [`KeyPairService`]; a new algorithm to generate:
//! [`keys::KeyAlgorithm`].

pub mod keys;
mod launch;
mod service;

pub use launch::{MAX_KEY_PAIRS_PER_LAUNCH, usable_key_pairs};
pub use service::{
    GenerateKeyPair, GeneratedKeyPair, ImportKeyPair, KeyPairService, MAX_NAME_LEN, RsaGeneration,
};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`KeyPairService`].
pub fn register(registry: &mut Registry, platform: &Platform) {
    registry.provide(Arc::new(KeyPairService::new(platform.store.clone())));
}
