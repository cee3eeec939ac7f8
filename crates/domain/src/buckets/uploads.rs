//! Multipart uploads through the API, so the console uploads big files in parts and
//! resumes after a network blip by sending the failed part again: create, upload a
//! part, complete, abort. The rules (part sizes, order, ETags) are the store's.

use proxicloud_objects::{ByteStream, CompletedPart, ObjectHeaders, ObjectInfo};
use proxicloud_store::MultipartUpload;

use super::errors::domain_error;
use super::service::BucketService;
use crate::error::DomainResult;
use crate::iam::Principal;

impl BucketService {
    /// A new upload of `key`; the object carries `headers` once completed.
    pub async fn create_upload(
        &self,
        caller: &Principal,
        bucket: &str,
        key: &str,
        headers: &ObjectHeaders,
    ) -> DomainResult<MultipartUpload> {
        let bucket = self.bucket_to_change(caller, bucket).await?;
        self.objects()?
            .create_upload(&bucket, key, headers)
            .await
            .map_err(domain_error)
    }

    /// Stores part `part_number` (sending it again replaces it); returns its ETag.
    pub async fn upload_part(
        &self,
        caller: &Principal,
        bucket: &str,
        upload_id: &str,
        part_number: u32,
        body: ByteStream,
    ) -> DomainResult<String> {
        let bucket = self.bucket_to_change(caller, bucket).await?;
        let objects = self.objects()?;
        let upload = objects
            .upload_in_bucket(&bucket, upload_id)
            .await
            .map_err(domain_error)?;
        objects
            .upload_part(&upload, part_number, body, None)
            .await
            .map_err(domain_error)
    }

    /// Joins `parts` (ascending, with the ETags their uploads returned) into the
    /// object.
    pub async fn complete_upload(
        &self,
        caller: &Principal,
        bucket: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> DomainResult<ObjectInfo> {
        let bucket = self.bucket_to_change(caller, bucket).await?;
        let objects = self.objects()?;
        let upload = objects
            .upload_in_bucket(&bucket, upload_id)
            .await
            .map_err(domain_error)?;
        objects
            .complete_upload(&bucket, &upload, parts)
            .await
            .map_err(domain_error)
    }

    /// Drops the upload and its parts; returns the key it was for.
    pub async fn abort_upload(
        &self,
        caller: &Principal,
        bucket: &str,
        upload_id: &str,
    ) -> DomainResult<String> {
        let bucket = self.bucket_to_change(caller, bucket).await?;
        let objects = self.objects()?;
        let upload = objects
            .upload_in_bucket(&bucket, upload_id)
            .await
            .map_err(domain_error)?;
        objects.abort_upload(&upload).await.map_err(domain_error)?;
        Ok(upload.key)
    }
}
