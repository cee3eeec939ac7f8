//! Presigned S3 GET URLs: what "copy presigned URL" in the console hands out. The
//! URL reaches the S3 endpoint (not this API) and is signed with SigV4 query
//! parameters using one of the caller's own enabled access keys, so it works for as
//! long as that key and the chosen expiry (at most 7 days, S3's limit) allow.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proxicloud_store::Timestamp;
use secrecy::ExposeSecret;

use super::service::BucketService;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;

/// S3's longest presigned URL lifetime.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// AWS's URI encoding: everything but the unreserved characters.
const AWS_URI: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[derive(Debug, Clone)]
pub struct PresignedUrl {
    pub url: String,
    pub expires_at: Timestamp,
    /// The access key it is signed with (disabling that key revokes the URL).
    pub access_key_id: String,
}

/// `key` as a URL path: each segment encoded, the `/` between them kept.
fn encode_key(key: &str) -> String {
    key.split('/')
        .map(|segment| utf8_percent_encode(segment, AWS_URI).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

impl BucketService {
    /// A GET URL of `key` valid for `expires_in`, signed with the caller's first
    /// enabled access key. Only for the caller's own bucket: the S3 endpoint lets a
    /// key reach its owner's buckets alone.
    pub async fn presign(
        &self,
        caller: &Principal,
        bucket: &str,
        key: &str,
        expires_in: Duration,
    ) -> DomainResult<PresignedUrl> {
        if expires_in.is_zero() || expires_in > MAX_PRESIGN_EXPIRY {
            return Err(DomainError::invalid(
                "expires_in_secs",
                "must be between 1 second and 7 days (604800 seconds)",
            ));
        }
        let bucket = self.bucket_for(caller, bucket).await?;
        // The object must exist now (a URL to nothing helps nobody).
        self.object_info(caller, &bucket.name, key).await?;
        if bucket.owner_id != caller.user_id {
            return Err(DomainError::forbidden(
                "a presigned URL is signed with your own access key, which reaches only your own buckets",
            ));
        }
        let Some(base) = &self.s3_url else {
            return Err(DomainError::Unavailable {
                code: "s3_off",
                message: "this server does not serve S3, so there is nothing to presign for"
                    .to_owned(),
            });
        };
        let mut identity = None;
        for candidate in self.keys.list(caller).await? {
            if candidate.owner_id != caller.user_id || candidate.disabled {
                continue;
            }
            if let Some(found) = self.keys.secret_for(&candidate.access_key_id).await? {
                identity = Some((candidate.access_key_id, found.secret));
                break;
            }
        }
        let Some((access_key_id, secret)) = identity else {
            return Err(DomainError::BadRequest {
                code: "no_access_key",
                message:
                    "you have no enabled S3 access key to sign with: create one under Access keys"
                        .to_owned(),
            });
        };
        let url = format!(
            "{}/{}/{}",
            base.trim_end_matches('/'),
            bucket.name,
            encode_key(key)
        );
        let now = SystemTime::now();
        let credentials = Credentials::new(
            &access_key_id,
            secret.expose_secret(),
            None,
            None,
            "proxicloud",
        );
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires_in);
        // S3's canonical URI: the path encoded once, not normalised.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| DomainError::Internal(format!("presign parameters: {e}")))?
            .into();
        let request = SignableRequest::new(
            "GET",
            &url,
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| DomainError::Internal(format!("presign request: {e}")))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| DomainError::Internal(format!("presigning: {e}")))?
            .into_parts();
        let query: Vec<String> = instructions
            .params()
            .iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, AWS_URI)))
            .collect();
        Ok(PresignedUrl {
            url: format!("{url}?{}", query.join("&")),
            expires_at: Timestamp::now() + expires_in,
            access_key_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::encode_key;

    #[test]
    fn keys_are_encoded_per_segment_like_aws() {
        assert_eq!(encode_key("a/b c/ü+x.txt"), "a/b%20c/%C3%BC%2Bx.txt");
        assert_eq!(encode_key("folder/"), "folder/");
        assert_eq!(encode_key("~a-_.b"), "~a-_.b");
    }
}
