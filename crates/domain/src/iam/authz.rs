//! Who is calling, and the ownership rules every service applies.
//!
//! - `admin` sees and manages everything, including unmanaged resources (no owner).
//! - `operator` sees and manages only what it owns, and may create resources.
//! - `readonly` sees only what it owns and changes nothing.
//!
//! A resource the caller may not see is reported as *not found* (404), never as
//! forbidden, so ids of other people's resources cannot be probed. A resource the
//! caller sees but may not change is *forbidden* (403).

use proxicloud_store::{Role, Uuid};

use crate::error::{DomainError, DomainResult};

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// An access token from a login; `sid` is the session (refresh-token family).
    Session { sid: Uuid },
    /// A long-lived `pc_…` API token.
    ApiToken { id: Uuid },
}

/// The authenticated caller of a domain operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    /// Read from the database on every request, so role changes apply at once.
    pub role: Role,
    pub via: AuthMethod,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    fn owns(&self, owner: Option<Uuid>) -> bool {
        owner == Some(self.user_id)
    }

    /// May the caller see a resource owned by `owner` (`None`: unmanaged)?
    pub fn can_view(&self, owner: Option<Uuid>) -> bool {
        self.is_admin() || self.owns(owner)
    }

    /// May the caller change or delete a resource owned by `owner`?
    pub fn can_manage(&self, owner: Option<Uuid>) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Operator => self.owns(owner),
            Role::Readonly => false,
        }
    }

    /// May the caller create new resources (which it will then own)?
    pub fn can_create(&self) -> bool {
        self.role != Role::Readonly
    }

    pub fn require_admin(&self) -> DomainResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(DomainError::forbidden(
                "this operation requires the admin role",
            ))
        }
    }

    pub fn require_create(&self) -> DomainResult<()> {
        if self.can_create() {
            Ok(())
        } else {
            Err(DomainError::forbidden(
                "the readonly role cannot create resources",
            ))
        }
    }

    /// `NotFound { resource }` unless the caller may see it.
    pub fn authorize_view(&self, owner: Option<Uuid>, resource: &'static str) -> DomainResult<()> {
        if self.can_view(owner) {
            Ok(())
        } else {
            Err(DomainError::NotFound { resource })
        }
    }

    /// `NotFound` when the caller may not even see the resource, `Forbidden` when it
    /// may see but not change it.
    pub fn authorize_manage(
        &self,
        owner: Option<Uuid>,
        resource: &'static str,
    ) -> DomainResult<()> {
        self.authorize_view(owner, resource)?;
        if self.can_manage(owner) {
            Ok(())
        } else {
            Err(DomainError::forbidden(format!(
                "your role may not change this {resource}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            username: role.to_string(),
            role,
            via: AuthMethod::ApiToken { id: Uuid::now_v7() },
        }
    }

    #[test]
    fn admin_sees_and_manages_everything_including_unmanaged() {
        let admin = principal(Role::Admin);
        for owner in [None, Some(Uuid::now_v7()), Some(admin.user_id)] {
            assert!(admin.can_view(owner) && admin.can_manage(owner));
            assert!(admin.authorize_manage(owner, "guest").is_ok());
        }
        assert!(admin.require_admin().is_ok());
    }

    #[test]
    fn operator_sees_and_manages_only_its_own() {
        let op = principal(Role::Operator);
        assert!(op.can_view(Some(op.user_id)) && op.can_manage(Some(op.user_id)));
        let other = Some(Uuid::now_v7());
        assert!(matches!(
            op.authorize_manage(other, "guest"),
            Err(DomainError::NotFound { resource: "guest" })
        ));
        assert!(matches!(
            op.authorize_view(None, "guest"),
            Err(DomainError::NotFound { .. })
        ));
        assert!(op.can_create());
        assert!(matches!(op.require_admin(), Err(DomainError::Forbidden(_))));
    }

    #[test]
    fn readonly_sees_its_own_but_changes_nothing() {
        let ro = principal(Role::Readonly);
        assert!(ro.authorize_view(Some(ro.user_id), "guest").is_ok());
        assert!(matches!(
            ro.authorize_manage(Some(ro.user_id), "guest"),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            ro.authorize_manage(Some(Uuid::now_v7()), "guest"),
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            ro.require_create(),
            Err(DomainError::Forbidden(_))
        ));
    }
}
