//! `/api/v1/buckets`: buckets and their objects as the console and the CLI see them
//! (the S3 endpoint serves the same buckets to S3 clients). Object keys travel in the
//! path as one percent-encoded segment (`a%2Fb.txt` for `a/b.txt`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketDto {
    /// Unique across all users (S3's DNS-compliant bucket names).
    pub name: String,
    pub owner_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// The objects' total size.
    pub size_bytes: u64,
    pub object_count: u64,
}

/// `POST /buckets`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateBucketRequest {
    /// 3–63 lower-case letters, digits, `.` and `-`, starting and ending with a
    /// letter or digit.
    pub name: String,
}

/// `GET /buckets/{bucket}/objects`: a folder view.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ObjectListQuery {
    /// Only keys that start with this (a folder: `photos/2024/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Roll keys up at this after the prefix (`/` gives folders); none: a flat list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// `next_cursor` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Entries (folders and objects together) per page, 1 to 1000 (default 1000).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectDto {
    pub key: String,
    pub size: u64,
    /// The MD5 in hex, or `<md5-of-md5s>-<parts>` after a multipart upload.
    pub etag: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_modified: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectListDto {
    pub prefix: String,
    /// The sub-folders: keys rolled up at the delimiter, each ending with it.
    pub common_prefixes: Vec<String>,
    pub objects: Vec<ObjectDto>,
    /// Pass back as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// `GET /buckets/{bucket}/objects/{key}/metadata`: what the object carries besides
/// its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectMetadataDto {
    pub key: String,
    pub size: u64,
    pub etag: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_modified: Timestamp,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    /// User metadata (`x-amz-meta-*`, names without the prefix).
    pub metadata: BTreeMap<String, String>,
}

/// `POST /buckets/{bucket}/delete-objects`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteObjectsRequest {
    /// 1 to 1000 keys.
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteObjectResultDto {
    pub key: String,
    /// `false` when there was no such object (not an error).
    pub deleted: bool,
    /// Why this key was not deleted; the others were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteObjectsResponse {
    /// One per requested key, in the request's order.
    pub results: Vec<DeleteObjectResultDto>,
}

/// `POST /buckets/{bucket}/objects/{key}/presign`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresignRequest {
    /// How long the URL works: 1 to 604800 seconds (7 days).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 604800))]
    pub expires_in_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresignedUrlDto {
    /// A GET URL of the S3 endpoint that anyone holding it may use until it expires.
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    /// The access key it is signed with: disabling or deleting it revokes the URL.
    pub access_key_id: String,
}

/// `POST /buckets/{bucket}/uploads`: start a multipart upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUploadRequest {
    pub key: String,
    /// The completed object's `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadDto {
    pub upload_id: Uuid,
    pub key: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub initiated_at: Timestamp,
}

/// A stored part, as `PUT …/parts/{part_number}` answers and complete takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartDto {
    /// 1 to 10000.
    pub part_number: u32,
    pub etag: String,
}

/// `POST /buckets/{bucket}/uploads/{upload_id}/complete`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteUploadRequest {
    /// Ascending part numbers; every part but the last at least 5 MiB.
    pub parts: Vec<PartDto>,
}
