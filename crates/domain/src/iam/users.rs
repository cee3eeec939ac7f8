//! User administration (admin only) and self-service password changes.

use std::net::IpAddr;

use proxicloud_store::{
    NewUser, Page, PageRequest, Role, StoreError, Timestamp, User, UserChanges, Uuid, constraints,
};
use secrecy::SecretString;

use super::authz::{AuthMethod, Principal};
use super::password::check_policy;
use super::service::{IamService, generate_password, hash_in_background, verify_in_background};
use super::sessions::IssuedSession;
use crate::error::{DomainError, DomainResult, FieldErrors};

const MAX_USERNAME_LEN: usize = 64;

/// A user as shown to clients: everything but the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<&User> for UserInfo {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            role: user.role,
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug)]
pub struct CreateUser {
    pub username: String,
    /// `None`: generate one and return it once.
    pub password: Option<SecretString>,
    pub role: Role,
}

/// A partial update by an admin; `None` leaves a field unchanged.
#[derive(Debug, Default)]
pub struct UpdateUser {
    pub username: Option<String>,
    pub role: Option<Role>,
}

/// A user account with a password the admin must pass on (generated ones only).
#[derive(Debug)]
pub struct UserWithPassword {
    pub user: UserInfo,
    pub generated_password: Option<SecretString>,
}

/// Letters, digits and `.`, `_`, `-`, `@`, starting with a letter or digit, so names
/// are safe in URLs, logs and CSV without quoting surprises.
pub fn validate_username(username: &str) -> Result<(), String> {
    let mut chars = username.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if username.is_empty() || username.len() > MAX_USERNAME_LEN {
        Err(format!("must be 1 to {MAX_USERNAME_LEN} characters"))
    } else if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        Err("may contain only letters, digits, '.', '_', '-' and '@', and must start with a letter or digit".into())
    } else {
        Ok(())
    }
}

fn check_password_field(field: &str, password: &SecretString, errors: &mut FieldErrors) {
    if let Err(e) = check_policy(password) {
        errors.insert(field.to_owned(), e.to_string());
    }
}

fn username_taken(error: StoreError) -> DomainError {
    match error {
        StoreError::Conflict { constraint } if constraint == constraints::USERNAME => {
            DomainError::conflict("username_taken", "a user with this username already exists")
        }
        other => DomainError::not_found_as("user")(other),
    }
}

impl IamService {
    /// The caller's own account.
    pub async fn whoami(&self, caller: &Principal) -> DomainResult<UserInfo> {
        Ok(UserInfo::from(&self.active_user(caller.user_id).await?))
    }

    pub async fn list_users(
        &self,
        caller: &Principal,
        page: PageRequest,
    ) -> DomainResult<Page<UserInfo>> {
        caller.require_admin()?;
        let page = self.store.users().list(page).await?;
        Ok(Page {
            items: page.items.iter().map(UserInfo::from).collect(),
            next: page.next,
        })
    }

    pub async fn get_user(&self, caller: &Principal, id: Uuid) -> DomainResult<UserInfo> {
        caller.require_admin()?;
        Ok(UserInfo::from(&self.user(id).await?))
    }

