//! `/api/v1/s3/access-keys`: the caller's S3 access keys.

use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::s3::{AccessKeyDto, CreatedAccessKeyDto, UpdateAccessKeyRequest};
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, Result};

pub struct AccessKeys<'a>(pub(crate) &'a Client);

impl AccessKeys<'_> {
    /// A new key; its `secret_access_key` is in this answer only.
    pub async fn create(&self) -> Result<CreatedAccessKeyDto> {
        let request = self.0.request(Method::POST, "api/v1/s3/access-keys")?;
        self.0.send(request).await
    }

    /// The caller's keys (an admin's: everyone's), oldest first.
    pub async fn list(&self) -> Result<Paginated<AccessKeyDto>> {
        let request = self.0.request(Method::GET, "api/v1/s3/access-keys")?;
        self.0.send(request).await
    }

    pub async fn set_disabled(&self, id: Uuid, disabled: bool) -> Result<AccessKeyDto> {
        let request = self
            .0
            .request(Method::PATCH, &format!("api/v1/s3/access-keys/{id}"))?
            .json(&UpdateAccessKeyRequest { disabled });
        self.0.send(request).await
    }

    pub async fn delete(&self, id: Uuid) -> Result<()> {
        let request = self
            .0
            .request(Method::DELETE, &format!("api/v1/s3/access-keys/{id}"))?;
        self.0.send_empty(request).await
    }
}
