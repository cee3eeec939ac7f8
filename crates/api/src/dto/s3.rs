//! S3 access keys: domain views → [`proxicloud_types::api::s3`].

use proxicloud_domain::s3keys::CreatedAccessKey;
use proxicloud_store::AccessKey;
use proxicloud_types::api::s3::{AccessKeyDto, CreatedAccessKeyDto};
use secrecy::ExposeSecret;

use super::IntoDto;

impl IntoDto for AccessKey {
    type Dto = AccessKeyDto;
    fn into_dto(self) -> AccessKeyDto {
        AccessKeyDto {
            id: self.id,
            owner_id: self.owner_id,
            access_key_id: self.access_key_id,
            disabled: self.disabled,
            created_at: self.created_at,
        }
    }
}

impl IntoDto for CreatedAccessKey {
    type Dto = CreatedAccessKeyDto;
    fn into_dto(self) -> CreatedAccessKeyDto {
        CreatedAccessKeyDto {
            id: self.key.id,
            owner_id: self.key.owner_id,
            access_key_id: self.key.access_key_id,
            secret_access_key: self.secret.expose_secret().to_owned(),
            disabled: self.key.disabled,
            created_at: self.key.created_at,
        }
    }
}
