//! Multipart uploads: create, upload part, list parts and uploads, complete (with
//! S3's validation of the part list), abort.
//!
//! Parts are blobs of their own; completing composes them into the object's blob (one
//! more copy of the data, so an object is always one blob and reads stay simple), then
//! one transaction names it and drops the upload, and the parts' blobs go.

use md5::{Digest, Md5};
use proxicloud_store::{Bucket, MultipartUpload, Part, StoreError, Timestamp};
use uuid::Uuid;

use crate::ObjectError;
use crate::blob::{BlobId, ByteStream};
use crate::headers::ObjectHeaders;
use crate::objects::{ObjectInfo, validate_key};
use crate::service::ObjectStore;

/// S3's smallest part (all but the last).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's part numbers: 1 to 10,000.
pub const MAX_PART_NUMBER: u32 = 10_000;

#[derive(Debug, Clone, Copy)]
pub struct MultipartLimits {
    /// The smallest size of every part but the last (`EntityTooSmall`).
    pub min_part_size: u64,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        Self {
            min_part_size: MIN_PART_SIZE,
        }
    }
}

/// One entry of a complete request's part list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// With or without quotes.
    pub etag: String,
}

impl ObjectStore {
    pub async fn create_upload(
        &self,
        bucket: &Bucket,
        key: &str,
        headers: &ObjectHeaders,
    ) -> Result<MultipartUpload, ObjectError> {
        validate_key(key)?;
        let headers = headers.to_json()?;
        match self
            .store
            .objects()
            .create_upload(bucket.id, key, &headers)
            .await
        {
            Ok(upload) => Ok(upload),
            Err(StoreError::MissingReference) => Err(ObjectError::NoSuchBucket),
            Err(other) => Err(other.into()),
        }
    }

    /// The upload `upload_id` of `key` in `bucket`, or `NoSuchUpload`.
    pub async fn upload(
        &self,
        bucket: &Bucket,
        key: &str,
        upload_id: &str,
    ) -> Result<MultipartUpload, ObjectError> {
        let id = Uuid::parse_str(upload_id).map_err(|_| ObjectError::NoSuchUpload)?;
        match self.store.objects().find_upload(id).await? {
            Some(upload) if upload.bucket_id == bucket.id && upload.key == key => Ok(upload),
            _ => Err(ObjectError::NoSuchUpload),
        }
    }

    /// The upload `upload_id` in `bucket`, whatever its key (the REST API names
    /// uploads by id alone), or `NoSuchUpload`.
    pub async fn upload_in_bucket(
        &self,
        bucket: &Bucket,
        upload_id: &str,
    ) -> Result<MultipartUpload, ObjectError> {
        let id = Uuid::parse_str(upload_id).map_err(|_| ObjectError::NoSuchUpload)?;
        match self.store.objects().find_upload(id).await? {
            Some(upload) if upload.bucket_id == bucket.id => Ok(upload),
            _ => Err(ObjectError::NoSuchUpload),
        }
    }

    /// Stores one part; returns its ETag (MD5 hex). `QuotaExceeded` when the owner's
    /// objects and unfinished parts would pass their byte quota.
    pub async fn upload_part(
        &self,
        upload: &MultipartUpload,
        part_number: u32,
        body: ByteStream,
        content_md5: Option<[u8; 16]>,
    ) -> Result<String, ObjectError> {
        self.upload_part_sized(upload, part_number, body, content_md5, None)
            .await
    }

    /// [`ObjectStore::upload_part`] of a body whose length the client declared
    /// (`Content-Length`): a part the quota cannot take is refused before it is read.
    pub async fn upload_part_sized(
        &self,
        upload: &MultipartUpload,
        part_number: u32,
        body: ByteStream,
        content_md5: Option<[u8; 16]>,
        declared_size: Option<u64>,
    ) -> Result<String, ObjectError> {
        if !(1..=MAX_PART_NUMBER).contains(&part_number) {
            return Err(ObjectError::InvalidArgument(format!(
                "part number must be an integer between 1 and {MAX_PART_NUMBER}"
            )));
        }
        if let Some(size) = declared_size {
            self.check_room_for_part(upload, part_number, size).await?;
        }
        let written = self.blobs.write(body).await?;
        let blob = written.id.as_str().to_owned();
        if content_md5.is_some_and(|md5| md5 != written.md5) {
            self.release([blob]).await;
            return Err(ObjectError::BadDigest);
        }
        let etag = hex::encode(written.md5);
        let part = Part {
            upload_id: upload.id,
            part_number,
            blob: blob.clone(),
            size: written.size,
            etag: etag.clone(),
            modified_at: Timestamp::now(),
        };
        match self.store.objects().put_part(part).await {
            Ok(replaced) => {
                self.release(replaced).await;
                Ok(etag)
            }
            Err(error) => {
                self.release([blob]).await;
                Err(match error {
                    StoreError::MissingReference => ObjectError::NoSuchUpload,
                    StoreError::QuotaExceeded => ObjectError::QuotaExceeded,
                    other => other.into(),
                })
            }
        }
    }

