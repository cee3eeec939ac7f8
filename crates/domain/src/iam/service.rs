//! `IamService`: identity over the store. Its operations are split by topic:
//! sessions (login, refresh, logout) in `sessions.rs`, user administration in
//! `users.rs`, API tokens in `api_tokens.rs`. This file holds the service itself,
//! first-start bootstrap and request authentication.

use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use proxicloud_store::{ApiToken, NewUser, Role, Store, StoreError, Timestamp, User, Uuid};
use secrecy::{ExposeSecret, SecretString};

use super::access_token::AccessTokenKeys;
use super::authz::{AuthMethod, Principal};
use super::credential_cache::CredentialCache;
use super::password::{burn_verification_time, check_policy, hash_password, verify_password};
use super::revocations::SessionRevocations;
use super::throttle::{LoginThrottle, ThrottlePolicy};
use super::tokens::{hash_token, is_api_token};
use crate::error::{DomainError, DomainResult};
use crate::secrets::MasterKey;

/// The user created on first start.
pub const INITIAL_ADMIN_USERNAME: &str = "admin";
/// Purpose string of the key that signs access tokens (derived from the master key).
const ACCESS_TOKEN_KEY_PURPOSE: &str = "access-token-signing";
/// `last_used_at` of an API token is written at most this often, so an API client
/// hammering the server does not turn every read into a database write.
const TOKEN_TOUCH_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct IamConfig {
    /// How long a refresh token stays valid; each rotation starts a new period.
    pub refresh_token_ttl: Duration,
    pub throttle: ThrottlePolicy,
}

impl Default for IamConfig {
    fn default() -> Self {
        Self {
            refresh_token_ttl: Duration::from_secs(14 * 24 * 3600),
            throttle: ThrottlePolicy::default(),
        }
    }
}

/// The admin account created on first start. `password` is shown to the operator
/// once (when `generated`) and never stored in clear.
#[derive(Debug)]
pub struct InitialAdmin {
    pub username: String,
    pub password: SecretString,
    /// `false` when the password came from the caller (`PROXICLOUD_ADMIN_PASSWORD`).
    pub generated: bool,
}

pub struct IamService {
    pub(super) store: Arc<dyn Store>,
    pub(super) access_keys: AccessTokenKeys,
    pub(super) throttle: LoginThrottle,
    pub(super) revocations: SessionRevocations,
    /// Who recent credentials belong to; see `credential_cache.rs`.
    pub(super) credentials: CredentialCache,
    /// How fast each user may create API tokens; see `api_tokens.rs`.
    pub(super) token_creations: super::api_tokens::CreationLimit,
    pub(super) config: IamConfig,
}

impl IamService {
    pub fn new(store: Arc<dyn Store>, master_key: &MasterKey, config: IamConfig) -> Self {
        Self {
            store,
            access_keys: AccessTokenKeys::new(&master_key.derive(ACCESS_TOKEN_KEY_PURPOSE)),
            throttle: LoginThrottle::new(config.throttle),
            revocations: SessionRevocations::default(),
            credentials: CredentialCache::default(),
            token_creations: super::api_tokens::CreationLimit::default(),
            config,
        }
    }

