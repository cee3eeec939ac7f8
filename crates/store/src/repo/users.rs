//! Users of the control plane and their roles.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, Timestamp};

/// What a user may do; ownership rules are the domain's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Operator,
    Readonly,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Readonly => "readonly",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "admin" => Ok(Role::Admin),
            "operator" => Ok(Role::Operator),
            "readonly" => Ok(Role::Readonly),
            other => Err(format!("unknown role '{other}'")),
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    /// As entered; uniqueness and lookups ignore case.
    pub username: String,
    /// An argon2id PHC string; hashing and verifying is the domain's job.
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

// Hand-written so that password hashes never reach logs.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

#[derive(Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// A partial update: `None` leaves the field unchanged.
#[derive(Clone, Default, PartialEq)]
pub struct UserChanges {
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Users. Naming convention of every repository: `get*` fails with `NotFound`,
/// `find*` returns `Option` (absence is an ordinary answer there).
impl fmt::Debug for UserChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserChanges")
            .field("username", &self.username)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "<redacted>"),
            )
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish()
    }
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Fails with `Conflict { constraint: USERNAME }` when the name is taken in any case.
    async fn create(&self, user: NewUser) -> Result<User>;
    async fn get(&self, id: Uuid) -> Result<User>;
    /// Case-insensitive.
    async fn find_by_username(&self, username: &str) -> Result<Option<User>>;
    /// Ordered by lower-cased username.
    async fn list(&self, page: PageRequest) -> Result<Page<User>>;
    /// Applies the changes and bumps `updated_at`; `Conflict` on a taken username.
    async fn update(&self, id: Uuid, changes: UserChanges) -> Result<User>;
    /// Also deletes the user's refresh and API tokens and jobs; their guests become unowned.
    async fn delete(&self, id: Uuid) -> Result<()>;
    /// Admins that are not disabled: the domain refuses to remove the last one.
    async fn count_active_admins(&self) -> Result<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_password_hash() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$secret-hash";
        let user = User {
            id: Uuid::nil(),
            username: "alice".into(),
            password_hash: hash.into(),
            role: Role::Admin,
            disabled: false,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        };
        let new = NewUser {
            username: "a".into(),
            password_hash: hash.into(),
            role: Role::Admin,
            disabled: false,
        };
        let changes = UserChanges {
            password_hash: Some(hash.into()),
            ..Default::default()
        };
        for debug in [
            format!("{user:?}"),
            format!("{new:?}"),
            format!("{changes:?}"),
        ] {
            assert!(!debug.contains("secret-hash"), "{debug}");
            assert!(debug.contains("<redacted>"), "{debug}");
        }
    }
}
