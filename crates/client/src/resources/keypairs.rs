//! `/api/v1/keypairs`: SSH key pairs.

use proxicloud_types::api::common::Paginated;
use proxicloud_types::api::keypairs::{
    GenerateKeyPairRequest, GeneratedKeyPairDto, ImportKeyPairRequest, KeyPairDto,
};
use reqwest::Method;
use uuid::Uuid;

use crate::{Client, Result};

pub struct KeyPairs<'a>(pub(crate) &'a Client);

impl KeyPairs<'_> {
    /// Generates a pair; its `private_key` is in this answer only.
    pub async fn generate(&self, request: &GenerateKeyPairRequest) -> Result<GeneratedKeyPairDto> {
        let request = self
            .0
            .request(Method::POST, "api/v1/keypairs")?
            .json(request);
        self.0.send(request).await
    }

    /// Imports the public key of a pair made elsewhere.
    pub async fn import(&self, request: &ImportKeyPairRequest) -> Result<KeyPairDto> {
        let request = self
            .0
            .request(Method::POST, "api/v1/keypairs/import")?
            .json(request);
        self.0.send(request).await
    }

    /// The caller's key pairs (an admin's: everyone's), by name.
    pub async fn list(&self) -> Result<Paginated<KeyPairDto>> {
        let request = self.0.request(Method::GET, "api/v1/keypairs")?;
        self.0.send(request).await
    }

    pub async fn get(&self, id: Uuid) -> Result<KeyPairDto> {
        let request = self
            .0
            .request(Method::GET, &format!("api/v1/keypairs/{id}"))?;
        self.0.send(request).await
    }

    pub async fn delete(&self, id: Uuid) -> Result<()> {
        let request = self
            .0
            .request(Method::DELETE, &format!("api/v1/keypairs/{id}"))?;
        self.0.send_empty(request).await
    }
}
