//! Sessions: login, refresh-token rotation with reuse detection, logout.
//!
//! A session is a family of refresh tokens. Login starts a family; every refresh
//! replaces the presented token with a new one in the same family. Presenting a token
//! that was already replaced means two parties hold it — one of them stole it — so the
//! whole family is revoked and both must log in again.

use std::net::IpAddr;

use proxicloud_store::{NewRefreshToken, StoreError, Timestamp, User, Uuid};
use secrecy::{ExposeSecret, SecretString};

use super::access_token::ACCESS_TOKEN_TTL_SECS;
use super::authz::{AuthMethod, Principal};
use super::service::{IamService, unix_seconds, verify_in_background};
use super::tokens::{hash_token, mint_refresh_token};
use super::users::UserInfo;
use crate::error::{DomainError, DomainResult};

/// What a login or refresh hands to the client. The secrets are shown once.
#[derive(Debug)]
pub struct IssuedSession {
    pub user: UserInfo,
    /// The refresh-token family; also the `sid` claim of the access token.
    pub session_id: Uuid,
    pub access_token: SecretString,
    pub access_expires_at: Timestamp,
    pub refresh_token: SecretString,
    pub refresh_expires_at: Timestamp,
}

impl IamService {
    /// Checks the password and starts a session. Failures are counted per username
    /// and per source address; past the limit every attempt is `Throttled`, even with
    /// the right password, until the window passes.
    pub async fn login(
        &self,
        username: &str,
        password: SecretString,
        source: IpAddr,
    ) -> DomainResult<IssuedSession> {
        self.throttle
            .check(username, source)
            .map_err(|t| DomainError::Throttled {
                retry_after: t.retry_after,
            })?;
        let user = self.store.users().find_by_username(username).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        if !verify_in_background(password, hash).await? {
            self.throttle.record_failure(username, source);
            return Err(DomainError::InvalidCredentials);
        }
        let user = user.expect("a verified password belongs to an existing user");
        if user.disabled {
            return Err(DomainError::AccountDisabled);
        }
        self.throttle.record_success(username);
        self.start_session(&user).await
    }

    /// A new session (refresh-token family) for `user`, as after a login.
    pub(super) async fn start_session(&self, user: &User) -> DomainResult<IssuedSession> {
        let now = Timestamp::now();
        let minted = mint_refresh_token();
        let new_token = NewRefreshToken {
            user_id: user.id,
            token_hash: minted.hash,
            expires_at: now + self.config.refresh_token_ttl,
        };
        let stored = self.store.refresh_tokens().insert(new_token).await?;
        Ok(self.issue(
            user,
            stored.family_id,
            minted.secret,
            stored.expires_at,
            now,
        ))
    }

    fn issue(
        &self,
        user: &User,
        family: Uuid,
        refresh_token: SecretString,
        refresh_expires_at: Timestamp,
        now: Timestamp,
    ) -> IssuedSession {
        let issued_at = unix_seconds(now);
        let access = self.access_keys.issue(
            &user.id.to_string(),
            user.role.as_str(),
            &family.to_string(),
            issued_at,
        );
        IssuedSession {
            user: UserInfo::from(user),
            session_id: family,
            access_token: SecretString::from(access),
            access_expires_at: Timestamp::from_unix_micros(
                (issued_at + ACCESS_TOKEN_TTL_SECS) * 1_000_000,
            )
            .expect("fifteen minutes from now is representable"),
            refresh_token,
            refresh_expires_at,
        }
    }

    /// Exchanges a refresh token for a new access token and a new refresh token.
    pub async fn refresh(&self, refresh_token: &SecretString) -> DomainResult<IssuedSession> {
        let now = Timestamp::now();
        let repo = self.store.refresh_tokens();
        let presented = repo
            .find_by_hash(&hash_token(refresh_token.expose_secret()))
            .await?
            .ok_or(DomainError::Unauthenticated)?;
        if presented.replaced_by.is_some() && presented.revoked_at.is_none() {
            tracing::warn!(
                user_id = %presented.user_id,
                session = %presented.family_id,
                "refresh token reused after rotation; revoking the whole session"
            );
            self.end_session(presented.family_id, now).await?;
            return Err(DomainError::Unauthenticated);
        }
        if !presented.is_usable(now) {
            return Err(DomainError::Unauthenticated);
        }
        let user = match self.active_user(presented.user_id).await {
            Ok(user) => user,
            Err(error) => {
                self.end_session(presented.family_id, now).await?;
                return Err(error);
            }
        };
        let minted = mint_refresh_token();
        let expires_at = now + self.config.refresh_token_ttl;
        match repo
            .rotate(presented.id, &minted.hash, expires_at, now)
            .await
        {
            Ok(next) => Ok(self.issue(&user, next.family_id, minted.secret, next.expires_at, now)),
            // A concurrent refresh with the same token won the race; this one lost.
            Err(StoreError::Stale(_)) => Err(DomainError::Unauthenticated),
            Err(other) => Err(other.into()),
        }
    }

    /// Ends the caller's session: its refresh tokens stop working and its access
    /// tokens are refused from now on. API tokens have no session to end.
    pub async fn logout(&self, principal: &Principal) -> DomainResult<()> {
        match principal.via {
            AuthMethod::Session { sid } => self.end_session(sid, Timestamp::now()).await,
            AuthMethod::ApiToken { .. } => Err(DomainError::BadRequest {
                code: "not_a_session",
                message: "API tokens have no session to log out of; revoke the token instead"
                    .into(),
            }),
        }
    }

    /// Ends the session a refresh token belongs to (a client whose access token has
    /// already expired can still log out). Unknown tokens are `Unauthenticated`.
    pub async fn logout_with_refresh_token(
        &self,
        refresh_token: &SecretString,
    ) -> DomainResult<()> {
        let token = self
            .store
            .refresh_tokens()
            .find_by_hash(&hash_token(refresh_token.expose_secret()))
            .await?
            .ok_or(DomainError::Unauthenticated)?;
        self.end_session(token.family_id, Timestamp::now()).await
    }

    async fn end_session(&self, family: Uuid, now: Timestamp) -> DomainResult<()> {
        self.store
            .refresh_tokens()
            .revoke_family(family, now)
            .await?;
        self.revocations.revoke_session(family);
        Ok(())
    }

    /// Revokes every session of `user`. A session started afterwards is unaffected.
    pub(super) async fn end_all_sessions(&self, user: Uuid) -> DomainResult<()> {
        // Every caller changed the user (deleted, disabled, new password).
        self.credentials.forget_user(user);
        let now = Timestamp::now();
        self.store
            .refresh_tokens()
            .revoke_all_for_user(user, now)
            .await?;
        self.revocations.revoke_user(user, unix_seconds(now));
        Ok(())
    }
}
