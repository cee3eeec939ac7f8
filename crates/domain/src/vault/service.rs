//! `VaultService`: create, list, reveal (the audited read of a value), update,
//! versions, rollback, delete and grants. Who may do what:
//! - see a secret's metadata: its owner, admins, and users it is granted to;
//! - read its value: admins, its owner unless readonly, and grantees (whatever role);
//! - change it (value, metadata, rollback, grants, delete): its owner unless readonly,
//!   and admins.
//!
//! Every value is sealed with the master key bound to `secret:<id>:v<version>`, so a
//! sealed value copied to another secret or version does not open.

use std::sync::Arc;

use proxicloud_store::{
    NewSecret, Page, PageRequest, Role, Secret, SecretChanges, SecretFilter, Store, StoreError,
    Timestamp, Uuid, constraints,
};
use secrecy::{ExposeSecret, SecretString};

use super::VaultConfig;
use super::rules::{clean_tags, description_problem, name_problem, value_problem};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::jobs::JobQueue;
use crate::secrets::MasterKey;

pub(super) const RESOURCE: &str = "secret";
/// Concurrent writers of one secret retry this often before giving up with a conflict.
const UPDATE_ATTEMPTS: usize = 3;

pub struct CreateSecret {
    pub name: String,
    pub value: SecretString,
    pub description: String,
    pub tags: Vec<String>,
}

/// `None` keeps a field as it is; a value makes a new version.
#[derive(Default)]
pub struct UpdateSecret {
    pub value: Option<SecretString>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// A secret and its current value, for the one read that returns it.
pub struct RevealedSecret {
    pub secret: Secret,
    pub value: SecretString,
}

/// A kept version (its value stays sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: u32,
    pub created_at: Timestamp,
    pub current: bool,
}

pub struct VaultService {
    pub(super) store: Arc<dyn Store>,
    master_key: Arc<MasterKey>,
    config: VaultConfig,
    /// Re-applies a changed secret to the instances receiving it (absent in unit
    /// tests of the vault alone).
    pub(super) queue: Option<JobQueue>,
}

fn seal_context(id: Uuid, version: u32) -> String {
    format!("secret:{id}:v{version}")
}

fn name_taken(name: &str) -> impl FnOnce(StoreError) -> DomainError + '_ {
    move |error| match error {
        StoreError::Conflict { constraint } if constraint == constraints::SECRET_NAME => {
            DomainError::conflict(
                "secret_name_taken",
                format!("you already have a secret named '{name}'"),
            )
        }
        other => other.into(),
    }
}

impl VaultService {
    pub fn new(store: Arc<dyn Store>, master_key: Arc<MasterKey>, config: VaultConfig) -> Self {
        Self {
            store,
            master_key,
            config,
            queue: None,
        }
    }

    /// Changes of a value re-apply the secret to the instances receiving it.
    pub fn with_queue(mut self, queue: JobQueue) -> Self {
        self.queue = Some(queue);
        self
    }

    pub async fn create(&self, caller: &Principal, request: CreateSecret) -> DomainResult<Secret> {
        caller.require_create()?;
        let mut errors = FieldErrors::new();
        let name = request.name.trim().to_owned();
        if let Some(problem) = name_problem(&name) {
            errors.insert("name".into(), problem);
        }
        if let Some(problem) = value_problem(&request.value) {
            errors.insert("value".into(), problem);
        }
        let description = request.description.trim().to_owned();
        if let Some(problem) = description_problem(&description) {
            errors.insert("description".into(), problem);
        }
        let tags = clean_tags(request.tags, &mut errors);
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let id = Uuid::now_v7();
        let new = NewSecret {
            id,
            owner_id: caller.user_id,
            name: name.clone(),
            description,
            tags,
            value_sealed: self.seal(id, 1, &request.value),
        };
        self.store
            .secrets()
            .insert(new, Timestamp::now())
            .await
            .map_err(name_taken(&name))
    }

