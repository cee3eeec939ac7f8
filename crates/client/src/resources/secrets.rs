//! `/api/v1/secrets` and `/api/v1/instances/{id}/secrets`: the secrets vault and the
//! secrets an instance receives. Values travel as `SecretString`s, so no `Debug` of a
//! request or answer shows them.

use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::jobs::JobDto;
use proxicloud_types::api::secrets::{
    CreateSecretRequest, GrantSecretRequest, InstanceSecretsDto, RollbackSecretRequest, SecretDto,
    SecretGrantDto, SecretValueDto, SecretVersionDto, SetInstanceSecretsRequest,
    UpdateSecretRequest,
};
use reqwest::Method;
use uuid::Uuid;

use crate::pages::collect_all;
use crate::{Client, Result};

pub struct Secrets<'a>(pub(crate) &'a Client);

/// A secret's name, or its id, as one path segment.
fn path(name: &str) -> String {
    format!(
        "api/v1/secrets/{}",
        percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
    )
}

impl Secrets<'_> {
    /// Names and metadata (yours and those granted to you; an admin's: everyone's).
    pub async fn list(&self) -> Result<Vec<SecretDto>> {
        collect_all(|cursor| async move {
            let mut request = self.0.request(Method::GET, "api/v1/secrets")?;
            if let Some(cursor) = cursor {
                request = request.query(&[("cursor", cursor)]);
            }
            self.0.send::<Paginated<SecretDto>>(request).await
        })
        .await
    }

    /// The current value: an audited read.
    pub async fn get(&self, name: &str) -> Result<SecretValueDto> {
        let request = self.0.request(Method::GET, &path(name))?;
        self.0.send(request).await
    }

    pub async fn create(&self, request: &CreateSecretRequest) -> Result<SecretDto> {
        let request = self
            .0
            .request(Method::POST, "api/v1/secrets")?
            .json(request);
        self.0.send(request).await
    }

    /// A new value makes a new version.
    pub async fn update(&self, name: &str, update: &UpdateSecretRequest) -> Result<SecretDto> {
        let request = self.0.request(Method::PATCH, &path(name))?.json(update);
        self.0.send(request).await
    }

    pub async fn delete(&self, name: &str) -> Result<()> {
        let request = self.0.request(Method::DELETE, &path(name))?;
        self.0.send_empty(request).await
    }

    /// The kept versions, newest first.
    pub async fn versions(&self, name: &str) -> Result<Vec<SecretVersionDto>> {
        let request = self
            .0
            .request(Method::GET, &format!("{}/versions", path(name)))?;
        let page: Paginated<SecretVersionDto> = self.0.send(request).await?;
        Ok(page.items)
    }

    /// Makes `version`'s value current again, as a new version.
    pub async fn rollback(&self, name: &str, version: u32) -> Result<SecretDto> {
        let request = self
            .0
            .request(Method::POST, &format!("{}/rollback", path(name)))?
            .json(&RollbackSecretRequest { version });
        self.0.send(request).await
    }

    pub async fn grants(&self, name: &str) -> Result<Vec<SecretGrantDto>> {
        let request = self
            .0
            .request(Method::GET, &format!("{}/grants", path(name)))?;
        let page: Paginated<SecretGrantDto> = self.0.send(request).await?;
        Ok(page.items)
    }

    /// Lets `user` (a username or id) read the secret.
    pub async fn grant(&self, name: &str, user: &str) -> Result<SecretGrantDto> {
        let request = self
            .0
            .request(Method::POST, &format!("{}/grants", path(name)))?
            .json(&GrantSecretRequest {
                user: user.to_owned(),
            });
        self.0.send(request).await
    }

    pub async fn revoke(&self, name: &str, user: &str) -> Result<()> {
        let user = percent_encoding::utf8_percent_encode(user, percent_encoding::NON_ALPHANUMERIC);
        let request = self
            .0
            .request(Method::DELETE, &format!("{}/grants/{user}", path(name)))?;
        self.0.send_empty(request).await
    }

    /// The secrets an instance receives (names only).
    pub async fn of_instance(&self, id: Uuid) -> Result<InstanceSecretsDto> {
        let request = self
            .0
            .request(Method::GET, &format!("api/v1/instances/{id}/secrets"))?;
        self.0.send(request).await
    }

    /// Replaces the instance's list; answers the job that applies it.
    pub async fn set_for_instance(&self, id: Uuid, secrets: Vec<String>) -> Result<JobDto> {
        let request = self
            .0
            .request(Method::PUT, &format!("api/v1/instances/{id}/secrets"))?
            .json(&SetInstanceSecretsRequest { secrets });
        self.0.send(request).await
    }
}
