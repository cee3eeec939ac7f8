//! Secrets: domain views → [`proxicloud_types::api::secrets`].

use proxicloud_domain::vault::{RevealedSecret, VersionInfo};
use proxicloud_store::Secret;
use proxicloud_types::api::secrets::{SecretDto, SecretValueDto, SecretVersionDto};

use super::IntoDto;

impl IntoDto for Secret {
    type Dto = SecretDto;
    fn into_dto(self) -> SecretDto {
        SecretDto {
            id: self.id,
            owner_id: self.owner_id,
            name: self.name,
            description: self.description,
            tags: self.tags,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl IntoDto for RevealedSecret {
    type Dto = SecretValueDto;
    fn into_dto(self) -> SecretValueDto {
        SecretValueDto {
            secret: self.secret.into_dto(),
            value: self.value,
        }
    }
}

impl IntoDto for VersionInfo {
    type Dto = SecretVersionDto;
    fn into_dto(self) -> SecretVersionDto {
        SecretVersionDto {
            version: self.version,
            created_at: self.created_at,
            current: self.current,
        }
    }
}