    /// The caller's secrets and those granted to it (everyone's for an admin), by
    /// name; never values.
    pub async fn list(
        &self,
        caller: &Principal,
        name_contains: Option<String>,
        page: PageRequest,
    ) -> DomainResult<Page<Secret>> {
        let filter = SecretFilter {
            owner_id: (!caller.is_admin()).then_some(caller.user_id),
            with_granted: true,
            name_contains,
        };
        Ok(self.store.secrets().list(&filter, page).await?)
    }

    /// A secret by the caller's name for it, or by id (any secret the caller may see).
    pub async fn resolve(&self, caller: &Principal, key: &str) -> DomainResult<Secret> {
        let not_found = || DomainError::NotFound { resource: RESOURCE };
        let secret = match Uuid::parse_str(key) {
            Ok(id) => match self.store.secrets().get(id).await {
                Ok(secret) => secret,
                Err(StoreError::NotFound) => return Err(not_found()),
                Err(other) => return Err(other.into()),
            },
            Err(_) => self
                .store
                .secrets()
                .find_by_name(caller.user_id, key)
                .await?
                .ok_or_else(not_found)?,
        };
        if caller.can_view(Some(secret.owner_id)) || self.is_grantee(caller, &secret).await? {
            Ok(secret)
        } else {
            Err(not_found())
        }
    }

    pub(super) async fn is_grantee(
        &self,
        caller: &Principal,
        secret: &Secret,
    ) -> DomainResult<bool> {
        let grantees = self.store.secrets().grantees(secret.id).await?;
        Ok(grantees.contains(&caller.user_id))
    }

    /// The current value. The API records every call as an access in the audit log.
    pub async fn reveal(&self, caller: &Principal, key: &str) -> DomainResult<RevealedSecret> {
        let secret = self.resolve(caller, key).await?;
        self.reveal_resolved(caller, secret).await
    }

    /// [`Self::reveal`] of a secret `resolve` already found for `caller` (the API
    /// resolves first to name the secret in the audit entry, allowed or not).
    pub async fn reveal_resolved(
        &self,
        caller: &Principal,
        secret: Secret,
    ) -> DomainResult<RevealedSecret> {
        if !self.may_read(caller, &secret).await? {
            return Err(DomainError::forbidden(
                "the readonly role may not read secret values unless the secret is granted to you",
            ));
        }
        let value = self.open(&secret, secret.version).await?;
        Ok(RevealedSecret { secret, value })
    }

    /// Admins, the owner unless readonly, and grantees (whatever their role).
    pub async fn may_read(&self, caller: &Principal, secret: &Secret) -> DomainResult<bool> {
        Ok(caller.is_admin()
            || (secret.owner_id == caller.user_id && caller.role != Role::Readonly)
            || self.is_grantee(caller, secret).await?)
    }

    /// The current value of a secret, for the platform's own use (injection).
    pub async fn current_value(&self, secret: &Secret) -> DomainResult<SecretString> {
        self.open(secret, secret.version).await
    }

    async fn open(&self, secret: &Secret, version: u32) -> DomainResult<SecretString> {
        let sealed = self
            .store
            .secrets()
            .get_version(secret.id, version)
            .await
            .map_err(DomainError::not_found_as("secret version"))?;
        self.master_key
            .open(&sealed.value_sealed, &seal_context(secret.id, version))
            .map_err(|error| DomainError::Internal(error.to_string()))
    }

    fn seal(&self, id: Uuid, version: u32, value: &SecretString) -> Vec<u8> {
        self.master_key
            .seal(value.expose_secret().as_bytes(), &seal_context(id, version))
    }

    pub(super) async fn managed(&self, caller: &Principal, key: &str) -> DomainResult<Secret> {
        let secret = self.resolve(caller, key).await?;
        if !caller.can_manage(Some(secret.owner_id)) {
            return Err(DomainError::forbidden(
                "your role may not change this secret",
            ));
        }
        Ok(secret)
    }

