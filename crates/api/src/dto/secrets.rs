//! Secrets: domain views → [`proxicloud_types::api::secrets`].

use proxicloud_domain::iam::Principal;
use proxicloud_domain::vault::{Grantee, InstanceSecrets, RevealedSecret, VersionInfo};
use proxicloud_store::Secret;
use proxicloud_types::api::secrets::{
    InstanceSecretDto, InstanceSecretsDto, SecretDto, SecretGrantDto, SecretValueDto,
    SecretVersionDto,
};

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
            shared: false,
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

/// The secret as `caller` sees it: `shared` when it is someone else's.
pub fn secret_dto(secret: Secret, caller: &Principal) -> SecretDto {
    let shared = secret.owner_id != caller.user_id;
    SecretDto {
        shared,
        ..secret.into_dto()
    }
}

impl IntoDto for Grantee {
    type Dto = SecretGrantDto;
    fn into_dto(self) -> SecretGrantDto {
        SecretGrantDto {
            user_id: self.user_id,
            username: self.username,
        }
    }
}

impl IntoDto for InstanceSecrets {
    type Dto = InstanceSecretsDto;
    fn into_dto(self) -> InstanceSecretsDto {
        InstanceSecretsDto {
            secrets: self
                .secrets
                .into_iter()
                .map(|s| InstanceSecretDto {
                    id: s.id,
                    name: s.name,
                    owner_id: s.owner_id,
                    version: s.version,
                })
                .collect(),
            status: self.state.as_ref().map(|s| s.status.clone()),
            reason: self.state.as_ref().and_then(|s| s.reason.clone()),
            updated_at: self.state.map(|s| s.updated_at),
        }
    }
}
