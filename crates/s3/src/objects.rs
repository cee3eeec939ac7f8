//! Object operations: put, get, head, delete, multi-delete, copy.

use proxicloud_objects::{Access, ByteRange, ObjectInfo, PutObject, WriteCondition};
use proxicloud_store::Bucket;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use crate::auth::caller;
use crate::convert::{
    Conditions, OrS3, body_in, body_out, content_md5, declared, etag, expires, headers, metadata,
    timestamp,
};
use crate::service::ProxiS3;

pub(crate) fn byte_range(range: Option<Range>) -> Option<ByteRange> {
    range.map(|range| match range {
        Range::Int { first, last } => ByteRange::From { first, last },
        Range::Suffix { length } => ByteRange::Suffix { length },
    })
}

impl ProxiS3 {
    pub(crate) async fn owned_bucket<T>(&self, req: &S3Request<T>, name: &str) -> S3Result<Bucket> {
        let owner = caller(req)?;
        self.objects
            .bucket(Access::Owner(owner), name)
            .await
            .or_s3()
    }

    pub(crate) async fn put_object_op(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        // Conditional writes: `If-None-Match: *` creates only; `If-Match` replaces only
        // that version. Checked before the upload (a refusal costs no body) and again
        // in the transaction naming the object, so a racing writer cannot slip in.
        if input.if_none_match.is_some() || input.if_match.is_some() {
            let existing = match self.objects.head_object(&bucket, &input.key).await {
                Ok(info) => Some(info),
                Err(proxicloud_objects::ObjectError::NoSuchKey) => None,
                Err(other) => return Err(crate::convert::s3_error(other)),
            };
            let refused = match (&input.if_none_match, &input.if_match, &existing) {
                (Some(_), _, Some(_)) => true,
                (_, Some(condition), Some(info)) => match condition {
                    ETagCondition::Any => false,
                    ETagCondition::ETag(tag) => tag.value() != info.etag,
                },
                (_, Some(_), None) => return Err(s3_error!(NoSuchKey)),
                _ => false,
            };
            if refused {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
        let put = PutObject {
            content_md5: content_md5(input.content_md5.as_deref())?,
            headers: headers(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.expires,
                input.metadata,
            ),
            body: body_in(input.body),
            declared_size: declared(input.content_length),
        };
        let condition = match (&input.if_none_match, &input.if_match) {
            (Some(_), _) => WriteCondition::Absent,
            (None, Some(ETagCondition::ETag(tag))) => WriteCondition::ETag(tag.value().to_owned()),
            _ => WriteCondition::Always,
        };
        let info = self
            .objects
            .put_object_if(&bucket, &input.key, put, &condition)
            .await
            .or_s3()?;
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(etag(&info.etag)),
            size: Some(info.size as i64),
            ..Default::default()
        }))
    }

    pub(crate) async fn get_object_op(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        if input.part_number.is_some() {
            return Err(s3_error!(
                NotImplemented,
                "GET by part number is not supported"
            ));
        }
        let head = self
            .objects
            .head_object(&bucket, &input.key)
            .await
            .or_s3()?;
        Conditions {
            if_match: input.if_match.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
        }
        .check(&head)?;
        let got = self
            .objects
            .get_object(&bucket, &input.key, byte_range(input.range))
            .await
            .or_s3()?;
        let info = &got.info;
        let (length, content_range) = served(got.range.clone(), info.size);
        let h = &info.headers;
        let output = GetObjectOutput {
            body: Some(body_out(got.body)),
            accept_ranges: Some("bytes".into()),
            content_length: Some(length as i64),
            content_range,
            e_tag: Some(etag(&info.etag)),
            last_modified: Some(timestamp(info.modified_at)),
            content_type: input
                .response_content_type
                .or_else(|| h.content_type.clone()),
            content_encoding: input
                .response_content_encoding
                .or_else(|| h.content_encoding.clone()),
            content_disposition: input
                .response_content_disposition
                .or_else(|| h.content_disposition.clone()),
            content_language: input
                .response_content_language
                .or_else(|| h.content_language.clone()),
            cache_control: input
                .response_cache_control
                .or_else(|| h.cache_control.clone()),
            expires: input.response_expires.or_else(|| expires(h)),
            metadata: metadata(h),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    pub(crate) async fn head_object_op(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let info = self
            .objects
            .head_object(&bucket, &input.key)
            .await
            .or_s3()?;
        Conditions {
            if_match: input.if_match.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
        }
        .check(&info)?;
        let range = byte_range(input.range)
            .map(|range| range.resolve(info.size))
            .transpose()
            .or_s3()?;
        let (length, content_range) = served(range, info.size);
        let h = &info.headers;
        Ok(S3Response::new(HeadObjectOutput {
            accept_ranges: Some("bytes".into()),
            content_length: Some(length as i64),
            content_range,
            e_tag: Some(etag(&info.etag)),
            last_modified: Some(timestamp(info.modified_at)),
            content_type: h.content_type.clone(),
            content_encoding: h.content_encoding.clone(),
            content_disposition: h.content_disposition.clone(),
            content_language: h.content_language.clone(),
            cache_control: h.cache_control.clone(),
            expires: expires(h),
            metadata: metadata(h),
            ..Default::default()
        }))
    }

    pub(crate) async fn delete_object_op(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        self.objects
            .delete_object(&bucket, &req.input.key)
            .await
            .or_s3()?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    pub(crate) async fn delete_objects_op(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let quiet = req.input.delete.quiet.unwrap_or(false);
        if req.input.delete.objects.len() > 1000 {
            return Err(s3_error!(MalformedXML, "at most 1000 keys per request"));
        }
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for object in req.input.delete.objects {
            match self.objects.delete_object(&bucket, &object.key).await {
                Ok(_) if quiet => {}
                Ok(_) => deleted.push(DeletedObject {
                    key: Some(object.key),
                    ..Default::default()
                }),
                Err(error) => {
                    let error = crate::convert::s3_error(error);
                    errors.push(Error {
                        code: Some(error.code().as_str().to_owned()),
                        key: Some(object.key),
                        message: error.message().map(str::to_owned),
                        version_id: None,
                    });
                }
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            request_charged: None,
        }))
    }

    pub(crate) async fn copy_object_op(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = &req.input;
        let conditions = crate::convert::Conditions {
            if_match: input.copy_source_if_match.as_ref(),
            if_none_match: input.copy_source_if_none_match.as_ref(),
            if_modified_since: input.copy_source_if_modified_since.as_ref(),
            if_unmodified_since: input.copy_source_if_unmodified_since.as_ref(),
        };
        let (source, source_key) = self
            .copy_source_object(&req, &input.copy_source, conditions)
            .await?;
        let input = req.input;
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
        if !replace && source.id == bucket.id && source_key == input.key {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself \
                 without changing the object's metadata, storage class, website redirect \
                 location or encryption attributes."
            ));
        }
        let new_headers = replace.then(|| {
            headers(
                input.content_type,
                input.content_encoding,
                input.content_disposition,
                input.content_language,
                input.cache_control,
                input.expires,
                input.metadata,
            )
        });
        let info = self
            .objects
            .copy_object(&source, &source_key, &bucket, &input.key, new_headers)
            .await
            .or_s3()?;
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag(&info.etag)),
                last_modified: Some(timestamp(info.modified_at)),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }
}

