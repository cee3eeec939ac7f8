//! SigV4 with our access keys: [`KeyAuth`] hands s3s the secret of an enabled key of
//! an enabled user (s3s checks the signature), and [`OwnerAccess`] turns the checked
//! key into the [`Caller`] every operation acts as. Unsigned requests are refused.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use proxicloud_domain::s3keys::AccessKeyService;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Result, s3_error};
use secrecy::ExposeSecret;
use uuid::Uuid;

/// The user a request acts for (in the request's extensions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller(pub Uuid);

/// Owners of the keys seen so far. A key's owner never changes (ids are never
/// reused), so this only saves a query; whether the key is still valid is asked on
/// every request ([`KeyAuth::get_secret_key`]).
#[derive(Clone, Default)]
pub struct KeyOwners(Arc<RwLock<HashMap<String, Uuid>>>);

pub struct KeyAuth {
    keys: Arc<AccessKeyService>,
    owners: KeyOwners,
}

impl KeyAuth {
    pub fn new(keys: Arc<AccessKeyService>, owners: KeyOwners) -> Self {
        Self { keys, owners }
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.keys.secret_for(access_key).await {
            Ok(Some(identity)) => {
                self.owners
                    .0
                    .write()
                    .insert(access_key.to_owned(), identity.owner_id);
                Ok(SecretKey::from(identity.secret.expose_secret()))
            }
            Ok(None) => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS access key Id you provided does not exist in our records."
            )),
            Err(error) => {
                tracing::error!(%error, "looking up an S3 access key failed");
                Err(s3_error!(InternalError))
            }
        }
    }
}

pub struct OwnerAccess {
    owners: KeyOwners,
}

impl OwnerAccess {
    pub fn new(owners: KeyOwners) -> Self {
        Self { owners }
    }
}

#[async_trait::async_trait]
impl S3Access for OwnerAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Anonymous access is not allowed"));
        };
        let owner = self.owners.0.read().get(&credentials.access_key).copied();
        let Some(owner) = owner else {
            return Err(s3_error!(AccessDenied));
        };
        cx.extensions_mut().insert(Caller(owner));
        Ok(())
    }
}

/// The caller s3s's access check put into the request.
pub(crate) fn caller<T>(req: &s3s::S3Request<T>) -> S3Result<Uuid> {
    req.extensions
        .get::<Caller>()
        .map(|caller| caller.0)
        .ok_or_else(|| s3_error!(AccessDenied))
}
