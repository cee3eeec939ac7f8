//! [`ObjectError`]: every way an object-store operation fails, named after the S3
//! error code it becomes (the `s3` crate maps each to its code and status; the REST
//! API to its JSON error).

use proxicloud_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("the specified bucket does not exist")]
    NoSuchBucket,
    #[error("the specified key does not exist")]
    NoSuchKey,
    #[error("the specified multipart upload does not exist")]
    NoSuchUpload,
    /// Someone else's bucket.
    #[error("access denied")]
    AccessDenied,
    #[error("the requested bucket name is not available")]
    BucketAlreadyExists,
    #[error("you already own a bucket of that name")]
    BucketAlreadyOwnedByYou,
    #[error("the bucket you tried to delete is not empty")]
    BucketNotEmpty,
    #[error("invalid bucket name: {0}")]
    InvalidBucketName(&'static str),
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The body's MD5 is not the `Content-MD5` sent with it.
    #[error("the Content-MD5 you specified did not match what we received")]
    BadDigest,
    #[error("the requested range is not satisfiable")]
    InvalidRange,
    #[error("one or more of the specified parts could not be found or its ETag does not match")]
    InvalidPart,
    #[error("the list of parts was not in ascending order")]
    InvalidPartOrder,
    #[error("your proposed upload is smaller than the minimum allowed size")]
    EntityTooSmall,
    #[error("{0}")]
    InvalidArgument(String),
    /// A conditional write's condition did not hold when the object was named.
    #[error("at least one of the pre-conditions you specified did not hold")]
    PreconditionFailed,
    /// The write would take the bucket's owner past their quota (bytes or objects).
    #[error("the bucket owner's storage quota would be exceeded")]
    QuotaExceeded,
    /// The request body failed while it was read (client gone, signature of a chunk).
    #[error("reading the request body failed: {0}")]
    Body(#[source] std::io::Error),
    /// A blob a row named is gone: a concurrent write replaced the object between the
    /// row read and the blob open. Retried internally; never reaches a client.
    #[error("the object changed while it was read")]
    BlobGone,
    /// A store or disk failure. Its text is for logs, not for clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ObjectError {
    fn from(error: StoreError) -> Self {
        ObjectError::Internal(error.to_string())
    }
}
