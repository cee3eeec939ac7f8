//! [`ProxiS3`]: the `s3s::S3` implementation. Each operation is one line here; its
//! body is in the file of its family.

use std::sync::Arc;

use proxicloud_objects::ObjectStore;
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

pub struct ProxiS3 {
    pub(crate) objects: Arc<ObjectStore>,
    /// What GetBucketLocation and HeadBucket answer.
    pub(crate) region: String,
}

impl ProxiS3 {
    pub fn new(objects: Arc<ObjectStore>, region: String) -> Self {
        Self { objects, region }
    }
}

type Out<T> = S3Result<S3Response<T>>;

#[async_trait::async_trait]
impl S3 for ProxiS3 {
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> Out<CreateBucketOutput> {
        self.create_bucket_op(req).await
    }
    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> Out<ListBucketsOutput> {
        self.list_buckets_op(req).await
    }
    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> Out<HeadBucketOutput> {
        self.head_bucket_op(req).await
    }
    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> Out<DeleteBucketOutput> {
        self.delete_bucket_op(req).await
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> Out<GetBucketLocationOutput> {
        self.get_bucket_location_op(req).await
    }
    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> Out<GetBucketVersioningOutput> {
        self.get_bucket_versioning_op(req).await
    }
    async fn put_object(&self, req: S3Request<PutObjectInput>) -> Out<PutObjectOutput> {
        self.put_object_op(req).await
    }
    async fn get_object(&self, req: S3Request<GetObjectInput>) -> Out<GetObjectOutput> {
        self.get_object_op(req).await
    }
    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> Out<HeadObjectOutput> {
        self.head_object_op(req).await
    }
    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> Out<DeleteObjectOutput> {
        self.delete_object_op(req).await
    }
    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> Out<DeleteObjectsOutput> {
        self.delete_objects_op(req).await
    }
    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> Out<CopyObjectOutput> {
        self.copy_object_op(req).await
    }
    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> Out<ListObjectsOutput> {
        self.list_objects_op(req).await
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> Out<ListObjectsV2Output> {
        self.list_objects_v2_op(req).await
    }
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> Out<CreateMultipartUploadOutput> {
        self.create_multipart_upload_op(req).await
    }
    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> Out<UploadPartOutput> {
        self.upload_part_op(req).await
    }
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> Out<UploadPartCopyOutput> {
        self.upload_part_copy_op(req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> Out<CompleteMultipartUploadOutput> {
        self.complete_multipart_upload_op(req).await
    }
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> Out<AbortMultipartUploadOutput> {
        self.abort_multipart_upload_op(req).await
    }
    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> Out<ListPartsOutput> {
        self.list_parts_op(req).await
    }
    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> Out<ListMultipartUploadsOutput> {
        self.list_multipart_uploads_op(req).await
    }
}
