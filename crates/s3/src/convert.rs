//! Between s3s's types and the object store's: errors, bodies, times, headers, ETags
//! and the conditional-request rules.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures_util::TryStreamExt;
use proxicloud_objects::{ByteStream, ObjectError, ObjectHeaders, ObjectInfo};
use s3s::dto::{ETag, ETagCondition, Metadata, StreamingBlob, Timestamp, TimestampFormat};
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};

/// The AWS error an object-store failure is. Internal failures are logged here and
/// reach the client as a bare `InternalError`.
pub(crate) fn s3_error(error: ObjectError) -> S3Error {
    use S3ErrorCode as C;
    let code = match &error {
        ObjectError::NoSuchBucket => C::NoSuchBucket,
        ObjectError::NoSuchKey => C::NoSuchKey,
        ObjectError::NoSuchUpload => C::NoSuchUpload,
        ObjectError::AccessDenied => C::AccessDenied,
        ObjectError::BucketAlreadyExists => C::BucketAlreadyExists,
        ObjectError::BucketAlreadyOwnedByYou => C::BucketAlreadyOwnedByYou,
        ObjectError::BucketNotEmpty => C::BucketNotEmpty,
        ObjectError::InvalidBucketName(_) => C::InvalidBucketName,
        ObjectError::InvalidKey(_) if error.to_string().contains("1024") => C::KeyTooLongError,
        ObjectError::InvalidKey(_) | ObjectError::InvalidArgument(_) => C::InvalidArgument,
        ObjectError::BadDigest => C::BadDigest,
        ObjectError::InvalidRange => C::InvalidRange,
        ObjectError::InvalidPart => C::InvalidPart,
        ObjectError::InvalidPartOrder => C::InvalidPartOrder,
        ObjectError::EntityTooSmall => C::EntityTooSmall,
        ObjectError::Body(_) => C::IncompleteBody,
        ObjectError::PreconditionFailed => C::PreconditionFailed,
        // S3 has no quotas; MinIO answers a full bucket quota with 403 and its own
        // code. Ours names what happened, with the same status.
        ObjectError::QuotaExceeded => {
            let mut refused =
                S3Error::with_message(C::Custom("QuotaExceeded".into()), error.to_string());
            refused.set_status_code(hyper::StatusCode::FORBIDDEN);
            return refused;
        }
        ObjectError::BlobGone | ObjectError::Internal(_) => {
            tracing::error!(%error, "S3 request failed");
            return S3Error::new(C::InternalError);
        }
    };
    S3Error::with_message(code, error.to_string())
}

pub(crate) trait OrS3<T> {
    fn or_s3(self) -> S3Result<T>;
}

impl<T> OrS3<T> for Result<T, ObjectError> {
    fn or_s3(self) -> S3Result<T> {
        self.map_err(s3_error)
    }
}

/// A request body as the object store reads it (an absent body is empty).
pub(crate) fn body_in(body: Option<StreamingBlob>) -> ByteStream {
    match body {
        Some(body) => Box::pin(body.map_err(std::io::Error::other)),
        None => Box::pin(futures_util::stream::empty::<std::io::Result<Bytes>>()),
    }
}

/// The body's length as the client declared it (`Content-Length`; s3s puts the
/// decoded length there for `aws-chunked` bodies), for refusing what the quota cannot
/// take before reading it.
pub(crate) fn declared(content_length: Option<i64>) -> Option<u64> {
    content_length.and_then(|length| u64::try_from(length).ok())
}

pub(crate) fn body_out(body: ByteStream) -> StreamingBlob {
    StreamingBlob::wrap(body)
}

pub(crate) fn timestamp(time: proxicloud_store::Timestamp) -> Timestamp {
    Timestamp::from(time.as_datetime())
}

/// Second precision, as `Last-Modified` carries it (comparisons with the
/// `If-*-Since` dates a client copied from it must not trip on microseconds).
fn whole_seconds(time: proxicloud_store::Timestamp) -> i64 {
    time.as_datetime().unix_timestamp()
}

fn unix(time: &Timestamp) -> i64 {
    time::OffsetDateTime::from(time.clone()).unix_timestamp()
}

pub(crate) fn etag(value: &str) -> ETag {
    ETag::Strong(value.to_owned())
}

/// `Content-MD5` (base64 of the 16 bytes), or `InvalidDigest`.
pub(crate) fn content_md5(header: Option<&str>) -> S3Result<Option<[u8; 16]>> {
    use base64::Engine;
    let Some(header) = header else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .ok()
        .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
        .map(Some)
        .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified is not valid."))
}

/// What a PUT, a copy with `REPLACE` or a multipart create stores with the object.
#[allow(clippy::too_many_arguments)]
pub(crate) fn headers(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<Timestamp>,
    metadata: Option<Metadata>,
) -> ObjectHeaders {
    let expires = expires.and_then(|t| {
        let mut out = Vec::new();
        t.format(TimestampFormat::HttpDate, &mut out).ok()?;
        String::from_utf8(out).ok()
    });
    ObjectHeaders {
        content_type,
        content_encoding,
        content_disposition,
        content_language,
        cache_control,
        expires,
        metadata: metadata
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect::<BTreeMap<_, _>>(),
    }
}

pub(crate) fn expires(headers: &ObjectHeaders) -> Option<Timestamp> {
    let text = headers.expires.as_deref()?;
    Timestamp::parse(TimestampFormat::HttpDate, text).ok()
}

pub(crate) fn metadata(headers: &ObjectHeaders) -> Option<Metadata> {
    (!headers.metadata.is_empty()).then(|| headers.metadata.clone().into_iter().collect())
}

fn matches(condition: &ETagCondition, etag: &str) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(tag) => tag.value() == etag,
    }
}

/// The preconditions of a read (RFC 9110 §13.2.2, as S3 applies them): a failed
/// `If-Match` / `If-Unmodified-Since` is `412 PreconditionFailed`; a matching
/// `If-None-Match` / unmodified `If-Modified-Since` is `304 Not Modified`.
pub(crate) struct Conditions<'a> {
    pub if_match: Option<&'a ETagCondition>,
    pub if_none_match: Option<&'a ETagCondition>,
    pub if_modified_since: Option<&'a Timestamp>,
    pub if_unmodified_since: Option<&'a Timestamp>,
}

impl Conditions<'_> {
    pub(crate) fn check(&self, object: &ObjectInfo) -> S3Result<()> {
        let modified = whole_seconds(object.modified_at);
        let failed = match self.if_match {
            Some(condition) => !matches(condition, &object.etag),
            None => self
                .if_unmodified_since
                .is_some_and(|since| modified > unix(since)),
        };
        if failed {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            ));
        }
        let unchanged = match self.if_none_match {
            Some(condition) => matches(condition, &object.etag),
            None => self
                .if_modified_since
                .is_some_and(|since| modified <= unix(since)),
        };
        if unchanged {
            let mut error = S3Error::new(S3ErrorCode::NotModified);
            let mut headers = hyper::HeaderMap::new();
            if let Ok(value) = format!("\"{}\"", object.etag).parse() {
                headers.insert(hyper::header::ETAG, value);
            }
            error.set_headers(headers);
            return Err(error);
        }
        Ok(())
    }
}
