//! `/api/v1/tokens`: API tokens.

use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::tokens::{ApiTokenDto, CreateApiTokenRequest, CreatedApiTokenDto};
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, Result};

pub struct Tokens<'a>(pub(crate) &'a Client);

impl Tokens<'_> {
    /// Creates an API token for the caller. Its `secret` is shown this once only.
    pub async fn create(&self, request: &CreateApiTokenRequest) -> Result<CreatedApiTokenDto> {
        let request = self.0.request(Method::POST, "api/v1/tokens")?.json(request);
        self.0.send(request).await
    }

    /// The caller's tokens (an admin's: everyone's).
    pub async fn list(&self) -> Result<Paginated<ApiTokenDto>> {
        let request = self.0.request(Method::GET, "api/v1/tokens")?;
        self.0.send(request).await
    }

    pub async fn revoke(&self, id: Uuid) -> Result<()> {
        let request = self
            .0
            .request(Method::DELETE, &format!("api/v1/tokens/{id}"))?;
        self.0.send_empty(request).await
    }
}
