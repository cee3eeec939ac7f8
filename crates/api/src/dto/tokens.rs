//! API tokens: domain views → [`proxicloud_types::api::tokens`].

use proxicloud_domain::iam::{ApiTokenInfo, CreatedApiToken};
use proxicloud_types::api::tokens::{ApiTokenDto, CreatedApiTokenDto};
use secrecy::ExposeSecret;

use super::IntoDto;

impl IntoDto for ApiTokenInfo {
    type Dto = ApiTokenDto;
    fn into_dto(self) -> ApiTokenDto {
        ApiTokenDto {
            id: self.id,
            user_id: self.user_id,
            name: self.name,
            prefix: self.prefix,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            last_used_at: self.last_used_at,
            created_at: self.created_at,
        }
    }
}

impl IntoDto for CreatedApiToken {
    type Dto = CreatedApiTokenDto;
    fn into_dto(self) -> CreatedApiTokenDto {
        CreatedApiTokenDto {
            token: self.token.into_dto(),
            secret: self.secret.expose_secret().to_owned(),
        }
    }
}
