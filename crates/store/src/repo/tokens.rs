//! Refresh tokens (rotating, in families) and long-lived API tokens. Only hashes are stored.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Result, Timestamp};

/// One refresh token. Every rotation creates a new token in the same family and marks
/// the old one `replaced_by` it; presenting a replaced token again is reuse, and the
/// domain then revokes the whole family.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub family_id: Uuid,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub replaced_by: Option<Uuid>,
}

impl RefreshToken {
    /// Neither revoked, rotated, nor expired at `now`.
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.replaced_by.is_none() && self.expires_at > now
    }
}

/// A refresh token issued at login: it starts a new family.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRefreshToken {
    pub user_id: Uuid,
    pub token_hash: String,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait RefreshTokenRepo: Send + Sync {
    /// Starts a new family (`family_id` = the new token's id).
    async fn insert(&self, token: NewRefreshToken) -> Result<RefreshToken>;
    /// Any token with this hash, usable or not (the caller tells reuse from expiry).
    async fn find_by_hash(&self, token_hash: &str) -> Result<Option<RefreshToken>>;
    /// Atomically marks `old_id` replaced and inserts its successor in the same family.
    /// `Stale` when `old_id` was already rotated, revoked or expired at `now` — at most
    /// one of several concurrent rotations of one token succeeds.
    async fn rotate(
        &self,
        old_id: Uuid,
        token_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<RefreshToken>;
    /// Idempotent: an already revoked token keeps its first `revoked_at`.
    async fn revoke(&self, id: Uuid, now: Timestamp) -> Result<()>;
    /// Returns how many tokens were newly revoked.
    async fn revoke_family(&self, family_id: Uuid, now: Timestamp) -> Result<u64>;
    async fn revoke_all_for_user(&self, user_id: Uuid, now: Timestamp) -> Result<u64>;
    /// Housekeeping: deletes tokens that expired before `before`. Returns the count.
    async fn delete_expired(&self, before: Timestamp) -> Result<u64>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// The first characters of the secret (e.g. `pc_ab12`), shown in lists.
    pub prefix: String,
    pub token_hash: String,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiToken {
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub token_hash: String,
    /// `None`: never expires.
    pub expires_at: Option<Timestamp>,
}

#[async_trait]
pub trait ApiTokenRepo: Send + Sync {
    async fn insert(&self, token: NewApiToken) -> Result<ApiToken>;
    async fn get(&self, id: Uuid) -> Result<ApiToken>;
    /// Only a token that is neither revoked nor expired at `now`.
    async fn find_active_by_hash(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<ApiToken>>;
    /// Newest first, revoked and expired ones included.
    async fn list_by_user(&self, user_id: Uuid) -> Result<Vec<ApiToken>>;
    /// Idempotent: an already revoked token keeps its first `revoked_at`.
    async fn revoke(&self, id: Uuid, now: Timestamp) -> Result<()>;
    /// Records a use.
    async fn touch(&self, id: Uuid, now: Timestamp) -> Result<()>;
}
