//! The secrets vault: named secrets per owner, each with its sealed versions, and the
//! other users granted read access. The store only ever sees sealed values (the domain
//! seals and opens them with the master key). To add a field: a column in a new
//! migration for both backends, the record in `sql/secrets.rs`, a conformance case.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Page, PageRequest, Result, Timestamp};

/// A secret's metadata; its value lives in its [`SecretVersion`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// Unique per owner ([`constraints::SECRET_NAME`](crate::constraints::SECRET_NAME)).
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    /// The current version (1 for a new secret; every value change adds one).
    pub version: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One version of a secret's value, sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretVersion {
    pub secret_id: Uuid,
    pub version: u32,
    pub value_sealed: Vec<u8>,
    pub created_at: Timestamp,
}

/// Never prints the sealed value (ciphertext, but logs need none of it).
impl std::fmt::Debug for SecretVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretVersion")
            .field("secret_id", &self.secret_id)
            .field("version", &self.version)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A new secret: its id is chosen by the caller, which seals the value with it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSecret {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    /// Version 1, sealed.
    pub value_sealed: Vec<u8>,
}

/// What an update changes; `None` keeps the field as it is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretChanges {
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    /// A new value, sealed for version `expected_version + 1`: it becomes current.
    pub value_sealed: Option<Vec<u8>>,
}

/// Where applying an instance's secrets (as environment variables) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectionState {
    pub guest_id: Uuid,
    /// `pending` while a job applies them, then `applied` or `failed` (with `reason`).
    pub status: String,
    /// Why it failed, in words for the instance's owner (never a value).
    pub reason: Option<String>,
    /// The variables ProxiCloud last wrote, so a re-apply removes those it no longer
    /// gives and keeps the guest's others.
    pub managed: Vec<String>,
    pub updated_at: Timestamp,
}

/// Which secrets a list shows; every filter set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretFilter {
    /// Only this user's secrets.
    pub owner_id: Option<Uuid>,
    /// With `owner_id`: also the secrets granted to that user.
    pub with_granted: bool,
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
}

#[async_trait]
pub trait SecretRepo: Send + Sync {
    /// The secret at version 1. `Conflict { SECRET_NAME }` when the owner has one of
    /// that name; `MissingReference` when the owner does not exist.
    async fn insert(&self, secret: NewSecret, now: Timestamp) -> Result<Secret>;
    async fn get(&self, id: Uuid) -> Result<Secret>;
    async fn find_by_name(&self, owner_id: Uuid, name: &str) -> Result<Option<Secret>>;
    /// By name, then id, a page at a time.
    async fn list(&self, filter: &SecretFilter, page: PageRequest) -> Result<Page<Secret>>;
    /// Applies `changes` if the secret is still at `expected_version` (else `Stale`).
    /// A new value becomes version `expected_version + 1`, and versions older than the
    /// newest `keep_versions + 1` are deleted, in the same transaction.
    async fn update(
        &self,
        id: Uuid,
        expected_version: u32,
        changes: SecretChanges,
        keep_versions: u32,
        now: Timestamp,
    ) -> Result<Secret>;
    /// The kept versions, newest first.
    async fn versions(&self, id: Uuid) -> Result<Vec<SecretVersion>>;
    /// `NotFound` when the version was never made or is no longer kept.
    async fn get_version(&self, id: Uuid, version: u32) -> Result<SecretVersion>;
    /// Deletes the secret, its versions and grants.
    async fn delete(&self, id: Uuid) -> Result<()>;

    /// Lets `user_id` read the secret's value. Idempotent.
    async fn grant(&self, id: Uuid, user_id: Uuid, now: Timestamp) -> Result<()>;
    /// Idempotent.
    async fn revoke(&self, id: Uuid, user_id: Uuid) -> Result<()>;
    /// The users granted read access, in id order.
    async fn grantees(&self, id: Uuid) -> Result<Vec<Uuid>>;

    /// Replaces the secrets an instance receives, in one transaction.
    /// `MissingReference` when the guest or a secret does not exist.
    async fn set_guest_secrets(&self, guest_id: Uuid, secret_ids: &[Uuid]) -> Result<()>;
    /// The secrets an instance receives, by name then id.
    async fn guest_secrets(&self, guest_id: Uuid) -> Result<Vec<Secret>>;
    /// The instances receiving a secret, in id order.
    async fn guests_using(&self, secret_id: Uuid) -> Result<Vec<Uuid>>;
    async fn injection_state(&self, guest_id: Uuid) -> Result<Option<InjectionState>>;
    /// Inserts or replaces the instance's state.
    async fn put_injection_state(&self, state: &InjectionState) -> Result<()>;
}
