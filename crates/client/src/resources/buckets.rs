//! `/api/v1/buckets`: buckets and their objects (uploads and downloads streamed).

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use proxicloud_types::api::buckets::{
    BucketDto, CreateBucketRequest, DeleteObjectsRequest, DeleteObjectsResponse, ObjectDto,
    ObjectListDto, ObjectListQuery,
};
use proxicloud_types::api::common::{PageQuery, Paginated};
use reqwest::Method;

use crate::{Client, Result};

/// A transfer takes as long as the object needs; this only bounds a stalled one.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

/// A download's body.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

pub struct Buckets<'a>(pub(crate) &'a Client);

/// A key as the one path segment the API expects (`a/b` → `a%2Fb`).
fn key_segment(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl Buckets<'_> {
    /// One page of the caller's buckets (an admin's: everyone's), by name.
    pub async fn list(&self, page: &PageQuery) -> Result<Paginated<BucketDto>> {
        let request = self.0.request(Method::GET, "api/v1/buckets")?.query(page);
        self.0.send(request).await
    }

    pub async fn create(&self, name: &str) -> Result<BucketDto> {
        let body = CreateBucketRequest {
            name: name.to_owned(),
        };
        let request = self.0.request(Method::POST, "api/v1/buckets")?.json(&body);
        self.0.send(request).await
    }

    /// Only an empty bucket.
    pub async fn delete(&self, name: &str) -> Result<()> {
        let request = self
            .0
            .request(Method::DELETE, &format!("api/v1/buckets/{name}"))?;
        self.0.send_empty(request).await
    }

    /// One page of a folder view (or a flat list without a delimiter).
    pub async fn list_objects(
        &self,
        bucket: &str,
        query: &ObjectListQuery,
    ) -> Result<ObjectListDto> {
        let request = self
            .0
            .request(Method::GET, &format!("api/v1/buckets/{bucket}/objects"))?
            .query(query);
        self.0.send(request).await
    }

    /// Streams `body` as `key`.
    pub async fn put<S>(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        size: Option<u64>,
        body: S,
    ) -> Result<ObjectDto>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let path = format!("api/v1/buckets/{bucket}/objects/{}", key_segment(key));
        let mut request = self
            .0
            .request(Method::PUT, &path)?
            .header(reqwest::header::CONTENT_TYPE, content_type);
        if let Some(size) = size {
            request = request.header(reqwest::header::CONTENT_LENGTH, size);
        }
        let request = request.body(reqwest::Body::wrap_stream(body));
        self.0.send_within(request, TRANSFER_TIMEOUT).await
    }

    /// The object's bytes as they arrive.
    pub async fn get(&self, bucket: &str, key: &str) -> Result<ByteStream> {
        let path = format!("api/v1/buckets/{bucket}/objects/{}", key_segment(key));
        let request = self.0.request(Method::GET, &path)?;
        let response = self.0.send_raw_within(request, TRANSFER_TIMEOUT).await?;
        Ok(Box::pin(
            response.bytes_stream().map_err(std::io::Error::other),
        ))
    }

    /// Deletes the given keys; one result per key.
    pub async fn delete_objects(
        &self,
        bucket: &str,
        keys: Vec<String>,
    ) -> Result<DeleteObjectsResponse> {
        let request = self
            .0
            .request(
                Method::POST,
                &format!("api/v1/buckets/{bucket}/delete-objects"),
            )?
            .json(&DeleteObjectsRequest { keys });
        self.0.send(request).await
    }
}
