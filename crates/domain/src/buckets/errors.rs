//! The object store's errors as the API reports them. Someone else's bucket is "not
//! found", like any resource the caller may not see.

use proxicloud_objects::ObjectError;

use crate::error::DomainError;

pub(super) fn domain_error(error: ObjectError) -> DomainError {
    let bad = |code: &'static str, message: String| DomainError::BadRequest { code, message };
    match error {
        ObjectError::NoSuchBucket | ObjectError::AccessDenied => {
            DomainError::NotFound { resource: "bucket" }
        }
        ObjectError::NoSuchKey => DomainError::NotFound { resource: "object" },
        ObjectError::NoSuchUpload => DomainError::NotFound { resource: "upload" },
        ObjectError::BucketAlreadyExists => DomainError::conflict(
            "bucket_exists",
            "a bucket of that name exists (bucket names are unique across all users)",
        ),
        ObjectError::BucketAlreadyOwnedByYou => {
            DomainError::conflict("bucket_exists", "you already have a bucket of that name")
        }
        ObjectError::BucketNotEmpty => DomainError::conflict(
            "bucket_not_empty",
            "the bucket is not empty: delete its objects first",
        ),
        ObjectError::InvalidBucketName(why) => {
            DomainError::invalid("name", format!("invalid bucket name: {why}"))
        }
        ObjectError::InvalidKey(why) => DomainError::invalid("key", format!("invalid key: {why}")),
        error @ (ObjectError::InvalidPart
        | ObjectError::InvalidPartOrder
        | ObjectError::EntityTooSmall) => DomainError::invalid("parts", error.to_string()),
        error @ ObjectError::QuotaExceeded => DomainError::conflict(
            "quota_exceeded",
            format!("{error}: delete objects or ask an administrator for more"),
        ),
        error @ ObjectError::PreconditionFailed => {
            DomainError::conflict("precondition_failed", error.to_string())
        }
        error @ ObjectError::BadDigest => bad("bad_digest", error.to_string()),
        error @ ObjectError::InvalidRange => bad("invalid_range", error.to_string()),
        ObjectError::InvalidArgument(message) => bad("invalid_argument", message),
        error @ ObjectError::Body(_) => bad("incomplete_body", error.to_string()),
        error @ (ObjectError::BlobGone | ObjectError::Internal(_)) => {
            DomainError::Internal(error.to_string())
        }
    }
}
