//! Quota checks *before* a body is received: an S3 client declares the length of what
//! it sends (`Content-Length`), so an object or part that the owner's quota cannot
//! take is refused at once, instead of being streamed to disk first and refused when
//! it is named. Advisory (no lock): the transaction that names the object or part
//! checks again, and that check is the one that holds.

use proxicloud_store::{Bucket, MultipartUpload};

use crate::ObjectError;
use crate::service::ObjectStore;

fn signed(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

impl ObjectStore {
    /// `QuotaExceeded` when an object of `size` bytes under `key` would take the
    /// bucket's owner past their quota (the object it replaces counted as freed).
    pub async fn check_room_for_object(
        &self,
        bucket: &Bucket,
        key: &str,
        size: u64,
    ) -> Result<(), ObjectError> {
        let objects = self.store.objects();
        // The common case (no quota, or room even for a new object) costs one read.
        if objects.has_room(bucket.id, signed(size), 1).await? {
            return Ok(());
        }
        let replaced = objects.find_object(bucket.id, key).await?;
        let (bytes, count) = match replaced {
            Some(old) => (signed(size) - signed(old.size), 0),
            None => (signed(size), 1),
        };
        if objects.has_room(bucket.id, bytes, count).await? {
            Ok(())
        } else {
            Err(ObjectError::QuotaExceeded)
        }
    }

    /// `QuotaExceeded` when part `part_number` of `size` bytes would take the owner
    /// past their byte quota (parts count until the upload completes or is aborted;
    /// a part uploaded again replaces the first one's bytes).
    pub async fn check_room_for_part(
        &self,
        upload: &MultipartUpload,
        part_number: u32,
        size: u64,
    ) -> Result<(), ObjectError> {
        let objects = self.store.objects();
        if objects.has_room(upload.bucket_id, signed(size), 0).await? {
            return Ok(());
        }
        let before = part_number.saturating_sub(1);
        let replaced = objects
            .list_parts(upload.id, before, 1)
            .await?
            .into_iter()
            .find(|p| p.part_number == part_number)
            .map_or(0, |p| signed(p.size));
        if objects
            .has_room(upload.bucket_id, signed(size) - replaced, 0)
            .await?
        {
            Ok(())
        } else {
            Err(ObjectError::QuotaExceeded)
        }
    }
}
