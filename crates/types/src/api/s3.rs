//! `/api/v1/s3/access-keys`: per-user S3 access keys. The secret access key is in the
//! response that creates the key, and nowhere else.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessKeyDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// What S3 clients send as their access key id (`aws_access_key_id`).
    pub access_key_id: String,
    /// A disabled key is refused by the S3 endpoint (`InvalidAccessKeyId`).
    pub disabled: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// `POST /s3/access-keys`: the new key with its secret, shown this once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedAccessKeyDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub access_key_id: String,
    /// `aws_secret_access_key`: store it now, it is not shown again.
    pub secret_access_key: String,
    pub disabled: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// Never prints the secret (it would end up in logs).
impl std::fmt::Debug for CreatedAccessKeyDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedAccessKeyDto")
            .field("id", &self.id)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// `PATCH /s3/access-keys/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAccessKeyRequest {
    pub disabled: bool,
}

/// `GET|PUT /s3/quotas/{id}`: a user's object storage quota and usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct S3QuotaDto {
    pub user_id: Uuid,
    /// The most bytes the user may store in all their buckets; `null`: no limit.
    pub max_bytes: Option<u64>,
    /// The most objects; `null`: no limit.
    pub max_objects: Option<u64>,
    pub used_bytes: u64,
    pub used_objects: u64,
}

/// `PUT /s3/quotas/{id}`: the new limits (`null` or absent: no limit). Writes
/// past them are refused (S3 `QuotaExceeded`, 403); nothing stored is deleted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetS3QuotaRequest {
    #[serde(default)]
    pub max_bytes: Option<u64>,
    #[serde(default)]
    pub max_objects: Option<u64>,
}
