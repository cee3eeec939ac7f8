//! Objects: a folder view of a bucket (common prefixes and objects), download
//! (streamed, whole or a range), upload (streamed), metadata, delete one or many.

use proxicloud_objects::{ByteRange, GetObject, ListQuery, ObjectInfo, PutObject};

use super::errors::domain_error;
use super::service::{BucketService, page_limit};
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;

/// What an upload carries: its headers and streamed body (`PutObject` of the store).
pub type Upload = PutObject;
/// A download: the object's metadata and its bytes, streamed.
pub type Download = GetObject;

/// Entries of a folder page when no `limit` is given (S3's own default).
const DEFAULT_LIMIT: u32 = 1000;
/// Keys one multi-delete may name (S3's DeleteObjects limit).
pub const MAX_DELETE_KEYS: usize = 1000;

/// One page of a folder view.
#[derive(Debug, Clone, Default)]
pub struct ObjectPage {
    /// The "sub-folders": keys rolled up at the delimiter after the prefix.
    pub common_prefixes: Vec<String>,
    pub objects: Vec<ObjectInfo>,
    /// Where the next page starts (the last entry of this one) when more follow.
    pub next_cursor: Option<String>,
}

/// What happened to one key of a multi-delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteResult {
    pub key: String,
    /// `false`: there was no such object (nothing to do, not an error).
    pub deleted: bool,
    /// Why this key could not be deleted (the others still were).
    pub error: Option<String>,
}

impl BucketService {
    /// Keys under `prefix`, rolled up at `delimiter` (`/` gives folders), resuming
    /// after `cursor`.
    pub async fn list_objects(
        &self,
        caller: &Principal,
        bucket: &str,
        query: ListQuery,
        limit: Option<u32>,
    ) -> DomainResult<ObjectPage> {
        let bucket = self.bucket_for(caller, bucket).await?;
        let query = ListQuery {
            max_keys: page_limit(limit, DEFAULT_LIMIT)?,
            ..query
        };
        let page = self
            .objects()?
            .list_objects(&bucket, &query)
            .await
            .map_err(domain_error)?;
        Ok(ObjectPage {
            next_cursor: page.truncated.then_some(page.next_after).flatten(),
            common_prefixes: page.common_prefixes,
            objects: page.objects,
        })
    }

    pub async fn object_info(
        &self,
        caller: &Principal,
        bucket: &str,
        key: &str,
    ) -> DomainResult<ObjectInfo> {
        let bucket = self.bucket_for(caller, bucket).await?;
        self.objects()?
            .head_object(&bucket, key)
            .await
            .map_err(domain_error)
    }

    /// The object's bytes, streamed (never in memory); `range` resolved against its
    /// size (`400 invalid_range` when it cannot be).
    pub async fn download(
        &self,
        caller: &Principal,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
    ) -> DomainResult<Download> {
        let bucket = self.bucket_for(caller, bucket).await?;
        self.objects()?
            .get_object(&bucket, key, range)
            .await
            .map_err(domain_error)
    }

    /// Stores `upload` as `key`, replacing what was there; visible only once complete.
    pub async fn upload(
        &self,
        caller: &Principal,
        bucket: &str,
        key: &str,
        upload: Upload,
    ) -> DomainResult<ObjectInfo> {
        let bucket = self.bucket_to_change(caller, bucket).await?;
        self.objects()?
            .put_object(&bucket, key, upload)
            .await
            .map_err(domain_error)
    }

    /// `false` when there was no such object.
    pub async fn delete_object(
        &self,
        caller: &Principal,
        bucket: &str,
        key: &str,
    ) -> DomainResult<bool> {
        let bucket = self.bucket_to_change(caller, bucket).await?;
        self.objects()?
            .delete_object(&bucket, key)
            .await
            .map_err(domain_error)
    }

    /// Deletes each of `keys`; one failing does not stop the others.
    pub async fn delete_objects(
        &self,
        caller: &Principal,
        bucket: &str,
        keys: Vec<String>,
    ) -> DomainResult<Vec<DeleteResult>> {
        if keys.is_empty() || keys.len() > MAX_DELETE_KEYS {
            return Err(DomainError::invalid(
                "keys",
                format!("name 1 to {MAX_DELETE_KEYS} keys"),
            ));
        }
        let bucket = self.bucket_to_change(caller, bucket).await?;
        let objects = self.objects()?;
        let mut results = Vec::with_capacity(keys.len());
        for key in keys {
            let result = match objects.delete_object(&bucket, &key).await {
                Ok(deleted) => DeleteResult {
                    key,
                    deleted,
                    error: None,
                },
                Err(error) => {
                    tracing::warn!(%key, %error, "deleting an object failed");
                    DeleteResult {
                        key,
                        deleted: false,
                        error: Some("internal error".to_owned()),
                    }
                }
            };
            results.push(result);
        }
        Ok(results)
    }
}
