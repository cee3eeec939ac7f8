//! [`BucketService`]: who may reach which bucket, and the bucket operations (list
//! with usage, get, create, delete when empty).

use std::sync::Arc;

use proxicloud_objects::{Access, ObjectStore};
use proxicloud_store::{Bucket, BucketUsage};

use super::S3Endpoint;
use super::errors::domain_error;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::s3keys::AccessKeyService;

const RESOURCE: &str = "bucket";
/// `limit` of a bucket page when none is given, and its bounds.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1000;

/// A bucket with what it holds.
#[derive(Debug, Clone)]
pub struct BucketSummary {
    pub bucket: Bucket,
    pub usage: BucketUsage,
}

#[derive(Debug, Clone, Default)]
pub struct BucketPage {
    pub items: Vec<BucketSummary>,
    /// The last name of this page when more follow.
    pub next_cursor: Option<String>,
}

pub struct BucketService {
    objects: Option<Arc<ObjectStore>>,
    pub(super) keys: Arc<AccessKeyService>,
    pub(super) s3_url: Option<String>,
    pub(super) region: String,
}

/// Whose buckets `caller` reaches: an admin's, all; anyone else's, their own.
fn access(caller: &Principal) -> Access {
    if caller.is_admin() {
        Access::Any
    } else {
        Access::Owner(caller.user_id)
    }
}

pub(super) fn page_limit(limit: Option<u32>, default: u32) -> DomainResult<u32> {
    match limit {
        None => Ok(default),
        Some(limit @ 1..=MAX_LIMIT) => Ok(limit),
        Some(_) => Err(DomainError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

impl BucketService {
    pub fn new(
        objects: Option<Arc<ObjectStore>>,
        keys: Arc<AccessKeyService>,
        endpoint: &S3Endpoint,
    ) -> Self {
        let region = if endpoint.region.is_empty() {
            "us-east-1".to_owned()
        } else {
            endpoint.region.clone()
        };
        Self {
            objects,
            keys,
            s3_url: endpoint.url.clone(),
            region,
        }
    }

    /// The object store, or `503 object_storage_off` when the server has none.
    pub(super) fn objects(&self) -> DomainResult<&ObjectStore> {
        self.objects
            .as_deref()
            .ok_or_else(|| DomainError::Unavailable {
                code: "object_storage_off",
                message: "this server has no object storage".to_owned(),
            })
    }

    /// The bucket `name` if `caller` may see it (else "bucket not found").
    pub async fn bucket_for(&self, caller: &Principal, name: &str) -> DomainResult<Bucket> {
        self.objects()?
            .bucket(access(caller), name)
            .await
            .map_err(domain_error)
    }

    /// The bucket `name` if `caller` may change it (readonly callers: 403 on their own).
    pub(super) async fn bucket_to_change(
        &self,
        caller: &Principal,
        name: &str,
    ) -> DomainResult<Bucket> {
        let bucket = self.bucket_for(caller, name).await?;
        caller.authorize_manage(Some(bucket.owner_id), RESOURCE)?;
        Ok(bucket)
    }

    /// The caller's buckets (everyone's for an admin) by name, after `cursor`.
    pub async fn list(
        &self,
        caller: &Principal,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> DomainResult<BucketPage> {
        let limit = page_limit(limit, DEFAULT_LIMIT)? as usize;
        let objects = self.objects()?;
        let buckets = objects
            .list_buckets(access(caller))
            .await
            .map_err(domain_error)?;
        let mut rest = buckets
            .into_iter()
            .filter(|b| cursor.is_none_or(|after| b.name.as_str() > after));
        let mut page = BucketPage::default();
        for bucket in rest.by_ref().take(limit) {
            page.items.push(self.summary(bucket).await?);
        }
        if rest.next().is_some() {
            page.next_cursor = page.items.last().map(|s| s.bucket.name.clone());
        }
        Ok(page)
    }

    pub async fn get(&self, caller: &Principal, name: &str) -> DomainResult<BucketSummary> {
        let bucket = self.bucket_for(caller, name).await?;
        self.summary(bucket).await
    }

    async fn summary(&self, bucket: Bucket) -> DomainResult<BucketSummary> {
        let usage = self
            .objects()?
            .bucket_usage(&bucket)
            .await
            .map_err(domain_error)?;
        Ok(BucketSummary { bucket, usage })
    }

    /// Same rules as S3's CreateBucket: DNS-compliant names, unique system-wide.
    pub async fn create(&self, caller: &Principal, name: &str) -> DomainResult<Bucket> {
        caller.require_create()?;
        self.objects()?
            .create_bucket(caller.user_id, name)
            .await
            .map_err(domain_error)
    }

    /// Only an empty bucket (`409 bucket_not_empty`).
    pub async fn delete(&self, caller: &Principal, name: &str) -> DomainResult<Bucket> {
        self.bucket_to_change(caller, name).await?;
        self.objects()?
            .delete_bucket(access(caller), name)
            .await
            .map_err(domain_error)
    }
}
