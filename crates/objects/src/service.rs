//! [`ObjectStore`]: the object store's one entry point. Its operations are spread over
//! one file per family (`buckets.rs`, `objects.rs`, `listing.rs`, `multipart.rs`).

use std::sync::Arc;

use proxicloud_store::{Bucket, Store};
use uuid::Uuid;

use crate::ObjectError;
use crate::blob::{BlobId, BlobStore};
use crate::multipart::MultipartLimits;

/// Whose buckets a caller reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only the buckets of this user (S3 clients; non-admin console users).
    Owner(Uuid),
    /// Every bucket (administrators in the console).
    Any,
}

impl Access {
    pub(crate) fn owner(self) -> Option<Uuid> {
        match self {
            Access::Owner(id) => Some(id),
            Access::Any => None,
        }
    }
}

pub struct ObjectStore {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) limits: MultipartLimits,
}

impl ObjectStore {
    pub fn new(store: Arc<dyn Store>, blobs: Arc<dyn BlobStore>) -> Self {
        Self::with_limits(store, blobs, MultipartLimits::default())
    }

    pub fn with_limits(
        store: Arc<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        limits: MultipartLimits,
    ) -> Self {
        Self {
            store,
            blobs,
            limits,
        }
    }

    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// The bucket `name` as `access` may use it: `NoSuchBucket`, or `AccessDenied`
    /// for someone else's.
    pub async fn bucket(&self, access: Access, name: &str) -> Result<Bucket, ObjectError> {
        let bucket = self
            .store
            .objects()
            .find_bucket(name)
            .await?
            .ok_or(ObjectError::NoSuchBucket)?;
        match access.owner() {
            Some(owner) if owner != bucket.owner_id => Err(ObjectError::AccessDenied),
            _ => Ok(bucket),
        }
    }

    /// Deletes blobs no row names any more (after the commit that unnamed them). A
    /// failure is only logged: the blob is an orphan the next sweep removes.
    pub(crate) async fn release(&self, blobs: impl IntoIterator<Item = String>) {
        for blob in blobs {
            let deleted = match BlobId::parse(&blob) {
                Ok(id) => self.blobs.delete(&id).await,
                Err(error) => Err(error),
            };
            if let Err(error) = deleted {
                tracing::warn!(%blob, %error, "could not delete a released blob; the start-up sweep will");
            }
        }
    }
}
