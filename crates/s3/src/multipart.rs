//! Multipart uploads: create, upload part (and part copy), complete, abort, list
//! parts, list uploads.

use proxicloud_objects::CompletedPart as Completed;
use proxicloud_store::MultipartUpload as Upload;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};
use uuid::Uuid;

use crate::convert::{OrS3, body_in, content_md5, declared, etag, headers, timestamp};
use crate::service::ProxiS3;

fn part_number(number: i32) -> S3Result<u32> {
    u32::try_from(number)
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            )
        })
}

fn limit(requested: Option<i32>) -> u32 {
    requested.map_or(1000, |n| n.clamp(0, 1000) as u32)
}

impl ProxiS3 {
    async fn upload_of(
        &self,
        bucket: &proxicloud_store::Bucket,
        key: &str,
        id: &str,
    ) -> S3Result<Upload> {
        self.objects.upload(bucket, key, id).await.or_s3()
    }

    pub(crate) async fn create_multipart_upload_op(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let headers = headers(
            input.content_type,
            input.content_encoding,
            input.content_disposition,
            input.content_language,
            input.cache_control,
            input.expires,
            input.metadata,
        );
        let upload = self
            .objects
            .create_upload(&bucket, &input.key, &headers)
            .await
            .or_s3()?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(bucket.name),
            key: Some(upload.key),
            upload_id: Some(upload.id.to_string()),
            ..Default::default()
        }))
    }

    pub(crate) async fn upload_part_op(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let number = part_number(input.part_number)?;
        let upload = self
            .upload_of(&bucket, &input.key, &input.upload_id)
            .await?;
        let md5 = content_md5(input.content_md5.as_deref())?;
        let tag = self
            .objects
            .upload_part_sized(
                &upload,
                number,
                body_in(input.body),
                md5,
                declared(input.content_length),
            )
            .await
            .or_s3()?;
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(etag(&tag)),
            ..Default::default()
        }))
    }

    pub(crate) async fn upload_part_copy_op(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = &req.input;
        let number = part_number(input.part_number)?;
        let upload = self
            .upload_of(&bucket, &input.key, &input.upload_id)
            .await?;
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
        let range = match input.copy_source_range.as_deref() {
            Some(text) => {
                let range = Range::parse(text).map_err(|_| {
                    s3_error!(
                        InvalidArgument,
                        "The x-amz-copy-source-range value must be of the form bytes=first-last"
                    )
                })?;
                crate::objects::byte_range(Some(range))
            }
            None => None,
        };
        let got = self
            .objects
            .get_object(&source, &source_key, range)
            .await
            .or_s3()?;
        let tag = self
            .objects
            .upload_part(&upload, number, got.body, None)
            .await
            .or_s3()?;
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag(&tag)),
                last_modified: Some(timestamp(proxicloud_store::Timestamp::now())),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    pub(crate) async fn complete_multipart_upload_op(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let upload = self
            .upload_of(&bucket, &input.key, &input.upload_id)
            .await?;
        let parts = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                let number = p.part_number.ok_or_else(|| s3_error!(InvalidPart))?;
                Ok(Completed {
                    part_number: u32::try_from(number).map_err(|_| s3_error!(InvalidPart))?,
                    etag: p
                        .e_tag
                        .map(ETag::into_value)
                        .ok_or_else(|| s3_error!(InvalidPart))?,
                })
            })
            .collect::<S3Result<Vec<_>>>()?;
        if parts.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema"
            ));
        }
        let info = self
            .objects
            .complete_upload(&bucket, &upload, &parts)
            .await
            .or_s3()?;
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(bucket.name.clone()),
            key: Some(info.key.clone()),
            e_tag: Some(etag(&info.etag)),
            location: Some(format!("/{}/{}", bucket.name, info.key)),
            ..Default::default()
        }))
    }

    pub(crate) async fn abort_multipart_upload_op(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let upload = self
            .upload_of(&bucket, &req.input.key, &req.input.upload_id)
            .await?;
        self.objects.abort_upload(&upload).await.or_s3()?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    pub(crate) async fn list_parts_op(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let upload = self
            .upload_of(&bucket, &input.key, &input.upload_id)
            .await?;
        let max_parts = limit(input.max_parts);
        let marker = input.part_number_marker.unwrap_or(0).max(0) as u32;
        let mut parts = self
            .objects
            .list_parts(&upload, marker, max_parts + 1)
            .await
            .or_s3()?;
        let truncated = parts.len() > max_parts as usize;
        parts.truncate(max_parts as usize);
        let next = parts.last().map(|p| p.part_number as i32);
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(bucket.name),
            key: Some(upload.key),
            upload_id: Some(upload.id.to_string()),
            max_parts: Some(max_parts as i32),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: next,
            is_truncated: Some(truncated),
            parts: Some(
                parts
                    .into_iter()
                    .map(|p| Part {
                        part_number: Some(p.part_number as i32),
                        e_tag: Some(etag(&p.etag)),
                        size: Some(p.size as i64),
                        last_modified: Some(timestamp(p.modified_at)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }

    pub(crate) async fn list_multipart_uploads_op(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let max_uploads = limit(input.max_uploads);
        let prefix = input.prefix.clone().unwrap_or_default();
        let upload_marker = input
            .upload_id_marker
            .as_deref()
            .and_then(|id| Uuid::parse_str(id).ok());
        let after = input
            .key_marker
            .as_deref()
            .filter(|k| !k.is_empty())
            // Without an upload id marker, every upload of the key marker is passed.
            .map(|key| (key, upload_marker.unwrap_or(Uuid::max())));
        let mut uploads = self
            .objects
            .list_uploads(&bucket, &prefix, after, max_uploads + 1)
            .await
            .or_s3()?;
        let truncated = uploads.len() > max_uploads as usize;
        uploads.truncate(max_uploads as usize);
        let last = uploads.last().cloned();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(bucket.name),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            next_key_marker: last.as_ref().filter(|_| truncated).map(|u| u.key.clone()),
            next_upload_id_marker: last
                .as_ref()
                .filter(|_| truncated)
                .map(|u| u.id.to_string()),
            max_uploads: Some(max_uploads as i32),
            is_truncated: Some(truncated),
            uploads: Some(
                uploads
                    .into_iter()
                    .map(|u| MultipartUpload {
                        key: Some(u.key),
                        upload_id: Some(u.id.to_string()),
                        initiated: Some(timestamp(u.initiated_at)),
                        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }
}