    /// Parts above `after`, ascending, at most `limit`.
    pub async fn list_parts(
        &self,
        upload: &MultipartUpload,
        after: u32,
        limit: u32,
    ) -> Result<Vec<Part>, ObjectError> {
        Ok(self
            .store
            .objects()
            .list_parts(upload.id, after, limit)
            .await?)
    }

    /// Unfinished uploads under `prefix`, by key then id, after `(key, id)`.
    pub async fn list_uploads(
        &self,
        bucket: &Bucket,
        prefix: &str,
        after: Option<(&str, Uuid)>,
        limit: u32,
    ) -> Result<Vec<MultipartUpload>, ObjectError> {
        Ok(self
            .store
            .objects()
            .list_uploads(bucket.id, prefix, after, limit)
            .await?)
    }

    /// Validates `parts` against what was uploaded (ascending numbers, matching ETags,
    /// every part but the last at least the minimum size), composes the object and
    /// names it. ETag: MD5 of the parts' binary MD5s, `-<count>`.
    pub async fn complete_upload(
        &self,
        bucket: &Bucket,
        upload: &MultipartUpload,
        parts: &[CompletedPart],
    ) -> Result<ObjectInfo, ObjectError> {
        if parts.is_empty() {
            return Err(ObjectError::InvalidArgument(
                "you must specify at least one part".into(),
            ));
        }
        if parts
            .windows(2)
            .any(|w| w[0].part_number >= w[1].part_number)
        {
            return Err(ObjectError::InvalidPartOrder);
        }
        let mut stored = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .store
                .objects()
                .list_parts(upload.id, after, 1000)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.part_number;
            stored.extend(page);
        }
        let mut chosen = Vec::with_capacity(parts.len());
        for wanted in parts {
            let etag = wanted.etag.trim_matches('"');
            let part = stored
                .iter()
                .find(|p| p.part_number == wanted.part_number && p.etag == etag)
                .ok_or(ObjectError::InvalidPart)?;
            chosen.push(part);
        }
        let (_, all_but_last) = chosen.split_last().expect("parts is not empty");
        if all_but_last
            .iter()
            .any(|p| p.size < self.limits.min_part_size)
        {
            return Err(ObjectError::EntityTooSmall);
        }
        let mut md5s = Md5::new();
        for part in &chosen {
            let md5 = hex::decode(&part.etag)
                .map_err(|_| ObjectError::Internal(format!("stored part etag {}", part.etag)))?;
            md5s.update(md5);
        }
        let etag = format!("{}-{}", hex::encode(md5s.finalize()), chosen.len());
        let blobs = chosen
            .iter()
            .map(|p| BlobId::parse(&p.blob))
            .collect::<Result<Vec<_>, _>>()?;
        let written = self.blobs.compose(&blobs).await?;
        let blob = written.id.as_str().to_owned();
        let row = proxicloud_store::ObjectRow {
            bucket_id: bucket.id,
            key: upload.key.clone(),
            blob: blob.clone(),
            size: written.size,
            etag,
            headers: upload.headers.clone(),
            modified_at: Timestamp::now(),
        };
        match self
            .store
            .objects()
            .complete_upload(upload.id, row.clone())
            .await
        {
            Ok(freed) => {
                self.release(freed).await;
                ObjectInfo::from_row(&row)
            }
            Err(error) => {
                self.release([blob]).await;
                Err(match error {
                    StoreError::NotFound => ObjectError::NoSuchUpload,
                    StoreError::MissingReference => ObjectError::NoSuchBucket,
                    StoreError::QuotaExceeded => ObjectError::QuotaExceeded,
                    other => other.into(),
                })
            }
        }
    }

    pub async fn abort_upload(&self, upload: &MultipartUpload) -> Result<(), ObjectError> {
        match self.store.objects().abort_upload(upload.id).await {
            Ok(freed) => {
                self.release(freed).await;
                Ok(())
            }
            Err(StoreError::NotFound) => Err(ObjectError::NoSuchUpload),
            Err(other) => Err(other.into()),
        }
    }

    /// Aborts uploads idle since before `before` (no part stored since; abandoned);
    /// returns how many.
    pub async fn abort_stale_uploads(&self, before: Timestamp) -> Result<usize, ObjectError> {
        let mut aborted = 0;
        loop {
            let stale = self.store.objects().stale_uploads(before, 100).await?;
            if stale.is_empty() {
                return Ok(aborted);
            }
            for upload in &stale {
                match self.abort_upload(upload).await {
                    Ok(()) | Err(ObjectError::NoSuchUpload) => aborted += 1,
                    Err(other) => return Err(other),
                }
            }
        }
    }
}
