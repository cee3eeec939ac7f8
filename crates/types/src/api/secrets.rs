//! `/api/v1/secrets`: the secrets vault. Lists carry names and metadata only; the value
//! travels in a create or update request and in the one audited read
//! (`GET /api/v1/secrets/{name}`). Values are `SecretString`s on both sides, so no
//! `Debug` output (and no log line built from one) shows them.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// A secret's metadata (never its value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretDto {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// Unique among its owner's secrets; an environment variable name.
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    /// The current version (1 when created; each value change adds one).
    pub version: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Someone else's secret: granted to you (or, for an admin, another user's).
    #[serde(default)]
    pub shared: bool,
}

/// A secret with its current value: only `GET /api/v1/secrets/{name}` returns it.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretValueDto {
    pub secret: SecretDto,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    #[serde(serialize_with = "super::secret::serialize")]
    pub value: SecretString,
}

/// Never prints the value.
impl std::fmt::Debug for SecretValueDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValueDto")
            .field("secret", &self.secret)
            .field("value", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSecretRequest {
    /// An environment variable name: letters, digits and `_`, not starting with a
    /// digit, at most 128 characters.
    pub name: String,
    /// Up to 64 KiB of UTF-8 text (no NUL).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    #[serde(serialize_with = "super::secret::serialize")]
    pub value: SecretString,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What to change; a field left out stays as it is. A `value` makes a new version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSecretRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Password))]
    #[serde(
        default,
        serialize_with = "super::secret::serialize_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<SecretString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RollbackSecretRequest {
    /// A kept version; its value becomes current as a new version.
    pub version: u32,
}

/// A kept version of a secret (its value stays sealed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretVersionDto {
    pub version: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub current: bool,
}

/// `GET /api/v1/secrets` query: a filter and the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SecretListParams {
    /// Part of the name, case-insensitive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Items per page, 1 to 1000 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (same filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A user a secret is granted to: they may read its value whatever their role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretGrantDto {
    pub user_id: Uuid,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantSecretRequest {
    /// A username, or a user id.
    pub user: String,
}

/// One secret an instance receives: its variable name, never its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceSecretDto {
    pub id: Uuid,
    /// The environment variable's name.
    pub name: String,
    pub owner_id: Uuid,
    /// The version the instance receives (the current one).
    pub version: u32,
}

/// The secrets an instance receives as environment variables, and where applying
/// them stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceSecretsDto {
    pub secrets: Vec<InstanceSecretDto>,
    /// `pending` while a job applies them, `applied`, `failed` (see `reason`); absent
    /// when secrets were never set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A running container receives its environment at its next start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub updated_at: Option<Timestamp>,
}

/// The whole list of secrets an instance receives (an empty list removes them all).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetInstanceSecretsRequest {
    /// Your secrets' names, or ids of secrets you may read (granted to you).
    pub secrets: Vec<String>,
}