    /// On the very first start (no user at all), creates `admin` with `password`, or
    /// with a random one when `None`. Returns `None` when users already exist: an
    /// existing admin's password is never overwritten by a restart.
    pub async fn bootstrap_admin(
        &self,
        password: Option<SecretString>,
    ) -> DomainResult<Option<InitialAdmin>> {
        let users = self
            .store
            .users()
            .list(proxicloud_store::PageRequest::first(1))
            .await?;
        if !users.items.is_empty() {
            return Ok(None);
        }
        let generated = password.is_none();
        let password = password.unwrap_or_else(generate_password);
        check_policy(&password).map_err(|e| DomainError::invalid("password", e.to_string()))?;
        let new_user = NewUser {
            username: INITIAL_ADMIN_USERNAME.to_owned(),
            password_hash: hash_in_background(password.clone()).await?,
            role: Role::Admin,
            disabled: false,
        };
        match self.store.users().create(new_user).await {
            Ok(_) => Ok(Some(InitialAdmin {
                username: INITIAL_ADMIN_USERNAME.to_owned(),
                password,
                generated,
            })),
            // Another replica bootstrapped at the same moment: it printed the password.
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Who presents this bearer value: an access token (JWT) from a login, or a `pc_`
    /// API token. Expired, revoked or forged credentials, and users that are disabled
    /// or deleted, are all simply `Unauthenticated`.
    pub async fn authenticate(&self, bearer: &SecretString) -> DomainResult<Principal> {
        if is_api_token(bearer) {
            self.authenticate_api_token(bearer).await
        } else {
            self.authenticate_access_token(bearer).await
        }
    }

    async fn authenticate_api_token(&self, bearer: &SecretString) -> DomainResult<Principal> {
        let now = Timestamp::now();
        let hash = hash_token(bearer.expose_secret());
        let token = match self.credentials.api_token(&hash) {
            Some(token) => token,
            None => {
                let token = self
                    .store
                    .api_tokens()
                    .find_active_by_hash(&hash, now)
                    .await?
                    .ok_or(DomainError::Unauthenticated)?;
                self.credentials.remember_api_token(token.clone());
                token
            }
        };
        // A remembered token may have expired since.
        if token.revoked_at.is_some() || token.expires_at.is_some_and(|at| at <= now) {
            return Err(DomainError::Unauthenticated);
        }
        let user = self.authenticated_user(token.user_id).await?;
        let stale = token
            .last_used_at
            .is_none_or(|used| used + TOKEN_TOUCH_INTERVAL <= now);
        if stale {
            self.store.api_tokens().touch(token.id, now).await?;
            let touched = ApiToken {
                last_used_at: Some(now),
                ..token.clone()
            };
            self.credentials.remember_api_token(touched);
        }
        Ok(principal_of(&user, AuthMethod::ApiToken { id: token.id }))
    }

    async fn authenticate_access_token(&self, bearer: &SecretString) -> DomainResult<Principal> {
        let claims = self
            .access_keys
            .verify(bearer.expose_secret())
            .map_err(|_| DomainError::Unauthenticated)?;
        let user_id: Uuid = claims
            .sub
            .parse()
            .map_err(|_| DomainError::Unauthenticated)?;
        let sid: Uuid = claims
            .sid
            .parse()
            .map_err(|_| DomainError::Unauthenticated)?;
        if self.revocations.is_revoked(user_id, sid, &claims) {
            return Err(DomainError::Unauthenticated);
        }
        let user = self.authenticated_user(user_id).await?;
        Ok(principal_of(&user, AuthMethod::Session { sid }))
    }

    /// [`Self::active_user`], remembered for a few seconds: the user behind nearly
    /// every request is one that made a request a moment ago.
    async fn authenticated_user(&self, id: Uuid) -> DomainResult<User> {
        if let Some(user) = self.credentials.user(id) {
            return Ok(user);
        }
        let user = self.active_user(id).await?;
        self.credentials.remember_user(user.clone());
        Ok(user)
    }

    /// The user behind a credential, if it still exists and is enabled.
    pub(super) async fn active_user(&self, id: Uuid) -> DomainResult<User> {
        match self.store.users().get(id).await {
            Ok(user) if !user.disabled => Ok(user),
            Ok(_) | Err(StoreError::NotFound) => Err(DomainError::Unauthenticated),
            Err(other) => Err(other.into()),
        }
    }
}

pub(super) fn principal_of(user: &User, via: AuthMethod) -> Principal {
    Principal {
        user_id: user.id,
        username: user.username.clone(),
        role: user.role,
        via,
    }
}

/// JWT times are whole seconds since the epoch.
pub(super) fn unix_seconds(at: Timestamp) -> i64 {
    at.unix_micros().div_euclid(1_000_000)
}

/// Argon2id costs tens of milliseconds of CPU: keep it off the async workers.
pub(super) async fn hash_in_background(password: SecretString) -> DomainResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| DomainError::Internal(format!("password hashing task failed: {e}")))
}

/// Verifies `password` against `hash`, or — for an unknown user (`None`) — spends the
/// same time and fails, so response times do not reveal which usernames exist.
pub(super) async fn verify_in_background(
    password: SecretString,
    hash: Option<String>,
) -> DomainResult<bool> {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            burn_verification_time(&password);
            false
        }
    })
    .await
    .map_err(|e| DomainError::Internal(format!("password verification task failed: {e}")))
}

/// 20 characters from an unambiguous alphabet (no 0/O, 1/l/I): about 115 bits.
pub(super) fn generate_password() -> SecretString {
    const ALPHABET: &[u8] = b"23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    // Largest multiple of the alphabet size below 256: bytes above it are redrawn so
    // every character is equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut password = String::with_capacity(20);
    let mut byte = [0u8; 1];
    while password.len() < 20 {
        OsRng.fill_bytes(&mut byte);
        if usize::from(byte[0]) < limit {
            password.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    SecretString::from(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_satisfy_the_policy_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert!(check_policy(&a).is_ok());
        assert_eq!(a.expose_secret().len(), 20);
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