    pub async fn create_user(
        &self,
        caller: &Principal,
        request: CreateUser,
    ) -> DomainResult<UserWithPassword> {
        caller.require_admin()?;
        let mut errors = FieldErrors::new();
        if let Err(message) = validate_username(&request.username) {
            errors.insert("username".into(), message);
        }
        if let Some(password) = &request.password {
            check_password_field("password", password, &mut errors);
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let generated = request.password.is_none();
        let password = request.password.unwrap_or_else(generate_password);
        let new_user = NewUser {
            username: request.username,
            password_hash: hash_in_background(password.clone()).await?,
            role: request.role,
            disabled: false,
        };
        let user = self
            .store
            .users()
            .create(new_user)
            .await
            .map_err(username_taken)?;
        Ok(UserWithPassword {
            user: UserInfo::from(&user),
            generated_password: generated.then_some(password),
        })
    }

    pub async fn update_user(
        &self,
        caller: &Principal,
        id: Uuid,
        update: UpdateUser,
    ) -> DomainResult<UserInfo> {
        caller.require_admin()?;
        if let Some(Err(message)) = update.username.as_deref().map(validate_username) {
            return Err(DomainError::invalid("username", message));
        }
        let user = self.user(id).await?;
        if update.role.is_some_and(|role| role != Role::Admin) {
            self.ensure_not_last_admin(&user, "demote").await?;
        }
        let changes = UserChanges {
            username: update.username,
            role: update.role,
            ..UserChanges::default()
        };
        let updated = self
            .store
            .users()
            .update(id, changes)
            .await
            .map_err(username_taken)?;
        self.credentials.forget_user(id);
        Ok(UserInfo::from(&updated))
    }

    pub async fn delete_user(&self, caller: &Principal, id: Uuid) -> DomainResult<UserInfo> {
        caller.require_admin()?;
        if id == caller.user_id {
            return Err(DomainError::conflict(
                "cannot_delete_self",
                "you cannot delete your own account",
            ));
        }
        let user = self.user(id).await?;
        self.ensure_not_last_admin(&user, "delete").await?;
        self.store
            .users()
            .delete(id)
            .await
            .map_err(DomainError::not_found_as("user"))?;
        self.end_all_sessions(id).await?;
        Ok(UserInfo::from(&user))
    }

    /// Disabling ends every session and revokes every API token of the user at once.
    pub async fn set_user_disabled(
        &self,
        caller: &Principal,
        id: Uuid,
        disabled: bool,
    ) -> DomainResult<UserInfo> {
        caller.require_admin()?;
        let user = self.user(id).await?;
        if disabled {
            if id == caller.user_id {
                return Err(DomainError::conflict(
                    "cannot_disable_self",
                    "you cannot disable your own account",
                ));
            }
            self.ensure_not_last_admin(&user, "disable").await?;
        }
        let changes = UserChanges {
            disabled: Some(disabled),
            ..UserChanges::default()
        };
        let updated = self
            .store
            .users()
            .update(id, changes)
            .await
            .map_err(DomainError::not_found_as("user"))?;
        if disabled {
            self.end_all_sessions(id).await?;
            self.revoke_all_api_tokens(id).await?;
        }
        Ok(UserInfo::from(&updated))
    }

    /// Sets a new password (given, or generated and returned once) and ends the
    /// user's sessions: whoever knew the old password is logged out.
    pub async fn reset_password(
        &self,
        caller: &Principal,
        id: Uuid,
        password: Option<SecretString>,
    ) -> DomainResult<UserWithPassword> {
        caller.require_admin()?;
        // Resetting skips the current-password check that `/me/password` makes: a
        // stolen admin session must not be able to take over the account for good.
        if id == caller.user_id {
            return Err(DomainError::conflict(
                "cannot_reset_own_password",
                "change your own password with POST /api/v1/me/password, which asks for the current one",
            ));
        }
        if let Some(password) = &password {
            let mut errors = FieldErrors::new();
            check_password_field("password", password, &mut errors);
            if !errors.is_empty() {
                return Err(DomainError::Validation(errors));
            }
        }
        self.user(id).await?;
        let generated = password.is_none();
        let password = password.unwrap_or_else(generate_password);
        let changes = UserChanges {
            password_hash: Some(hash_in_background(password.clone()).await?),
            ..Default::default()
        };
        let updated = self
            .store
            .users()
            .update(id, changes)
            .await
            .map_err(DomainError::not_found_as("user"))?;
        self.end_all_sessions(id).await?;
        Ok(UserWithPassword {
            user: UserInfo::from(&updated),
            generated_password: generated.then_some(password),
        })
    }

    /// Changes the caller's own password. Every session of the caller ends; when the
    /// caller used a session, it gets a fresh one back so it stays logged in while
    /// every *other* session is logged out. Wrong current passwords count as failed
    /// logins (throttled alike), so this is no side door for guessing.
    pub async fn change_own_password(
        &self,
        caller: &Principal,
        current: SecretString,
        new: SecretString,
        source: IpAddr,
    ) -> DomainResult<Option<IssuedSession>> {
        let mut errors = FieldErrors::new();
        check_password_field("new_password", &new, &mut errors);
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        self.throttle
            .check(&caller.username, source)
            .map_err(|t| DomainError::Throttled {
                retry_after: t.retry_after,
            })?;
        let user = self.active_user(caller.user_id).await?;
        if !verify_in_background(current, Some(user.password_hash.clone())).await? {
            self.throttle.record_failure(&caller.username, source);
            return Err(DomainError::invalid(
                "current_password",
                "is not your current password",
            ));
        }
        let changes = UserChanges {
            password_hash: Some(hash_in_background(new).await?),
            ..Default::default()
        };
        let updated = self.store.users().update(user.id, changes).await?;
        self.end_all_sessions(user.id).await?;
        match caller.via {
            AuthMethod::Session { .. } => Ok(Some(self.start_session(&updated).await?)),
            AuthMethod::ApiToken { .. } => Ok(None),
        }
    }

    async fn user(&self, id: Uuid) -> DomainResult<User> {
        self.store
            .users()
            .get(id)
            .await
            .map_err(DomainError::not_found_as("user"))
    }

    /// Refuses to remove the last enabled admin (nobody could administer the system).
    async fn ensure_not_last_admin(&self, user: &User, verb: &str) -> DomainResult<()> {
        let is_active_admin = user.role == Role::Admin && !user.disabled;
        if is_active_admin && self.store.users().count_active_admins().await? <= 1 {
            return Err(DomainError::conflict(
                "last_admin",
                format!("cannot {verb} the last enabled admin; make another user admin first"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_restricted_to_a_safe_alphabet() {
        for good in [
            "admin",
            "alice.smith",
            "bob_2",
            "ops-team",
            "carol@example.org",
            "X",
        ] {
            assert!(validate_username(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "has space",
            "semi;colon",
            "ünïcode",
            &"a".repeat(65),
        ] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }
}
