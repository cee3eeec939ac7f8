//! Secrets as environment variables of instances (`PUT/GET
//! /api/v1/instances/{id}/secrets`, and launch's `secrets`). The list of secrets an
//! instance receives lives in the database; the job `instance.secrets.apply`
//! ([`super::inject_job`]) writes their current values into the container's `env`
//! through the Proxmox API, and runs again for every instance using a secret whenever
//! its value changes, it is rolled back, or it is deleted.
//!
//! Where it cannot be done honestly it is refused with `409
//! secrets_injection_unsupported`: VMs (Proxmox has no environment for a VM; writing
//! `/etc/environment.d/proxicloud.conf` needs SSH into the guest, which ProxiCloud does
//! not have) and containers on Proxmox VE older than 9.1 (no `env` option).

use std::sync::Arc;

use proxicloud_pve::GuestType;
use proxicloud_store::{
    Guest, InjectionState, JobActor, JobStep, NewJob, STATUS_CREATING, Secret, Store, Timestamp,
    Uuid,
};
use serde::{Deserialize, Serialize};

use super::VaultService;
use super::environment::ENV_SINCE;
use crate::clusters::PveConnector;
use crate::console::version_at_least;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::{JobQueue, Submitted};

pub const APPLY_KIND: &str = "instance.secrets.apply";
pub const APPLY_STEP: &str = "apply";
/// At most this many secrets per instance.
pub const MAX_SECRETS_PER_INSTANCE: usize = 64;
pub const UNSUPPORTED: &str = "secrets_injection_unsupported";
const RESOURCE: &str = "instance";

pub mod status {
    pub const PENDING: &str = "pending";
    pub const APPLIED: &str = "applied";
    pub const FAILED: &str = "failed";
}

/// What an apply job carries: which instance (the values are read when it runs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApplyJob {
    pub guest_id: Uuid,
}

/// The secrets an instance receives (names only leave this module).
pub struct InstanceSecrets {
    pub secrets: Vec<Secret>,
    pub state: Option<InjectionState>,
}

pub struct SecretInjection {
    store: Arc<dyn Store>,
    queue: JobQueue,
    connector: Arc<dyn PveConnector>,
    vault: Arc<VaultService>,
}

/// Queues `instance.secrets.apply` for one instance and marks it pending.
pub(super) async fn submit_apply(
    store: &dyn Store,
    queue: &JobQueue,
    actor: JobActor,
    guest_id: Uuid,
) -> DomainResult<Submitted> {
    let job = NewJob {
        resource_kind: Some(RESOURCE.to_owned()),
        resource_id: Some(guest_id.to_string()),
        params: serde_json::to_value(ApplyJob { guest_id }).expect("apply jobs serialise"),
        ..NewJob::new(APPLY_KIND, actor, vec![JobStep::pending(APPLY_STEP)])
    };
    let submitted = queue.submit(job).await?;
    let managed = store
        .secrets()
        .injection_state(guest_id)
        .await?
        .map(|s| s.managed)
        .unwrap_or_default();
    let state = InjectionState {
        guest_id,
        status: status::PENDING.into(),
        reason: None,
        managed,
        updated_at: Timestamp::now(),
    };
    store.secrets().put_injection_state(&state).await?;
    Ok(submitted)
}

impl SecretInjection {
    pub fn new(
        store: Arc<dyn Store>,
        queue: JobQueue,
        connector: Arc<dyn PveConnector>,
        vault: Arc<VaultService>,
    ) -> Self {
        Self {
            store,
            queue,
            connector,
            vault,
        }
    }

    /// The secrets the instance receives, and where applying them stands.
    pub async fn get(
        &self,
        caller: &Principal,
        instance_id: Uuid,
    ) -> DomainResult<InstanceSecrets> {
        let guest = load_live_guest(self.store.as_ref(), instance_id).await?;
        caller.authorize_view(guest.owner_id, RESOURCE)?;
        Ok(InstanceSecrets {
            secrets: self.store.secrets().guest_secrets(guest.id).await?,
            state: self.store.secrets().injection_state(guest.id).await?,
        })
    }

