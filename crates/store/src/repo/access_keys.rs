//! Per-user S3 access keys. The secret is kept sealed (the domain seals and opens it
//! with the master key); the store never sees it in the clear.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Result, Timestamp};

#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// What clients send (`AKIA…`-like), unique system-wide
    /// ([`constraints::ACCESS_KEY_ID`](crate::constraints::ACCESS_KEY_ID)).
    pub access_key_id: String,
    /// The secret access key, sealed with the master key.
    pub secret_sealed: Vec<u8>,
    pub disabled: bool,
    pub created_at: Timestamp,
}

/// Never prints the sealed secret (it is ciphertext, but logs need none of it).
impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("owner_id", &self.owner_id)
            .field("access_key_id", &self.access_key_id)
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct NewAccessKey {
    pub owner_id: Uuid,
    pub access_key_id: String,
    pub secret_sealed: Vec<u8>,
}

#[async_trait]
pub trait AccessKeyRepo: Send + Sync {
    /// `Conflict { ACCESS_KEY_ID }` on a duplicate id; `MissingReference` when the
    /// owner does not exist.
    async fn insert(&self, key: NewAccessKey) -> Result<AccessKey>;
    async fn get(&self, id: Uuid) -> Result<AccessKey>;
    /// By the id clients sign with (enabled or not: the caller decides).
    async fn find_by_access_key_id(&self, access_key_id: &str) -> Result<Option<AccessKey>>;
    /// One owner's keys, or everyone's (`None`), oldest first.
    async fn list(&self, owner_id: Option<Uuid>) -> Result<Vec<AccessKey>>;
    async fn set_disabled(&self, id: Uuid, disabled: bool) -> Result<AccessKey>;
    async fn delete(&self, id: Uuid) -> Result<()>;
}
