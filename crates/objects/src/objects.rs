//! Object operations: put, get (whole or a range), head, delete, copy.

use std::ops::Range;

use proxicloud_store::{Bucket, ObjectRow, PutCondition, Timestamp};

use crate::ObjectError;
use crate::blob::{BlobId, ByteStream, WrittenBlob};
use crate::headers::ObjectHeaders;
use crate::service::ObjectStore;

/// S3's longest key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// How often a read starts over when a concurrent write replaced the object between
/// its row and its blob being read (each retry sees the newer row).
const READ_ATTEMPTS: usize = 5;

pub struct PutObject {
    pub headers: ObjectHeaders,
    pub body: ByteStream,
    /// The `Content-MD5` the client sent, decoded; checked against the body.
    pub content_md5: Option<[u8; 16]>,
    /// The length the client declared (`Content-Length`), when it did: an object the
    /// owner's quota cannot take is refused before the body is read.
    pub declared_size: Option<u64>,
}

/// An object as clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// Without quotes: the MD5 in hex, or `<md5-of-md5s>-<parts>` after a multipart
    /// upload.
    pub etag: String,
    pub headers: ObjectHeaders,
    pub modified_at: Timestamp,
}

impl ObjectInfo {
    pub(crate) fn from_row(row: &ObjectRow) -> Result<Self, ObjectError> {
        Ok(Self {
            key: row.key.clone(),
            size: row.size,
            etag: row.etag.clone(),
            headers: ObjectHeaders::from_json(&row.headers)?,
            modified_at: row.modified_at,
        })
    }
}

/// An HTTP byte range as the client asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-` or `bytes=first-last` (inclusive).
    From { first: u64, last: Option<u64> },
    /// `bytes=-length`: the last `length` bytes.
    Suffix { length: u64 },
}

impl ByteRange {
    /// The half-open range within an object of `size` bytes, or `InvalidRange`.
    pub fn resolve(self, size: u64) -> Result<Range<u64>, ObjectError> {
        match self {
            ByteRange::From { first, last } => {
                if first >= size || last.is_some_and(|last| last < first) {
                    return Err(ObjectError::InvalidRange);
                }
                // `last` is the client's: never `last + 1`, which overflows at u64::MAX.
                let end = last.map_or(size, |last| last.min(size - 1) + 1);
                Ok(first..end)
            }
            ByteRange::Suffix { length } => {
                if length == 0 || size == 0 {
                    return Err(ObjectError::InvalidRange);
                }
                Ok(size.saturating_sub(length)..size)
            }
        }
    }
}

pub struct GetObject {
    pub info: ObjectInfo,
    pub body: ByteStream,
    /// The bytes sent, when a range was asked for.
    pub range: Option<Range<u64>>,
}

pub(crate) fn validate_key(key: &str) -> Result<(), ObjectError> {
    if key.is_empty() {
        return Err(ObjectError::InvalidKey("must not be empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(ObjectError::InvalidKey("must be at most 1024 bytes"));
    }
    Ok(())
}

/// What a conditional PUT requires of the object it replaces. Checked in the
/// transaction that names the new object (the row locked), so two concurrent
/// `If-None-Match: *` PUTs cannot both create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    Always,
    /// No object under the key.
    Absent,
    /// The object's ETag (without quotes) is this one.
    ETag(String),
}

impl WriteCondition {
    fn as_store(&self) -> PutCondition<'_> {
        match self {
            WriteCondition::Always => PutCondition::Always,
            WriteCondition::Absent => PutCondition::Absent,
            WriteCondition::ETag(etag) => PutCondition::ETag(etag),
        }
    }
}

impl ObjectStore {
    pub async fn put_object(
        &self,
        bucket: &Bucket,
        key: &str,
        put: PutObject,
    ) -> Result<ObjectInfo, ObjectError> {
        self.put_object_if(bucket, key, put, &WriteCondition::Always)
            .await
    }

    /// [`ObjectStore::put_object`] when `condition` holds as the object is named,
    /// else `PreconditionFailed` (the body written is released).
    pub async fn put_object_if(
        &self,
        bucket: &Bucket,
        key: &str,
        put: PutObject,
        condition: &WriteCondition,
    ) -> Result<ObjectInfo, ObjectError> {
        validate_key(key)?;
        let headers = put.headers.to_json()?;
        if let Some(size) = put.declared_size {
            self.check_room_for_object(bucket, key, size).await?;
        }
        let written = self.blobs.write(put.body).await?;
        if put.content_md5.is_some_and(|md5| md5 != written.md5) {
            self.release([written.id.as_str().to_owned()]).await;
            return Err(ObjectError::BadDigest);
        }
        let etag = hex::encode(written.md5);
        self.commit_object(bucket, key, written, etag, headers, condition)
            .await
    }

