//! Identity: password hashing, token formats, access tokens and login throttling,
//! and `IamService`, which applies them over the store.
//! Persistence of users and tokens is the store's job; this module decides.

pub mod access_token;
pub mod api_tokens;
pub mod authz;
mod credential_cache;
pub mod password;
mod revocations;
pub mod service;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use api_tokens::{ApiTokenInfo, CreateApiToken, CreatedApiToken};
pub use authz::{AuthMethod, Principal};
pub use service::{IamConfig, IamService, InitialAdmin};
pub use sessions::IssuedSession;
pub use users::{CreateUser, UpdateUser, UserInfo, UserWithPassword};

use std::sync::Arc;

use crate::app::{Platform, Registry};

/// Provides [`IamService`] (users, sessions, API tokens) under the configured limits.
pub fn register(registry: &mut Registry, platform: &Platform) {
    registry.provide(Arc::new(IamService::new(
        platform.store.clone(),
        &platform.master_key,
        platform.config.iam.clone(),
    )));
}
