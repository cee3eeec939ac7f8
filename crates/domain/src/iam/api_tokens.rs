//! API tokens (`pc_…`) for the CLI and infrastructure-as-code: created by their
//! owner, shown once, stored hashed, always with an expiry, revocable.
//!
//! Tokens are personal credentials, not resources: every role (readonly included)
//! manages its own, and a token acts with its owner's current role.
//!
//! Creation is rate-limited per user (a burst of [`CREATION_BURST`], then one every
//! [`CREATION_EVERY`]): a runaway script gets `429` with `Retry-After` instead of
//! filling the database with tokens. Counted in memory per process, like login
//! throttling.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use proxicloud_store::{ApiToken, NewApiToken, PageRequest, Timestamp, Uuid};
use secrecy::SecretString;

use super::authz::Principal;
use super::service::IamService;
use super::tokens::mint_api_token;
use crate::error::{DomainError, DomainResult, FieldErrors};

pub const MAX_TOKEN_NAME_LEN: usize = 64;
pub const DEFAULT_TOKEN_TTL_DAYS: u32 = 90;
pub const MAX_TOKEN_TTL_DAYS: u32 = 3650;
const DAY: Duration = Duration::from_secs(24 * 3600);
const USERS_PER_PAGE: u32 = 500;
/// Tokens one user may create at once before the pace applies.
pub const CREATION_BURST: u32 = 100;
/// After the burst, one token per this long.
pub const CREATION_EVERY: Duration = Duration::from_secs(6);

/// Token creations per user, by the generic cell rate algorithm (`governor`).
pub struct CreationLimit(DefaultKeyedRateLimiter<Uuid>);

impl Default for CreationLimit {
    fn default() -> Self {
        let burst = NonZeroU32::new(CREATION_BURST).expect("non-zero burst");
        let quota = Quota::with_period(CREATION_EVERY)
            .expect("non-zero period")
            .allow_burst(burst);
        Self(DefaultKeyedRateLimiter::keyed(quota))
    }
}

impl CreationLimit {
    fn check(&self, user: Uuid) -> DomainResult<()> {
        self.0.check_key(&user).map_err(|not_until| {
            let retry_after = not_until.wait_time_from(DefaultClock::default().now());
            DomainError::Busy {
                message: format!(
                    "too many API tokens created; try again in {} seconds",
                    crate::error::whole_seconds(retry_after)
                ),
                retry_after,
            }
        })
    }
}

/// A token as listed: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// Leading characters of the secret, to recognise it (`pc_3fa9c1…`).
    pub prefix: String,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl From<&ApiToken> for ApiTokenInfo {
    fn from(token: &ApiToken) -> Self {
        Self {
            id: token.id,
            user_id: token.user_id,
            name: token.name.clone(),
            prefix: token.prefix.clone(),
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
            last_used_at: token.last_used_at,
            created_at: token.created_at,
        }
    }
}

#[derive(Debug)]
pub struct CreateApiToken {
    pub name: String,
    /// `None`: [`DEFAULT_TOKEN_TTL_DAYS`].
    pub expires_in_days: Option<u32>,
}

/// A new token with its secret, which is shown exactly once.
#[derive(Debug)]
pub struct CreatedApiToken {
    pub token: ApiTokenInfo,
    pub secret: SecretString,
}

