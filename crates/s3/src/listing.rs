//! ListObjects (v1) and ListObjectsV2: prefix, delimiter, common prefixes, max-keys,
//! marker / start-after / continuation token, and `encoding-type=url` (keys
//! percent-encoded in the answer, as the AWS CLI asks and then decodes).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proxicloud_objects::{ListPage, ListQuery};
use proxicloud_store::Bucket;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use crate::convert::{OrS3, etag, timestamp};
use crate::service::ProxiS3;

/// What S3 leaves unencoded with `encoding-type=url`: RFC 3986 unreserved and `/`.
const URL_ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

struct Encoder(bool);

impl Encoder {
    fn new(encoding_type: Option<&EncodingType>) -> S3Result<Self> {
        match encoding_type.map(EncodingType::as_str) {
            None => Ok(Self(false)),
            Some("url") => Ok(Self(true)),
            Some(_) => Err(s3_error!(
                InvalidArgument,
                "Invalid Encoding Method specified in Request"
            )),
        }
    }

    fn encode(&self, text: &str) -> String {
        if self.0 {
            utf8_percent_encode(text, URL_ENCODED).to_string()
        } else {
            text.to_owned()
        }
    }

    fn encode_opt(&self, text: Option<&str>) -> Option<String> {
        text.map(|t| self.encode(t))
    }
}

fn max_keys(requested: Option<i32>) -> S3Result<u32> {
    match requested {
        None => Ok(1000),
        Some(n) if n < 0 => Err(s3_error!(InvalidArgument, "max-keys must be non-negative")),
        Some(n) => Ok(n as u32),
    }
}

impl ProxiS3 {
    async fn list_page(&self, bucket: &Bucket, query: &ListQuery) -> S3Result<ListPage> {
        self.objects.list_objects(bucket, query).await.or_s3()
    }

    fn contents(&self, page: &ListPage, encoder: &Encoder, owner: Option<&Owner>) -> Vec<Object> {
        page.objects
            .iter()
            .map(|o| Object {
                key: Some(encoder.encode(&o.key)),
                size: Some(o.size as i64),
                e_tag: Some(etag(&o.etag)),
                last_modified: Some(timestamp(o.modified_at)),
                storage_class: Some(ObjectStorageClass::from_static(
                    ObjectStorageClass::STANDARD,
                )),
                owner: owner.cloned(),
                ..Default::default()
            })
            .collect()
    }

    fn prefixes(page: &ListPage, encoder: &Encoder) -> Vec<CommonPrefix> {
        page.common_prefixes
            .iter()
            .map(|p| CommonPrefix {
                prefix: Some(encoder.encode(p)),
            })
            .collect()
    }

    pub(crate) async fn list_objects_op(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let encoder = Encoder::new(input.encoding_type.as_ref())?;
        let max_keys = max_keys(input.max_keys)?;
        let query = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone().filter(|d| !d.is_empty()),
            after: input.marker.clone().filter(|m| !m.is_empty()),
            max_keys,
        };
        let page = self.list_page(&bucket, &query).await?;
        let owner = Owner {
            id: Some(bucket.owner_id.to_string()),
            display_name: None,
        };
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(bucket.name.clone()),
            prefix: Some(encoder.encode(&query.prefix)),
            marker: Some(encoder.encode(input.marker.as_deref().unwrap_or_default())),
            max_keys: Some(max_keys as i32),
            is_truncated: Some(page.truncated),
            contents: Some(self.contents(&page, &encoder, Some(&owner))),
            common_prefixes: Some(Self::prefixes(&page, &encoder)),
            delimiter: encoder.encode_opt(input.delimiter.as_deref()),
            // S3 sends NextMarker only with a delimiter; without one the last key is it.
            next_marker: (page.truncated && query.delimiter.is_some())
                .then(|| encoder.encode_opt(page.next_after.as_deref()))
                .flatten(),
            encoding_type: input.encoding_type,
            request_charged: None,
        }))
    }

    pub(crate) async fn list_objects_v2_op(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let bucket = self.owned_bucket(&req, &req.input.bucket).await?;
        let input = req.input;
        let encoder = Encoder::new(input.encoding_type.as_ref())?;
        let max_keys = max_keys(input.max_keys)?;
        let after = match input.continuation_token.as_deref() {
            Some(token) => Some(decode_token(token)?),
            None => input.start_after.clone().filter(|s| !s.is_empty()),
        };
        let query = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone().filter(|d| !d.is_empty()),
            after,
            max_keys,
        };
        let page = self.list_page(&bucket, &query).await?;
        let owner = input.fetch_owner.unwrap_or(false).then(|| Owner {
            id: Some(bucket.owner_id.to_string()),
            display_name: None,
        });
        let contents = self.contents(&page, &encoder, owner.as_ref());
        let common_prefixes = Self::prefixes(&page, &encoder);
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(bucket.name.clone()),
            prefix: Some(encoder.encode(&query.prefix)),
            max_keys: Some(max_keys as i32),
            key_count: Some((contents.len() + common_prefixes.len()) as i32),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.truncated),
            next_continuation_token: page
                .truncated
                .then(|| page.next_after.as_deref().map(encode_token))
                .flatten(),
            contents: Some(contents),
            common_prefixes: Some(common_prefixes),
            delimiter: encoder.encode_opt(input.delimiter.as_deref()),
            encoding_type: input.encoding_type,
            start_after: encoder.encode_opt(input.start_after.as_deref()),
            request_charged: None,
        }))
    }
}

/// Continuation tokens are opaque to clients: the hex of the last entry returned.
fn encode_token(after: &str) -> String {
    hex::encode(after)
}

fn decode_token(token: &str) -> S3Result<String> {
    hex::decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The continuation token provided is incorrect"
            )
        })
}
