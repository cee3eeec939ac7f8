//! Key pairs: domain views → [`proxicloud_types::api::keypairs`].

use proxicloud_domain::keypairs::GeneratedKeyPair;
use proxicloud_domain::keypairs::keys::KeyAlgorithm;
use proxicloud_store::{GuestKeyPair, KeyPair};
use proxicloud_types::api::keypairs::{
    GeneratedKeyPairDto, InstanceKeyPairDto, KeyPairDto, KeyTypeDto,
};
use secrecy::ExposeSecret;

use super::IntoDto;

impl IntoDto for KeyPair {
    type Dto = KeyPairDto;
    fn into_dto(self) -> KeyPairDto {
        KeyPairDto {
            id: self.id,
            owner_id: self.owner_id,
            name: self.name,
            key_type: self.key_type,
            fingerprint: self.fingerprint,
            public_key: self.public_key,
            created_at: self.created_at,
        }
    }
}

/// The algorithm a generate request asks for.
pub fn algorithm(key_type: KeyTypeDto) -> KeyAlgorithm {
    match key_type {
        KeyTypeDto::Ed25519 => KeyAlgorithm::Ed25519,
        KeyTypeDto::Rsa => KeyAlgorithm::Rsa,
    }
}

impl IntoDto for GeneratedKeyPair {
    type Dto = GeneratedKeyPairDto;
    fn into_dto(self) -> GeneratedKeyPairDto {
        GeneratedKeyPairDto {
            key_pair: self.key_pair.into_dto(),
            private_key: self.private_key.expose_secret().to_owned(),
        }
    }
}

impl IntoDto for GuestKeyPair {
    type Dto = InstanceKeyPairDto;
    fn into_dto(self) -> InstanceKeyPairDto {
        InstanceKeyPairDto {
            key_pair_id: self.key_pair_id,
            name: self.name,
            fingerprint: self.fingerprint,
        }
    }
}
