//! `AccessKeyService`: create, list, get, enable/disable, delete, and the secret
//! lookup behind SigV4.

use std::sync::Arc;

use proxicloud_store::{AccessKey, NewAccessKey, Role, Store, StoreError, Uuid, constraints};
use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::secrets::MasterKey;

const RESOURCE: &str = "access key";
/// Like AWS's: 20 characters, upper-case letters and digits (`PC` + 18).
const ACCESS_KEY_ID_PREFIX: &str = "PC";
const ACCESS_KEY_ID_RANDOM: usize = 18;
/// Like AWS's: 40 characters (alphanumeric here: ~238 bits, nothing to escape).
const SECRET_LEN: usize = 40;

/// A new key and its secret, which exists in the clear only in this value.
pub struct CreatedAccessKey {
    pub key: AccessKey,
    pub secret: SecretString,
}

/// Who signed an S3 request, and the secret to check the signature with.
pub struct S3Identity {
    pub owner_id: Uuid,
    pub secret: SecretString,
}

pub struct AccessKeyService {
    store: Arc<dyn Store>,
    master_key: Arc<MasterKey>,
}

fn seal_context(access_key_id: &str) -> String {
    format!("s3-access-key:{access_key_id}:secret")
}

fn new_access_key_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let random: String = (0..ACCESS_KEY_ID_RANDOM)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{ACCESS_KEY_ID_PREFIX}{random}")
}

impl AccessKeyService {
    pub fn new(store: Arc<dyn Store>, master_key: Arc<MasterKey>) -> Self {
        Self { store, master_key }
    }

    pub async fn create(&self, caller: &Principal) -> DomainResult<CreatedAccessKey> {
        caller.require_create()?;
        // A clash of 90 random bits is not going to happen; one retry covers it anyway.
        for _ in 0..2 {
            let access_key_id = new_access_key_id();
            let secret =
                SecretString::from(Alphanumeric.sample_string(&mut rand::rng(), SECRET_LEN));
            let sealed = self.master_key.seal(
                secret.expose_secret().as_bytes(),
                &seal_context(&access_key_id),
            );
            let new = NewAccessKey {
                owner_id: caller.user_id,
                access_key_id,
                secret_sealed: sealed,
            };
            match self.store.access_keys().insert(new).await {
                Ok(key) => return Ok(CreatedAccessKey { key, secret }),
                Err(StoreError::Conflict { constraint })
                    if constraint == constraints::ACCESS_KEY_ID => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Internal(
            "could not find a free access key id".into(),
        ))
    }

    /// The caller's keys (everyone's for an admin), oldest first.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<AccessKey>> {
        let owner = (!caller.is_admin()).then_some(caller.user_id);
        Ok(self.store.access_keys().list(owner).await?)
    }

    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<AccessKey> {
        let key = self
            .store
            .access_keys()
            .get(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_view(Some(key.owner_id), RESOURCE)?;
        Ok(key)
    }

    pub async fn set_disabled(
        &self,
        caller: &Principal,
        id: Uuid,
        disabled: bool,
    ) -> DomainResult<AccessKey> {
        let key = self.get(caller, id).await?;
        caller.authorize_manage(Some(key.owner_id), RESOURCE)?;
        self.store
            .access_keys()
            .set_disabled(id, disabled)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))
    }

    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<AccessKey> {
        let key = self.get(caller, id).await?;
        caller.authorize_manage(Some(key.owner_id), RESOURCE)?;
        self.store
            .access_keys()
            .delete(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        Ok(key)
    }

    /// The owner and secret of an enabled key of an enabled user who may create
    /// resources; `None` for an unknown or disabled key, a disabled account, or one
    /// demoted to readonly.
    pub async fn secret_for(&self, access_key_id: &str) -> DomainResult<Option<S3Identity>> {
        let Some(key) = self
            .store
            .access_keys()
            .find_by_access_key_id(access_key_id)
            .await?
        else {
            return Ok(None);
        };
        if key.disabled {
            return Ok(None);
        }
        let owner = match self.store.users().get(key.owner_id).await {
            Ok(owner) => owner,
            Err(StoreError::NotFound) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        // A readonly user cannot make keys; one demoted since loses S3 with the role,
        // since the endpoint has no read-only mode (a signed request may write).
        if owner.disabled || owner.role == Role::Readonly {
            return Ok(None);
        }
        let secret = self
            .master_key
            .open(&key.secret_sealed, &seal_context(&key.access_key_id))
            .map_err(|error| DomainError::Internal(error.to_string()))?;
        Ok(Some(S3Identity {
            owner_id: key.owner_id,
            secret,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_look_like_aws_ones() {
        let id = new_access_key_id();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("PC"));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_ne!(id, new_access_key_id());
    }
}