    /// Names a durable blob as `key` (replacing what was there, whose blob goes).
    pub(crate) async fn commit_object(
        &self,
        bucket: &Bucket,
        key: &str,
        written: WrittenBlob,
        etag: String,
        headers: String,
        condition: &WriteCondition,
    ) -> Result<ObjectInfo, ObjectError> {
        let row = ObjectRow {
            bucket_id: bucket.id,
            key: key.to_owned(),
            blob: written.id.as_str().to_owned(),
            size: written.size,
            etag,
            headers,
            modified_at: Timestamp::now(),
        };
        let put = self
            .store
            .objects()
            .put_object_if(row.clone(), condition.as_store());
        match put.await {
            Ok(replaced) => {
                self.release(replaced).await;
                ObjectInfo::from_row(&row)
            }
            Err(error) => {
                self.release([row.blob]).await;
                Err(match error {
                    proxicloud_store::StoreError::MissingReference => ObjectError::NoSuchBucket,
                    proxicloud_store::StoreError::QuotaExceeded => ObjectError::QuotaExceeded,
                    proxicloud_store::StoreError::Stale(_) => ObjectError::PreconditionFailed,
                    other => other.into(),
                })
            }
        }
    }

    pub async fn head_object(&self, bucket: &Bucket, key: &str) -> Result<ObjectInfo, ObjectError> {
        let row = self.object_row(bucket, key).await?;
        ObjectInfo::from_row(&row)
    }

    async fn object_row(&self, bucket: &Bucket, key: &str) -> Result<ObjectRow, ObjectError> {
        self.store
            .objects()
            .find_object(bucket.id, key)
            .await?
            .ok_or(ObjectError::NoSuchKey)
    }

    /// The object's bytes, streamed; `range` is resolved against its size.
    pub async fn get_object(
        &self,
        bucket: &Bucket,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<GetObject, ObjectError> {
        for _ in 0..READ_ATTEMPTS {
            let row = self.object_row(bucket, key).await?;
            let resolved = range.map(|r| r.resolve(row.size)).transpose()?;
            match self
                .blobs
                .read(&BlobId::parse(&row.blob)?, resolved.clone())
                .await
            {
                Ok(body) => {
                    return Ok(GetObject {
                        info: ObjectInfo::from_row(&row)?,
                        body,
                        range: resolved,
                    });
                }
                Err(ObjectError::BlobGone) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(ObjectError::Internal(format!(
            "{key} kept changing while it was read"
        )))
    }

    /// `true` when there was an object (S3 answers 204 either way).
    pub async fn delete_object(&self, bucket: &Bucket, key: &str) -> Result<bool, ObjectError> {
        let freed = self.store.objects().delete_object(bucket.id, key).await?;
        let existed = freed.is_some();
        self.release(freed).await;
        Ok(existed)
    }

    /// Copies `source_key` of `source` to `key` of `bucket`, with the source's headers
    /// or, when given, `headers` (S3's `x-amz-metadata-directive: REPLACE`).
    pub async fn copy_object(
        &self,
        source: &Bucket,
        source_key: &str,
        bucket: &Bucket,
        key: &str,
        headers: Option<ObjectHeaders>,
    ) -> Result<ObjectInfo, ObjectError> {
        validate_key(key)?;
        for _ in 0..READ_ATTEMPTS {
            let row = self.object_row(source, source_key).await?;
            let written = match self.blobs.compose(&[BlobId::parse(&row.blob)?]).await {
                Ok(written) => written,
                Err(ObjectError::BlobGone | ObjectError::Body(_)) => continue,
                Err(other) => return Err(other),
            };
            let headers = match &headers {
                Some(headers) => headers.to_json()?,
                None => row.headers.clone(),
            };
            // Like S3's CopyObject: the copy is one plain object, its ETag its MD5.
            let etag = hex::encode(written.md5);
            return self
                .commit_object(bucket, key, written, etag, headers, &WriteCondition::Always)
                .await;
        }
        Err(ObjectError::Internal(format!(
            "{source_key} kept changing while it was copied"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRange;

    #[test]
    fn ranges_resolve_like_http_says() {
        let from = |first, last| ByteRange::From { first, last };
        assert_eq!(from(0, Some(9)).resolve(100).unwrap(), 0..10);
        assert_eq!(from(90, None).resolve(100).unwrap(), 90..100);
        assert_eq!(from(90, Some(500)).resolve(100).unwrap(), 90..100);
        assert_eq!(from(0, Some(u64::MAX)).resolve(100).unwrap(), 0..100);
        assert!(from(100, None).resolve(100).is_err());
        assert!(from(5, Some(4)).resolve(100).is_err());
        assert_eq!(
            ByteRange::Suffix { length: 10 }.resolve(100).unwrap(),
            90..100
        );
        assert_eq!(
            ByteRange::Suffix { length: 500 }.resolve(100).unwrap(),
            0..100
        );
        assert!(ByteRange::Suffix { length: 0 }.resolve(100).is_err());
        assert!(from(0, None).resolve(0).is_err());
    }
}