impl ProxiS3 {
    /// The source of a copy (CopyObject and UploadPartCopy alike): `x-amz-copy-source`
    /// as a bucket the caller owns and a key, whose object exists and meets the
    /// `x-amz-copy-source-if-*` conditions.
    pub(crate) async fn copy_source_object<T>(
        &self,
        req: &S3Request<T>,
        source: &CopySource,
        conditions: crate::convert::Conditions<'_>,
    ) -> S3Result<(Bucket, String)> {
        // Access points are not ours.
        let CopySource::Bucket { bucket, key, .. } = source else {
            return Err(s3_error!(InvalidArgument, "Invalid copy source"));
        };
        let bucket = self.owned_bucket(req, bucket).await?;
        let info = self.objects.head_object(&bucket, key).await.or_s3()?;
        copy_conditions(&info, conditions)?;
        Ok((bucket, key.to_string()))
    }
}

/// `x-amz-copy-source-if-*`: any failure is 412 (S3 answers no 304 to a copy).
fn copy_conditions(
    source: &ObjectInfo,
    conditions: crate::convert::Conditions<'_>,
) -> S3Result<()> {
    match conditions.check(source) {
        Err(error) if *error.code() == s3s::S3ErrorCode::NotModified => Err(s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        )),
        other => other,
    }
}

/// The length served and its `Content-Range` for a (resolved) range of an object of
/// `size` bytes, or the whole object.
fn served(range: Option<std::ops::Range<u64>>, size: u64) -> (u64, Option<String>) {
    match range {
        Some(range) => (
            range.end - range.start,
            Some(format!("bytes {}-{}/{size}", range.start, range.end - 1)),
        ),
        None => (size, None),
    }
}
