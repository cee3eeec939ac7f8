//! [`AbandonedUploads`]: multipart uploads nobody completed or aborted hold their
//! parts' bytes forever; after a configurable age they are aborted (S3 leaves this to
//! a lifecycle rule, `AbortIncompleteMultipartUpload`; we apply one to every bucket).

use std::sync::Arc;
use std::time::Duration;

use proxicloud_objects::{ObjectError, ObjectStore};
use proxicloud_store::Timestamp;

pub struct AbandonedUploads {
    objects: Arc<ObjectStore>,
    after: Duration,
}

impl AbandonedUploads {
    pub fn new(objects: Arc<ObjectStore>, after: Duration) -> Self {
        Self { objects, after }
    }

    /// Aborts the uploads started before `now` minus the age, freeing their parts;
    /// returns how many. `now` is the caller's clock (tests move it).
    pub async fn clean(&self, now: Timestamp) -> Result<usize, ObjectError> {
        let aborted = self.objects.abort_stale_uploads(now - self.after).await?;
        if aborted > 0 {
            tracing::info!(aborted, "aborted abandoned multipart uploads");
        }
        Ok(aborted)
    }
}
