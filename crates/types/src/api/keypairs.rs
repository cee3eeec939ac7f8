//! `/api/v1/keypairs`: SSH key pairs, generated (the private key returned once) or
//! imported (public key only), chosen by id when launching an instance.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyPairDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// Unique among its owner's key pairs.
    pub name: String,
    /// The OpenSSH algorithm: `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …
    #[serde(rename = "type")]
    pub key_type: String,
    /// `SHA256:…`, exactly as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
    /// One `authorized_keys` line.
    pub public_key: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// What `POST /keypairs` generates (`ed25519` when the request names none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum KeyTypeDto {
    #[default]
    Ed25519,
    /// RSA with a 4096-bit modulus.
    Rsa,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GenerateKeyPairRequest {
    /// 1 to 64 letters, digits, `-`, `_`, `.`, `@`; also the public key's comment.
    pub name: String,
    /// `ed25519` when left out.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<KeyTypeDto>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportKeyPairRequest {
    /// 1 to 64 letters, digits, `-`, `_`, `.`, `@`.
    pub name: String,
    /// One OpenSSH public key line (`ssh-ed25519 AAAA… comment`): ed25519, ECDSA,
    /// security-key types, or RSA of at least 2048 bits.
    pub public_key: String,
}

/// A generated key pair. `private_key` (OpenSSH format) is returned this once and
/// is not kept anywhere: save it now.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeneratedKeyPairDto {
    pub key_pair: KeyPairDto,
    /// `-----BEGIN OPENSSH PRIVATE KEY-----…`; store it with mode 0600.
    pub private_key: String,
}

/// Never prints the private key (it would end up in logs).
impl std::fmt::Debug for GeneratedKeyPairDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeyPairDto")
            .field("key_pair", &self.key_pair)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

/// A key pair an instance was launched with, as recorded at launch (it stays listed
/// after the key pair itself is deleted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceKeyPairDto {
    pub key_pair_id: Uuid,
    pub name: String,
    pub fingerprint: String,
}
