//! SSH key pairs (public halves only) and the record of which ones each instance was
//! launched with.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Result, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// Unique per owner ([`constraints::KEY_PAIR_NAME`](crate::constraints::KEY_PAIR_NAME)).
    pub name: String,
    /// The OpenSSH algorithm name, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// One `authorized_keys` line.
    pub public_key: String,
    /// `SHA256:…` as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKeyPair {
    pub owner_id: Uuid,
    pub name: String,
    pub key_type: String,
    pub public_key: String,
    pub fingerprint: String,
}

/// A key pair as an instance remembers it: copied at launch (and carried in the create
/// job's plan until the instance exists), so it outlives the key pair's deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestKeyPair {
    /// `id` in the plans of jobs queued before this type was shared.
    #[serde(alias = "id")]
    pub key_pair_id: Uuid,
    pub name: String,
    pub fingerprint: String,
}

impl From<&KeyPair> for GuestKeyPair {
    fn from(pair: &KeyPair) -> Self {
        Self {
            key_pair_id: pair.id,
            name: pair.name.clone(),
            fingerprint: pair.fingerprint.clone(),
        }
    }
}

#[async_trait]
pub trait KeyPairRepo: Send + Sync {
    /// `Conflict { KEY_PAIR_NAME }` when the owner already has a key pair of that
    /// name; `MissingReference` when the owner does not exist.
    async fn insert(&self, key_pair: NewKeyPair) -> Result<KeyPair>;
    async fn get(&self, id: Uuid) -> Result<KeyPair>;
    /// Those of `ids` that exist, in one read, in no particular order.
    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<KeyPair>>;
    /// One owner's key pairs, or everyone's (`None`), by name then id.
    async fn list(&self, owner_id: Option<Uuid>) -> Result<Vec<KeyPair>>;
    async fn delete(&self, id: Uuid) -> Result<()>;
    /// Records the key pairs a guest was launched with. Idempotent: recording the
    /// same pair again changes nothing.
    async fn record_for_guest(&self, guest_id: Uuid, key_pairs: &[GuestKeyPair]) -> Result<()>;
    /// By name then id; empty for a guest launched without key pairs.
    async fn list_for_guest(&self, guest_id: Uuid) -> Result<Vec<GuestKeyPair>>;
}
