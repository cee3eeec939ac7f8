//! Object storage as a feature: provides the [`ObjectStore`] (buckets, objects,
//! multipart uploads over the blob store the caller opened — `serve` opens
//! `<data_dir>/objects`) to the S3 endpoint and the API, and runs its housekeeping
//! workers.
//!
//! Without blobs in [`ObjectsConfig`] (tests that do not use object storage) nothing
//! is provided. Adding a housekeeping task: a function of `now` in its own file, and
//! a [`Periodic`] for it in [`register`] (deployment-scoped: it must run once).

mod abandoned;
#[cfg(test)]
mod tests;

pub use abandoned::AbandonedUploads;

use std::sync::Arc;
use std::time::Duration;

use proxicloud_objects::{BlobStore, ObjectStore};

use crate::app::{Platform, Registry};
use crate::workers::{Periodic, WorkerScope};

/// `[s3] abandoned_upload_hours`' default: S3 has no default (a lifecycle rule sets
/// it); a day is what MinIO's `stale_uploads_expiry` defaults to.
pub const DEFAULT_ABANDONED_AFTER: Duration = Duration::from_secs(24 * 3600);
/// How often abandoned uploads are looked for (at most).
const CLEAN_EVERY: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub struct ObjectsConfig {
    /// Where object bytes live; `None`: no object storage.
    pub blobs: Option<Arc<dyn BlobStore>>,
    /// A multipart upload idle this long (no part stored since, or since its start)
    /// is aborted and its parts freed; `None`: never (`[s3] abandoned_upload_hours =
    /// 0`). Never zero, which would abort every upload at once.
    pub abandoned_after: Option<Duration>,
}

impl Default for ObjectsConfig {
    fn default() -> Self {
        Self {
            blobs: None,
            abandoned_after: Some(DEFAULT_ABANDONED_AFTER),
        }
    }
}

impl std::fmt::Debug for ObjectsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectsConfig")
            .field("blobs", &self.blobs.as_ref().map(|_| "…"))
            .field("abandoned_after", &self.abandoned_after)
            .finish()
    }
}

/// Provides [`ObjectStore`] and [`AbandonedUploads`], and (unless the clean-up is
/// off) the worker `objects.abandoned_uploads`.
pub fn register(registry: &mut Registry, platform: &Platform) {
    let config = &platform.config.objects;
    let Some(blobs) = config.blobs.clone() else {
        return;
    };
    let objects = registry.provide(Arc::new(ObjectStore::new(platform.store.clone(), blobs)));
    let abandoned = registry.provide(Arc::new(AbandonedUploads::new(
        objects,
        config.abandoned_after,
    )));
    let Some(after) = config.abandoned_after else {
        return;
    };
    // Often enough that an upload outlives its age by at most a quarter of it.
    let every = CLEAN_EVERY.min(after / 4).max(Duration::from_secs(1));
    registry.worker(Arc::new(Periodic::new(
        "objects.abandoned_uploads",
        WorkerScope::Deployment,
        every,
        move || {
            let abandoned = abandoned.clone();
            async move {
                abandoned
                    .clean(proxicloud_store::Timestamp::now())
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        },
    )));
}
