//! Sharing a secret: grants (another user may read its value, whatever their role,
//! and sees it in their list as shared) and re-applying a changed secret to the
//! instances that receive it.

use proxicloud_store::{JobActor, Secret, StoreError, Timestamp, Uuid};

use super::VaultService;
use super::injection::submit_apply;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;

/// A user a secret is granted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grantee {
    pub user_id: Uuid,
    pub username: String,
}

impl VaultService {
    /// Who may read the secret besides its owner and admins. Only those who may
    /// change the secret see this list.
    pub async fn grants(
        &self,
        caller: &Principal,
        key: &str,
    ) -> DomainResult<(Secret, Vec<Grantee>)> {
        let secret = self.managed(caller, key).await?;
        let mut grantees = Vec::new();
        for user_id in self.store.secrets().grantees(secret.id).await? {
            match self.store.users().get(user_id).await {
                Ok(user) => grantees.push(Grantee {
                    user_id,
                    username: user.username,
                }),
                Err(StoreError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }
        grantees.sort_by(|a, b| a.username.cmp(&b.username));
        Ok((secret, grantees))
    }

    /// Lets `user` (a username or a user id) read the secret. Idempotent.
    pub async fn grant(
        &self,
        caller: &Principal,
        key: &str,
        user: &str,
    ) -> DomainResult<(Secret, Grantee)> {
        let secret = self.managed(caller, key).await?;
        let grantee = self.user(user).await?;
        if grantee.user_id == secret.owner_id {
            return Err(DomainError::invalid(
                "user",
                "the secret's owner reads it without a grant",
            ));
        }
        self.store
            .secrets()
            .grant(secret.id, grantee.user_id, Timestamp::now())
            .await?;
        Ok((secret, grantee))
    }

    /// Takes a grant back. Idempotent. Instances already receiving the secret keep it
    /// (the grant let their owner choose it; the owner of the secret can delete it).
    pub async fn revoke(
        &self,
        caller: &Principal,
        key: &str,
        user: &str,
    ) -> DomainResult<(Secret, Grantee)> {
        let secret = self.managed(caller, key).await?;
        let grantee = self.user(user).await?;
        self.store
            .secrets()
            .revoke(secret.id, grantee.user_id)
            .await?;
        Ok((secret, grantee))
    }

    async fn user(&self, user: &str) -> DomainResult<Grantee> {
        let found = match Uuid::parse_str(user) {
            Ok(id) => match self.store.users().get(id).await {
                Ok(user) => Some(user),
                Err(StoreError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            Err(_) => self.store.users().find_by_username(user.trim()).await?,
        };
        let user = found.ok_or_else(|| DomainError::invalid("user", "no such user"))?;
        Ok(Grantee {
            user_id: user.id,
            username: user.username,
        })
    }

    /// Queues `instance.secrets.apply` for every instance receiving the secret
    /// (`receiving`, when the caller read it before the secret was deleted). The change
    /// itself is made: a job that cannot be queued is logged, and the instance's
    /// state stays as it was.
    pub(super) async fn reapply(
        &self,
        caller: &Principal,
        secret_id: Uuid,
        receiving: Option<Vec<Uuid>>,
    ) {
        let Some(queue) = &self.queue else {
            return;
        };
        let guests = match receiving {
            Some(guests) => guests,
            None => match self.store.secrets().guests_using(secret_id).await {
                Ok(guests) => guests,
                Err(error) => {
                    tracing::warn!(secret = %secret_id, %error, "could not list the instances receiving a changed secret");
                    return;
                }
            },
        };
        for guest_id in guests {
            let actor = JobActor::User(caller.user_id);
            if let Err(error) = submit_apply(self.store.as_ref(), queue, actor, guest_id).await {
                tracing::warn!(secret = %secret_id, instance = %guest_id, %error, "could not queue re-applying a changed secret");
            }
        }
    }
}
