//! [`S3Quotas`]: the per-user object storage quotas an administrator sets (bytes,
//! objects). They are enforced by the object store in the transaction that names an
//! object (`ObjectRepo::put_object`), for S3 clients and the API alike.

use std::sync::Arc;

use proxicloud_store::{BucketUsage, Quota, Store, StoreError, Uuid};

use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;

pub struct S3Quotas {
    store: Arc<dyn Store>,
}

impl S3Quotas {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// A user's quota (unlimited when none was set) and what they store now. Admins only.
    pub async fn get(
        &self,
        caller: &Principal,
        user_id: Uuid,
    ) -> DomainResult<(Quota, BucketUsage)> {
        caller.require_admin()?;
        self.existing_user(user_id).await?;
        let objects = self.store.objects();
        Ok((
            objects.quota(user_id).await?,
            objects.owner_usage(user_id).await?,
        ))
    }

    /// Replaces a user's quota. A quota below the usage refuses further writes and
    /// deletes nothing. Admins only.
    pub async fn set(
        &self,
        caller: &Principal,
        user_id: Uuid,
        quota: Quota,
    ) -> DomainResult<(Quota, BucketUsage)> {
        caller.require_admin()?;
        self.existing_user(user_id).await?;
        let objects = self.store.objects();
        match objects.set_quota(user_id, quota).await {
            Ok(()) => {}
            Err(StoreError::MissingReference) => return Err(Self::no_user()),
            Err(other) => return Err(other.into()),
        }
        Ok((quota, objects.owner_usage(user_id).await?))
    }

    async fn existing_user(&self, user_id: Uuid) -> DomainResult<()> {
        match self.store.users().get(user_id).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => Err(Self::no_user()),
            Err(other) => Err(other.into()),
        }
    }

    fn no_user() -> DomainError {
        DomainError::NotFound { resource: "user" }
    }
}
