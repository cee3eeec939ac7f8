//! Users: domain views → [`proxicloud_types::api::users`].

use proxicloud_domain::iam::{UserInfo, UserWithPassword};
use proxicloud_store::Role;
use proxicloud_types::api::users::{RoleDto, UserDto, UserWithPasswordDto};
use secrecy::ExposeSecret;

use super::IntoDto;

impl IntoDto for Role {
    type Dto = RoleDto;
    fn into_dto(self) -> RoleDto {
        match self {
            Self::Admin => RoleDto::Admin,
            Self::Operator => RoleDto::Operator,
            Self::Readonly => RoleDto::Readonly,
        }
    }
}

/// A requested role as the store's role.
pub fn role(role: RoleDto) -> Role {
    match role {
        RoleDto::Admin => Role::Admin,
        RoleDto::Operator => Role::Operator,
        RoleDto::Readonly => Role::Readonly,
    }
}

impl IntoDto for UserInfo {
    type Dto = UserDto;
    fn into_dto(self) -> UserDto {
        UserDto {
            id: self.id,
            username: self.username,
            role: self.role.into_dto(),
            disabled: self.disabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl IntoDto for UserWithPassword {
    type Dto = UserWithPasswordDto;
    fn into_dto(self) -> UserWithPasswordDto {
        UserWithPasswordDto {
            user: self.user.into_dto(),
            generated_password: self
                .generated_password
                .map(|p| p.expose_secret().to_owned()),
        }
    }
}