fn validate(request: &CreateApiToken) -> DomainResult<()> {
    let mut errors = FieldErrors::new();
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_LEN {
        errors.insert(
            "name".into(),
            format!("must be 1 to {MAX_TOKEN_NAME_LEN} characters"),
        );
    } else if name.chars().any(char::is_control) {
        errors.insert("name".into(), "must not contain control characters".into());
    }
    if request
        .expires_in_days
        .is_some_and(|days| days == 0 || days > MAX_TOKEN_TTL_DAYS)
    {
        errors.insert(
            "expires_in_days".into(),
            format!("must be between 1 and {MAX_TOKEN_TTL_DAYS}"),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

impl IamService {
    pub async fn create_api_token(
        &self,
        caller: &Principal,
        request: CreateApiToken,
    ) -> DomainResult<CreatedApiToken> {
        validate(&request)?;
        self.token_creations.check(caller.user_id)?;
        let days = request.expires_in_days.unwrap_or(DEFAULT_TOKEN_TTL_DAYS);
        let minted = mint_api_token();
        let new_token = NewApiToken {
            user_id: caller.user_id,
            name: request.name.trim().to_owned(),
            prefix: minted.display_prefix,
            token_hash: minted.hash,
            expires_at: Some(Timestamp::now() + DAY * days),
        };
        let token = self.store.api_tokens().insert(new_token).await?;
        Ok(CreatedApiToken {
            token: ApiTokenInfo::from(&token),
            secret: minted.secret,
        })
    }

    /// The caller's own tokens, newest first; an admin sees everyone's.
    pub async fn list_api_tokens(&self, caller: &Principal) -> DomainResult<Vec<ApiTokenInfo>> {
        let repo = self.store.api_tokens();
        if !caller.is_admin() {
            let tokens = repo.list_by_user(caller.user_id).await?;
            return Ok(tokens.iter().map(ApiTokenInfo::from).collect());
        }
        // The store lists tokens per user only; walking the users is fine at the
        // scale of a control plane's accounts.
        let mut all = Vec::new();
        let mut page = PageRequest::first(USERS_PER_PAGE);
        loop {
            let users = self.store.users().list(page).await?;
            for user in &users.items {
                all.extend(
                    repo.list_by_user(user.id)
                        .await?
                        .iter()
                        .map(ApiTokenInfo::from),
                );
            }
            match users.next {
                Some(cursor) => page = PageRequest::after(cursor, USERS_PER_PAGE),
                None => break,
            }
        }
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(all)
    }

    /// Revokes one token: the owner's own, or any as admin. Other people's tokens are
    /// reported as not found.
    pub async fn revoke_api_token(
        &self,
        caller: &Principal,
        id: Uuid,
    ) -> DomainResult<ApiTokenInfo> {
        let repo = self.store.api_tokens();
        let token = repo
            .get(id)
            .await
            .map_err(DomainError::not_found_as("API token"))?;
        if token.user_id != caller.user_id && !caller.is_admin() {
            return Err(DomainError::NotFound {
                resource: "API token",
            });
        }
        let now = Timestamp::now();
        repo.revoke(id, now)
            .await
            .map_err(DomainError::not_found_as("API token"))?;
        self.credentials.forget_api_token(id);
        Ok(ApiTokenInfo {
            revoked_at: Some(token.revoked_at.unwrap_or(now)),
            ..ApiTokenInfo::from(&token)
        })
    }

    pub(super) async fn revoke_all_api_tokens(&self, user: Uuid) -> DomainResult<()> {
        let repo = self.store.api_tokens();
        let now = Timestamp::now();
        for token in repo.list_by_user(user).await? {
            if token.revoked_at.is_none() {
                repo.revoke(token.id, now).await?;
                self.credentials.forget_api_token(token.id);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str, days: Option<u32>) -> CreateApiToken {
        CreateApiToken {
            name: name.into(),
            expires_in_days: days,
        }
    }

    #[test]
    fn token_requests_need_a_name_and_a_sane_expiry() {
        assert!(validate(&request("ci", None)).is_ok());
        assert!(validate(&request("terraform", Some(MAX_TOKEN_TTL_DAYS))).is_ok());
        let Err(DomainError::Validation(fields)) = validate(&request("  ", Some(0))) else {
            panic!("blank name and zero days must be refused");
        };
        assert!(fields.contains_key("name") && fields.contains_key("expires_in_days"));
        assert!(validate(&request("bell\u{7}", None)).is_err());
    }
}
