//! `KeyPairService`: generate, import, list, get, delete — each owned by its creator
//! (readonly and operator callers see only their own key pairs, admins all of them).
//!
//! RSA generation costs up to seconds of CPU: it runs on a blocking thread, one at a
//! time server-wide ([`KeyPairService::reserve_rsa_generation`]); a second request
//! meanwhile is `Busy` (429 with Retry-After) instead of queueing CPU work.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{GuestKeyPair, KeyPair, NewKeyPair, Store, StoreError, Uuid, constraints};
use secrecy::SecretString;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::keys::{KeyAlgorithm, PublicHalf, generate, parse_public};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::inventory::load_live_guest;

pub(super) const RESOURCE: &str = "key pair";
pub const MAX_NAME_LEN: usize = 64;
/// RSA generations running at once, server-wide.
const RSA_GENERATIONS_AT_ONCE: usize = 1;
/// What a busy caller is told to wait: a release build generates an RSA 4096 key in
/// well under this on average (prime search is random; an unlucky one takes longer).
const RSA_RETRY_AFTER: Duration = Duration::from_secs(2);

/// `POST /keypairs`: a new pair made here.
#[derive(Debug, Clone, Default)]
pub struct GenerateKeyPair {
    pub name: String,
    pub algorithm: KeyAlgorithm,
}

/// `POST /keypairs/import`: the public half of a pair made elsewhere.
#[derive(Debug, Clone, Default)]
pub struct ImportKeyPair {
    pub name: String,
    pub public_key: String,
}

/// A generated pair and its private key, which exists only in this value: it is
/// returned to the caller once and never stored or logged.
pub struct GeneratedKeyPair {
    pub key_pair: KeyPair,
    pub private_key: SecretString,
}

pub struct KeyPairService {
    store: Arc<dyn Store>,
    rsa_slots: Arc<Semaphore>,
}

/// The right to run one RSA generation; the slot frees when it is dropped.
pub struct RsaGeneration {
    _permit: OwnedSemaphorePermit,
}

fn name_problem(name: &str) -> Option<String> {
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@');
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        Some(format!("must be 1 to {MAX_NAME_LEN} characters"))
    } else if !name.chars().all(valid) {
        Some("may contain only letters, digits, '-', '_', '.' and '@'".into())
    } else {
        None
    }
}

impl KeyPairService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            rsa_slots: Arc::new(Semaphore::new(RSA_GENERATIONS_AT_ONCE)),
        }
    }

    /// Takes the server's RSA generation slot, or says it is busy. Held until the
    /// generation ends, even if the request that started it goes away.
    pub fn reserve_rsa_generation(&self) -> DomainResult<RsaGeneration> {
        match self.rsa_slots.clone().try_acquire_owned() {
            Ok(permit) => Ok(RsaGeneration { _permit: permit }),
            Err(_) => Err(DomainError::Busy {
                message: "another RSA key is being generated; try again shortly, or generate \
                          an ed25519 key"
                    .into(),
                retry_after: RSA_RETRY_AFTER,
            }),
        }
    }

    pub async fn generate(
        &self,
        caller: &Principal,
        request: GenerateKeyPair,
    ) -> DomainResult<GeneratedKeyPair> {
        caller.require_create()?;
        let mut errors = FieldErrors::new();
        let name = request.name.trim().to_owned();
        if let Some(problem) = name_problem(&name) {
            errors.insert("name".into(), problem);
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let algorithm = request.algorithm;
        let slot = match algorithm {
            KeyAlgorithm::Rsa => Some(self.reserve_rsa_generation()?),
            KeyAlgorithm::Ed25519 => None,
        };
        // RSA takes seconds of CPU: off the async workers; the slot moves along so it
        // is held until the work ends, not until the request does.
        let comment = name.clone();
        let pair = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            generate(algorithm, &comment)
        })
        .await
        .map_err(|error| DomainError::Internal(format!("key generation panicked: {error}")))?
        .map_err(DomainError::Internal)?;
        let key_pair = self.insert(caller, name, pair.public).await?;
        Ok(GeneratedKeyPair {
            key_pair,
            private_key: pair.private_openssh,
        })
    }

    pub async fn import(
        &self,
        caller: &Principal,
        request: ImportKeyPair,
    ) -> DomainResult<KeyPair> {
        caller.require_create()?;
        let mut errors = FieldErrors::new();
        let name = request.name.trim().to_owned();
        if let Some(problem) = name_problem(&name) {
            errors.insert("name".into(), problem);
        }
        let public = parse_public(&request.public_key)
            .map_err(|problem| errors.insert("public_key".into(), problem))
            .ok();
        match public {
            Some(public) if errors.is_empty() => self.insert(caller, name, public).await,
            _ => Err(DomainError::Validation(errors)),
        }
    }

    async fn insert(
        &self,
        caller: &Principal,
        name: String,
        public: PublicHalf,
    ) -> DomainResult<KeyPair> {
        let new = NewKeyPair {
            owner_id: caller.user_id,
            name: name.clone(),
            key_type: public.key_type,
            public_key: public.line,
            fingerprint: public.fingerprint,
        };
        self.store
            .key_pairs()
            .insert(new)
            .await
            .map_err(|error| match error {
                StoreError::Conflict { constraint } if constraint == constraints::KEY_PAIR_NAME => {
                    DomainError::conflict(
                        "key_pair_name_taken",
                        format!("you already have a key pair named '{name}'"),
                    )
                }
                other => other.into(),
            })
    }

    /// The caller's key pairs (everyone's for an admin), by name.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<KeyPair>> {
        let owner = (!caller.is_admin()).then_some(caller.user_id);
        Ok(self.store.key_pairs().list(owner).await?)
    }

    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<KeyPair> {
        let key_pair = self
            .store
            .key_pairs()
            .get(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_view(Some(key_pair.owner_id), RESOURCE)?;
        Ok(key_pair)
    }

    /// The key pairs an instance was launched with, for whoever may see the instance.
    pub async fn for_instance(
        &self,
        caller: &Principal,
        instance_id: Uuid,
    ) -> DomainResult<Vec<GuestKeyPair>> {
        let guest = load_live_guest(self.store.as_ref(), instance_id).await?;
        caller.authorize_view(guest.owner_id, "instance")?;
        Ok(self.store.key_pairs().list_for_guest(guest.id).await?)
    }

    /// Instances launched with it keep their keys (they are in the guests) and the
    /// record of which pair it was.
    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<KeyPair> {
        let key_pair = self.get(caller, id).await?;
        caller.authorize_manage(Some(key_pair.owner_id), RESOURCE)?;
        self.store
            .key_pairs()
            .delete(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        Ok(key_pair)
    }
}
