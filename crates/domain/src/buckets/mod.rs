//! Buckets and objects through the REST API (`/api/v1/buckets`): the console's and
//! the CLI's way to the object store the S3 endpoint serves. Every operation is
//! `proxicloud_objects::ObjectStore`'s own (the one place bucket and object rules
//! live); this feature adds who may do it — a bucket belongs to its creator;
//! readonly and operator callers reach only their own (someone else's is "not
//! found"), readonly ones only to read; admins reach all — and presigned S3 URLs.
//!
//! Adding an operation: a method on [`BucketService`] in the file of its family
//! (`service.rs` buckets, `objects.rs`, `uploads.rs` multipart, `presign.rs`), going
//! through [`BucketService::bucket_for`] so ownership is checked in one place.

mod errors;
mod objects;
mod presign;
mod service;
mod uploads;

pub use objects::{DeleteResult, Download, MAX_DELETE_KEYS, ObjectPage, Upload};
pub use presign::{MAX_PRESIGN_EXPIRY, PresignedUrl};
/// The object store's types the API and the CLI use with this service.
pub use proxicloud_objects::{
    ByteRange, ByteStream, CompletedPart, ListQuery, ObjectHeaders, ObjectInfo,
};
pub use service::{BucketPage, BucketService, BucketSummary};

use std::sync::Arc;

use proxicloud_objects::ObjectStore;

use crate::app::{Platform, Registry};
use crate::s3keys::AccessKeyService;

/// The S3 endpoint as clients reach it, for presigned URLs.
#[derive(Debug, Clone, Default)]
pub struct S3Endpoint {
    /// Its base URL (`http://host:9000`); `None` when S3 is not served.
    pub url: Option<String>,
    /// What presigned URLs are signed for (empty: `us-east-1`).
    pub region: String,
}

/// Provides [`BucketService`] (after `objects`, which provides the store when the
/// application has one, and `s3keys`, whose keys sign presigned URLs).
pub fn register(registry: &mut Registry, platform: &Platform) {
    let objects = platform
        .config
        .objects
        .blobs
        .is_some()
        .then(|| registry.get::<ObjectStore>());
    registry.provide(Arc::new(BucketService::new(
        objects,
        registry.get::<AccessKeyService>(),
        &platform.config.s3_endpoint,
    )));
}