    /// Makes `keys` (the caller's secret names, or ids of secrets it may read) the
    /// instance's whole list and queues the job that applies it.
    pub async fn set(
        &self,
        caller: &Principal,
        instance_id: Uuid,
        keys: &[String],
    ) -> DomainResult<(InstanceSecrets, Submitted)> {
        let guest = load_live_guest(self.store.as_ref(), instance_id).await?;
        caller.authorize_manage(guest.owner_id, RESOURCE)?;
        let secrets = self.resolve(caller, keys).await?;
        if guest.observed.status == STATUS_CREATING {
            return Err(DomainError::conflict(
                "instance_not_ready",
                "the instance is still being created",
            ));
        }
        if !secrets.is_empty() {
            self.require_support(caller, &guest).await?;
        }
        let ids: Vec<Uuid> = secrets.iter().map(|s| s.id).collect();
        self.store
            .secrets()
            .set_guest_secrets(guest.id, &ids)
            .await?;
        let submitted = submit_apply(
            self.store.as_ref(),
            &self.queue,
            JobActor::User(caller.user_id),
            guest.id,
        )
        .await?;
        Ok((self.get(caller, instance_id).await?, submitted))
    }

    /// The secrets `keys` name, each readable by the caller, with distinct names
    /// (each becomes one variable).
    pub async fn resolve(&self, caller: &Principal, keys: &[String]) -> DomainResult<Vec<Secret>> {
        if keys.len() > MAX_SECRETS_PER_INSTANCE {
            return Err(DomainError::invalid(
                "secrets",
                format!("at most {MAX_SECRETS_PER_INSTANCE} secrets per instance"),
            ));
        }
        let mut secrets: Vec<Secret> = Vec::with_capacity(keys.len());
        for key in keys {
            let secret = match self.vault.resolve(caller, key.trim()).await {
                Err(DomainError::NotFound { .. }) => {
                    return Err(DomainError::invalid(
                        "secrets",
                        format!("you have no secret '{key}'"),
                    ));
                }
                other => other?,
            };
            if !self.vault.may_read(caller, &secret).await? {
                return Err(DomainError::forbidden(format!(
                    "you may not read secret '{}', so you may not give it to an instance",
                    secret.name
                )));
            }
            if secrets.iter().any(|s| s.id == secret.id) {
                continue;
            }
            if secrets.iter().any(|s| s.name == secret.name) {
                return Err(DomainError::invalid(
                    "secrets",
                    format!(
                        "two secrets are named '{}': an instance receives each name once",
                        secret.name
                    ),
                ));
            }
            secrets.push(secret);
        }
        secrets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(secrets)
    }

    /// A container on Proxmox VE 9.1 or later; anything else is a `409`.
    pub async fn require_support(&self, caller: &Principal, guest: &Guest) -> DomainResult<()> {
        if guest.observed.kind == GuestType::Qemu {
            return Err(DomainError::conflict(
                UNSUPPORTED,
                "secrets reach only containers: Proxmox VE has no environment for a VM, and \
                 writing /etc/environment.d/proxicloud.conf needs SSH into the guest, which \
                 ProxiCloud does not do",
            ));
        }
        require_env_support(self.connector.as_ref(), caller, guest.cluster_id).await
    }
}

/// The cluster's Proxmox VE has the LXC `env` option (9.1+).
pub async fn require_env_support(
    connector: &dyn PveConnector,
    caller: &Principal,
    cluster_id: Uuid,
) -> DomainResult<()> {
    let pve = connector
        .pve(cluster_id)
        .await
        .map_err(|e| e.for_caller(caller))?;
    let version = pve
        .version()
        .await
        .map_err(|e| DomainError::from_pve("tell its version", e).for_caller(caller))?;
    if version_at_least(&version.version, ENV_SINCE) {
        return Ok(());
    }
    Err(DomainError::conflict(
        UNSUPPORTED,
        format!(
            "Proxmox VE {} cannot pass environment variables to a container (the `env` \
             option came with 9.1), and writing /etc/environment.d/proxicloud.conf needs SSH \
             into the guest, which ProxiCloud does not do: upgrade Proxmox VE",
            version.version
        ),
    ))
}
