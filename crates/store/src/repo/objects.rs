//! Buckets, objects and multipart uploads: the metadata of the object store. The
//! data is in blobs (the `objects` crate); a row names its blob by an opaque string.
//!
//! Writes that drop a row also hand back the blobs nobody references any more, so
//! the caller deletes them *after* the commit: a crash in between leaves an orphan
//! blob (removed by the start-up sweep), never a row without its data.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{Result, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub id: Uuid,
    /// Unique system-wide ([`constraints::BUCKET_NAME`](crate::constraints::BUCKET_NAME)).
    pub name: String,
    pub owner_id: Uuid,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketUsage {
    pub objects: u64,
    pub bytes: u64,
}

/// One object's metadata. `headers` is opaque to the store (JSON the domain writes:
/// content headers and user metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRow {
    pub bucket_id: Uuid,
    pub key: String,
    pub blob: String,
    pub size: u64,
    pub etag: String,
    pub headers: String,
    pub modified_at: Timestamp,
}

/// What must hold of the object a write replaces, checked with its row locked (S3's
/// conditional writes: two concurrent `If-None-Match: *` PUTs cannot both create).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutCondition<'a> {
    Always,
    /// There is no object under the key (`If-None-Match: *`).
    Absent,
    /// There is one with this ETag, as stored (`If-Match`).
    ETag(&'a str),
}

/// A user's object storage limits; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    pub max_bytes: Option<u64>,
    pub max_objects: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartUpload {
    pub id: Uuid,
    pub bucket_id: Uuid,
    pub key: String,
    /// The headers the completed object will carry (given at creation).
    pub headers: String,
    pub initiated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub upload_id: Uuid,
    pub part_number: u32,
    pub blob: String,
    pub size: u64,
    pub etag: String,
    pub modified_at: Timestamp,
}

/// What [`ObjectRepo::list_objects`] reads: keys under `prefix`, after `after`
/// (exclusive), in UTF-8 byte order.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectRange<'a> {
    pub prefix: &'a str,
    pub after: Option<&'a str>,
    pub limit: u32,
}

#[async_trait]
pub trait ObjectRepo: Send + Sync {
    /// `Conflict { BUCKET_NAME }` when the name is taken by anyone.
    async fn create_bucket(&self, name: &str, owner_id: Uuid) -> Result<Bucket>;
    async fn find_bucket(&self, name: &str) -> Result<Option<Bucket>>;
    /// One owner's buckets, or everyone's (`None`), by name.
    async fn list_buckets(&self, owner_id: Option<Uuid>) -> Result<Vec<Bucket>>;
    /// `Stale("bucket not empty")` while it holds objects. Unfinished multipart
    /// uploads go with it: their parts' blobs are returned.
    async fn delete_bucket(&self, id: Uuid) -> Result<Vec<String>>;
    async fn bucket_usage(&self, id: Uuid) -> Result<BucketUsage>;
    /// The usage of every bucket of an owner together (quotas): kept in a row updated
    /// with every object written or deleted, not summed.
    async fn owner_usage(&self, owner_id: Uuid) -> Result<BucketUsage>;
    /// Whether the owner of `bucket_id` has room for `bytes` more bytes (negative:
    /// fewer) and `objects` more objects under their quota, counting the parts of
    /// unfinished uploads. Read without a lock: for refusing an upload *before* its
    /// body is received; the write itself is checked again when it commits.
    async fn has_room(&self, bucket_id: Uuid, bytes: i64, objects: i64) -> Result<bool>;
    /// A user's quota (unlimited when none was set).
    async fn quota(&self, owner_id: Uuid) -> Result<Quota>;
    /// Sets (replaces) a user's quota; `MissingReference` when the user is gone.
    /// Lowering it below the usage refuses further writes, deletes nothing.
    async fn set_quota(&self, owner_id: Uuid, quota: Quota) -> Result<()>;

    /// Inserts or replaces `(bucket_id, key)`; returns the replaced object's blob.
    /// `MissingReference` when the bucket is gone; `QuotaExceeded` when the bucket's
    /// owner would have more bytes or objects than their [`Quota`] (checked with the
    /// quota row locked: concurrent writers of one owner cannot both pass its limit).
    async fn put_object(&self, object: ObjectRow) -> Result<Option<String>> {
        self.put_object_if(object, PutCondition::Always).await
    }
    /// [`ObjectRepo::put_object`] when `condition` holds, else `Stale("precondition
    /// failed")`.
    async fn put_object_if(
        &self,
        object: ObjectRow,
        condition: PutCondition<'_>,
    ) -> Result<Option<String>>;
    async fn find_object(&self, bucket_id: Uuid, key: &str) -> Result<Option<ObjectRow>>;
    /// The deleted object's blob; `None` when there was no such object.
    async fn delete_object(&self, bucket_id: Uuid, key: &str) -> Result<Option<String>>;
    async fn list_objects(&self, bucket_id: Uuid, range: ObjectRange<'_>)
    -> Result<Vec<ObjectRow>>;

    async fn create_upload(
        &self,
        bucket_id: Uuid,
        key: &str,
        headers: &str,
    ) -> Result<MultipartUpload>;
    async fn find_upload(&self, id: Uuid) -> Result<Option<MultipartUpload>>;
    /// Unfinished uploads under `prefix`, by key then id, after `(key, id)`.
    async fn list_uploads(
        &self,
        bucket_id: Uuid,
        prefix: &str,
        after: Option<(&str, Uuid)>,
        limit: u32,
    ) -> Result<Vec<MultipartUpload>>;
    /// Uploads idle since before `before` — their last part stored then, or, without
    /// parts, started then (abandoned-upload clean-up) —, longest idle first.
    async fn stale_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<MultipartUpload>>;
    /// Inserts or replaces a part; returns the replaced part's blob.
    /// `MissingReference` when the upload is gone (aborted or completed);
    /// `QuotaExceeded` when the owner's objects and unfinished parts would pass their
    /// byte quota (parts count toward it until completed or aborted).
    async fn put_part(&self, part: Part) -> Result<Option<String>>;
    /// Parts with numbers above `after`, ascending.
    async fn list_parts(&self, upload_id: Uuid, after: u32, limit: u32) -> Result<Vec<Part>>;
    /// In one transaction: stores `object` (its blob made from the parts) and drops
    /// the upload with every part. Returns the blobs no longer referenced: the parts'
    /// and the replaced object's. `NotFound` when the upload is gone; `QuotaExceeded`
    /// like [`ObjectRepo::put_object`].
    async fn complete_upload(&self, upload_id: Uuid, object: ObjectRow) -> Result<Vec<String>>;
    /// Drops the upload; returns its parts' blobs. `NotFound` when it is gone.
    async fn abort_upload(&self, upload_id: Uuid) -> Result<Vec<String>>;

    /// Those of `blobs` that an object or a part references (the orphan sweep).
    async fn referenced_blobs(&self, blobs: &[String]) -> Result<Vec<String>>;
}
