//! Bucket operations: create, list, head, delete, location, versioning (never on).

use proxicloud_objects::Access;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::auth::caller;
use crate::convert::{OrS3, timestamp};
use crate::service::ProxiS3;

impl ProxiS3 {
    pub(crate) async fn create_bucket_op(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let owner = caller(&req)?;
        let bucket = self
            .objects
            .create_bucket(owner, &req.input.bucket)
            .await
            .or_s3()?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", bucket.name)),
        }))
    }

    pub(crate) async fn list_buckets_op(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let owner = caller(&req)?;
        let prefix = req.input.prefix.clone().unwrap_or_default();
        let buckets = self
            .objects
            .list_buckets(Access::Owner(owner))
            .await
            .or_s3()?
            .into_iter()
            .filter(|b| b.name.starts_with(&prefix))
            .map(|b| Bucket {
                name: Some(b.name),
                creation_date: Some(timestamp(b.created_at)),
                bucket_region: Some(self.region.clone()),
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(Owner {
                id: Some(owner.to_string()),
                display_name: None,
            }),
            prefix: req.input.prefix,
            continuation_token: None,
        }))
    }

    pub(crate) async fn head_bucket_op(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let owner = caller(&req)?;
        self.objects
            .bucket(Access::Owner(owner), &req.input.bucket)
            .await
            .or_s3()?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(self.region.clone()),
            ..Default::default()
        }))
    }

    pub(crate) async fn delete_bucket_op(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let owner = caller(&req)?;
        self.objects
            .delete_bucket(Access::Owner(owner), &req.input.bucket)
            .await
            .or_s3()?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    /// `us-east-1` is S3's empty location constraint.
    pub(crate) async fn get_bucket_location_op(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let owner = caller(&req)?;
        self.objects
            .bucket(Access::Owner(owner), &req.input.bucket)
            .await
            .or_s3()?;
        let location_constraint = (self.region != "us-east-1")
            .then(|| BucketLocationConstraint::from(self.region.clone()));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint,
        }))
    }

    /// Versioning is never enabled: S3 answers a bucket that never had it with an
    /// empty configuration (no `Status`), which clients such as rclone ask before
    /// deleting.
    pub(crate) async fn get_bucket_versioning_op(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let owner = caller(&req)?;
        self.objects
            .bucket(Access::Owner(owner), &req.input.bucket)
            .await
            .or_s3()?;
        Ok(S3Response::new(GetBucketVersioningOutput::default()))
    }
}
