//! Bucket operations: create (DNS-compliant names, unique system-wide), list, delete.

use proxicloud_store::{Bucket, BucketUsage, Quota, StoreError, constraints};
use uuid::Uuid;

use crate::ObjectError;
use crate::service::{Access, ObjectStore};

/// S3's rules for new buckets (the DNS-compliant subset): 3–63 characters of
/// lower-case letters, digits, `.` and `-`, starting and ending with a letter or digit,
/// no `..`, not an IPv4 address, none of the reserved prefixes and suffixes.
pub fn validate_bucket_name(name: &str) -> Result<(), ObjectError> {
    let invalid = ObjectError::InvalidBucketName;
    if !(3..=63).contains(&name.len()) {
        return Err(invalid("must be 3 to 63 characters long"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return Err(invalid(
            "may contain only lower-case letters, digits, '.' and '-'",
        ));
    }
    let alnum = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !alnum(name.as_bytes().first()) || !alnum(name.as_bytes().last()) {
        return Err(invalid("must begin and end with a letter or digit"));
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err(invalid("must not contain '..', '.-' or '-.'"));
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(invalid("must not be formatted as an IP address"));
    }
    if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p))
        || ["-s3alias", "--ol-s3", ".mrap", "--x-s3"]
            .iter()
            .any(|s| name.ends_with(s))
    {
        return Err(invalid("uses a reserved prefix or suffix"));
    }
    Ok(())
}

impl ObjectStore {
    /// `BucketAlreadyOwnedByYou` when the caller has it, `BucketAlreadyExists` when
    /// anyone else does.
    pub async fn create_bucket(&self, owner_id: Uuid, name: &str) -> Result<Bucket, ObjectError> {
        validate_bucket_name(name)?;
        match self.store.objects().create_bucket(name, owner_id).await {
            Ok(bucket) => Ok(bucket),
            Err(StoreError::Conflict { constraint }) if constraint == constraints::BUCKET_NAME => {
                let existing = self.store.objects().find_bucket(name).await?;
                Err(match existing {
                    Some(bucket) if bucket.owner_id == owner_id => {
                        ObjectError::BucketAlreadyOwnedByYou
                    }
                    _ => ObjectError::BucketAlreadyExists,
                })
            }
            Err(other) => Err(other.into()),
        }
    }

    /// By name.
    pub async fn list_buckets(&self, access: Access) -> Result<Vec<Bucket>, ObjectError> {
        Ok(self.store.objects().list_buckets(access.owner()).await?)
    }

    pub async fn bucket_usage(&self, bucket: &Bucket) -> Result<BucketUsage, ObjectError> {
        Ok(self.store.objects().bucket_usage(bucket.id).await?)
    }

    /// A user's quota (unlimited unless an administrator set one), enforced on every
    /// write that names an object: put, copy, multipart completion.
    pub async fn quota(&self, owner_id: Uuid) -> Result<Quota, ObjectError> {
        Ok(self.store.objects().quota(owner_id).await?)
    }

    /// Sets a user's quota; `AccessDenied` stands for a user that does not exist.
    pub async fn set_quota(&self, owner_id: Uuid, quota: Quota) -> Result<(), ObjectError> {
        match self.store.objects().set_quota(owner_id, quota).await {
            Ok(()) => Ok(()),
            Err(StoreError::MissingReference) => Err(ObjectError::AccessDenied),
            Err(other) => Err(other.into()),
        }
    }

    /// What a user stores in all their buckets together.
    pub async fn owner_usage(&self, owner_id: Uuid) -> Result<BucketUsage, ObjectError> {
        Ok(self.store.objects().owner_usage(owner_id).await?)
    }

    /// Only an empty bucket (`BucketNotEmpty`); its unfinished uploads go with it.
    pub async fn delete_bucket(&self, access: Access, name: &str) -> Result<Bucket, ObjectError> {
        let bucket = self.bucket(access, name).await?;
        let freed = match self.store.objects().delete_bucket(bucket.id).await {
            Ok(freed) => freed,
            Err(StoreError::Stale(_)) => return Err(ObjectError::BucketNotEmpty),
            Err(StoreError::NotFound) => return Err(ObjectError::NoSuchBucket),
            Err(other) => return Err(other.into()),
        };
        self.release(freed).await;
        Ok(bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::validate_bucket_name;

    #[test]
    fn bucket_names_follow_the_dns_rules() {
        for good in ["abc", "my-bucket.2024", "a1b", &"a".repeat(63)] {
            assert!(validate_bucket_name(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "under_score",
            "-start",
            "end-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "thing-s3alias",
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }
}
