//! [`AbandonedUploads`]: multipart uploads nobody completed or aborted hold their
//! parts' bytes forever; after a configurable age they are aborted (S3 leaves this to
//! a lifecycle rule, `AbortIncompleteMultipartUpload`; we apply one to every bucket).
//! The age counts from the upload's last part (or its start, before any): a long
//! upload still receiving parts is never abandoned. No age (`None`): the clean-up is
//! off.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_objects::{ObjectError, ObjectStore};
use proxicloud_store::Timestamp;

pub struct AbandonedUploads {
    objects: Arc<ObjectStore>,
    after: Option<Duration>,
}

impl AbandonedUploads {
    pub fn new(objects: Arc<ObjectStore>, after: Option<Duration>) -> Self {
        Self { objects, after }
    }

    /// Aborts the uploads idle since before `now` minus the age, freeing their parts;
    /// returns how many (none when the clean-up is off). `now` is the caller's clock
    /// (tests move it).
    pub async fn clean(&self, now: Timestamp) -> Result<usize, ObjectError> {
        let Some(after) = self.after else {
            return Ok(0);
        };
        let aborted = self.objects.abort_stale_uploads(now - after).await?;
        if aborted > 0 {
            tracing::info!(aborted, "aborted abandoned multipart uploads");
        }
        Ok(aborted)
    }
}