    pub async fn update(
        &self,
        caller: &Principal,
        key: &str,
        request: UpdateSecret,
    ) -> DomainResult<Secret> {
        let secret = self.managed(caller, key).await?;
        let mut errors = FieldErrors::new();
        if let Some(problem) = request.value.as_ref().and_then(value_problem) {
            errors.insert("value".into(), problem);
        }
        let description = request.description.map(|d| d.trim().to_owned());
        if let Some(problem) = description.as_deref().and_then(description_problem) {
            errors.insert("description".into(), problem);
        }
        let tags = request.tags.map(|tags| clean_tags(tags, &mut errors));
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let changes = SecretChanges {
            description,
            tags,
            value_sealed: None,
        };
        let updated = self.write(secret, changes, request.value.as_ref()).await?;
        if request.value.is_some() {
            self.reapply(caller, updated.id, None).await;
        }
        Ok(updated)
    }

    /// Makes an old version's value current again, as a new version.
    pub async fn rollback(
        &self,
        caller: &Principal,
        key: &str,
        version: u32,
    ) -> DomainResult<Secret> {
        let secret = self.managed(caller, key).await?;
        if version == secret.version {
            return Err(DomainError::invalid(
                "version",
                format!("version {version} is already the current one"),
            ));
        }
        let value = match self.open(&secret, version).await {
            Err(DomainError::NotFound { .. }) => {
                return Err(DomainError::invalid(
                    "version",
                    format!("version {version} does not exist or is no longer kept"),
                ));
            }
            other => other?,
        };
        let rolled = self
            .write(secret, SecretChanges::default(), Some(&value))
            .await?;
        self.reapply(caller, rolled.id, None).await;
        Ok(rolled)
    }

    /// Applies changes with optimistic concurrency: a value is sealed for the version
    /// it will have, so a writer that lost the race reseals for the next one.
    async fn write(
        &self,
        mut secret: Secret,
        changes: SecretChanges,
        value: Option<&SecretString>,
    ) -> DomainResult<Secret> {
        for _ in 0..UPDATE_ATTEMPTS {
            let mut update = changes.clone();
            update.value_sealed = value.map(|v| self.seal(secret.id, secret.version + 1, v));
            let result = self
                .store
                .secrets()
                .update(
                    secret.id,
                    secret.version,
                    update,
                    self.config.keep_versions,
                    Timestamp::now(),
                )
                .await;
            match result {
                Ok(updated) => return Ok(updated),
                Err(StoreError::Stale(_)) => {
                    secret = self
                        .store
                        .secrets()
                        .get(secret.id)
                        .await
                        .map_err(DomainError::not_found_as(RESOURCE))?;
                }
                Err(other) => return Err(DomainError::not_found_as(RESOURCE)(other)),
            }
        }
        Err(DomainError::conflict(
            "secret_busy",
            "the secret is being changed by someone else; try again",
        ))
    }

    /// The kept versions, newest first (values stay sealed).
    pub async fn versions(
        &self,
        caller: &Principal,
        key: &str,
    ) -> DomainResult<(Secret, Vec<VersionInfo>)> {
        let secret = self.resolve(caller, key).await?;
        let versions = self.store.secrets().versions(secret.id).await?;
        let infos = versions
            .into_iter()
            .map(|v| VersionInfo {
                version: v.version,
                created_at: v.created_at,
                current: v.version == secret.version,
            })
            .collect();
        Ok((secret, infos))
    }

    pub async fn delete(&self, caller: &Principal, key: &str) -> DomainResult<Secret> {
        let secret = self.managed(caller, key).await?;
        let receiving = self.store.secrets().guests_using(secret.id).await?;
        self.store
            .secrets()
            .delete(secret.id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        self.reapply(caller, secret.id, Some(receiving)).await;
        Ok(secret)
    }
}
