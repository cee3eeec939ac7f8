//! `/api/v1/auth/*` and `/api/v1/me/*`: sessions and the caller's own account.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::users::UserDto;
use crate::Timestamp;

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    #[serde(serialize_with = "super::secret::serialize")]
    pub password: SecretString,
    /// Browser clients: keep the tokens in httpOnly cookies instead of the body.
    #[serde(default)]
    pub use_cookies: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// Leave out when the session lives in cookies (then send `X-CSRF-Token`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[serde(
        default,
        serialize_with = "super::secret::serialize_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub refresh_token: Option<SecretString>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Password))]
    #[serde(serialize_with = "super::secret::serialize")]
    pub current_password: SecretString,
    /// 10 to 1024 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, format = Password, min_length = 10, max_length = 1024)
    )]
    #[serde(serialize_with = "super::secret::serialize")]
    pub new_password: SecretString,
}

/// A started or renewed session. Tokens are present for bearer clients; cookie
/// clients get `csrf_token` instead (also set as the readable `pc_csrf` cookie).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub user: UserDto,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub access_expires_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub refresh_expires_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentUserResponse {
    pub user: UserDto,
    /// `session` (login) or `api_token`.
    pub authenticated_by: String,
}
