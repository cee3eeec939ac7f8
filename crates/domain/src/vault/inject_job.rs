//! `instance.secrets.apply`, one step (`apply`): writes the current values of the
//! secrets an instance receives into its container's `env` (see [`super::environment`])
//! with one `PUT …/config`, replacing what ProxiCloud wrote last time and keeping the
//! guest's other variables. A container takes its environment at start, so a running
//! one receives the new values from its next start (Proxmox keeps `env` pending).
//!
//! Safe to run again and in parallel with another apply of the same instance: it
//! computes everything from the database each time, reads the config (and its digest)
//! *before* the values, and writes with that digest — an apply that read older values
//! than another one loses the digest race and retries with the newer ones.
//! Values appear in no job record, detail or error: details name the variables, and
//! every Proxmox error is scrubbed of them.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{ConfigUpdate, GuestType, PveError};
use proxicloud_store::{InjectionState, Store, StoreError, Timestamp};
use secrecy::{ExposeSecret, SecretString};

use super::VaultService;
use super::environment::{carries, merge, scrub};
use super::injection::{ApplyJob, status};
use crate::clusters::PveConnector;
use crate::error::DomainError;
use crate::instances::Target;
use crate::jobs::{JobHandler, JobRun, StepError};

/// Writes an instance's secrets into its environment: the job's step, and the
/// `secrets` step of a launch that chose secrets (`instance.create`).
#[derive(Clone)]
pub struct Applier {
    pub store: Arc<dyn Store>,
    pub connector: Arc<dyn PveConnector>,
    pub vault: Arc<VaultService>,
}

pub struct ApplyHandler(pub Applier);

/// PVE refuses a write whose digest no longer matches (`PVE::Tools::assert_if_modified`).
const MODIFIED: &str = "detected modified configuration";

fn pve_error(error: PveError, values: &[SecretString]) -> StepError {
    match StepError::from(error) {
        StepError::Failed(message) if message.contains(MODIFIED) => {
            StepError::Transient(scrub(&message, values))
        }
        StepError::Failed(message) => StepError::Failed(scrub(&message, values)),
        StepError::Transient(message) => StepError::Transient(scrub(&message, values)),
        other => other,
    }
}

#[async_trait]
impl JobHandler for ApplyHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, _step: &str) -> Result<(), StepError> {
        let job: ApplyJob = run.params()?;
        self.0.apply_and_record(run, &job).await
    }
}

impl Applier {
    /// Applies, and records a failure in the instance's state.
    pub async fn apply_and_record(
        &self,
        run: &mut JobRun<'_>,
        job: &ApplyJob,
    ) -> Result<(), StepError> {
        let result = self.apply(run, job).await;
        if let Err(StepError::Failed(reason)) = &result {
            self.save(job, status::FAILED, Some(reason.clone()), None)
                .await?;
        }
        result
    }

    /// The `secrets` step of a launch: the instance now exists, so it receives the
    /// secrets chosen at launch (ids), applied before its first start.
    pub async fn launch_step(
        &self,
        run: &mut JobRun<'_>,
        guest_id: proxicloud_store::Uuid,
        secret_ids: &[proxicloud_store::Uuid],
    ) -> Result<(), StepError> {
        match self
            .store
            .secrets()
            .set_guest_secrets(guest_id, secret_ids)
            .await
        {
            Err(StoreError::MissingReference) => {
                return Err(StepError::failed(
                    "a secret chosen at launch was deleted meanwhile",
                ));
            }
            other => other?,
        }
        self.apply_and_record(run, &ApplyJob { guest_id }).await
    }

    async fn save(
        &self,
        job: &ApplyJob,
        status: &str,
        reason: Option<String>,
        managed: Option<Vec<String>>,
    ) -> Result<(), StepError> {
        let repo = self.store.secrets();
        let previous = repo.injection_state(job.guest_id).await?;
        let managed = managed
            .or_else(|| previous.map(|p| p.managed))
            .unwrap_or_default();
        let state = InjectionState {
            guest_id: job.guest_id,
            status: status.into(),
            reason,
            managed,
            updated_at: Timestamp::now(),
        };
        match repo.put_injection_state(&state).await {
            // The instance was deleted meanwhile: nothing to record.
            Err(StoreError::MissingReference) => Ok(()),
            other => Ok(other?),
        }
    }

    async fn apply(&self, run: &mut JobRun<'_>, job: &ApplyJob) -> Result<(), StepError> {
        let guest = match self.store.guests().get(job.guest_id).await {
            Ok(guest) if guest.removed_at.is_none() => guest,
            Ok(_) | Err(StoreError::NotFound) => {
                run.skip_step("the instance no longer exists");
                return Ok(());
            }
            Err(other) => return Err(other.into()),
        };
        let secrets = self.store.secrets().guest_secrets(guest.id).await?;
        let managed = self
            .store
            .secrets()
            .injection_state(guest.id)
            .await?
            .map(|s| s.managed)
            .unwrap_or_default();
        if secrets.is_empty() && managed.is_empty() {
            self.save(job, status::APPLIED, None, Some(Vec::new()))
                .await?;
            run.skip_step("no secrets to apply");
            return Ok(());
        }
        if guest.observed.kind == GuestType::Qemu {
            return Err(StepError::failed(
                "secrets reach only containers: Proxmox VE has no environment for a VM",
            ));
        }
        let pve = self
            .connector
            .pve(guest.cluster_id)
            .await
            .map_err(|error| match error {
                DomainError::NotFound { .. } => {
                    StepError::failed("the instance's cluster is no longer registered")
                }
                other => StepError::Transient(other.to_string()),
            })?;
        let mut target = Target::of(&guest);
        if !target.locate(pve.as_ref()).await? {
            return Err(StepError::failed(format!(
                "container {} no longer exists on Proxmox VE",
                target.vmid
            )));
        }
        let node = target.node_name()?;
        // The config first, then the values (see the module's comment).
        let config = pve.guest_config(&node, GuestType::Lxc, target.vmid).await?;
        let mut values: Vec<(String, SecretString)> = Vec::with_capacity(secrets.len());
        for secret in &secrets {
            let value = self
                .vault
                .current_value(secret)
                .await
                .map_err(|e| StepError::Transient(e.to_string()))?;
            if !carries(&value) {
                return Err(StepError::failed(format!(
                    "secret {} holds a line break or another control character, which \
                     Proxmox VE's env option cannot carry",
                    secret.name
                )));
            }
            values.push((secret.name.clone(), value));
        }
        let plain: Vec<SecretString> = values.iter().map(|(_, v)| v.clone()).collect();
        let current = config.get("env");
        let merged = merge(current.as_deref(), &managed, &values);
        let unchanged = match (&merged, &current) {
            (Some(merged), Some(current)) => merged.expose_secret() == current,
            (None, None) => true,
            _ => false,
        };
        if !unchanged {
            let mut update = ConfigUpdate {
                digest: config.digest.clone(),
                ..ConfigUpdate::default()
            };
            match &merged {
                Some(env) => {
                    update
                        .set
                        .insert("env".into(), env.expose_secret().to_owned());
                }
                None => update.delete.push("env".into()),
            }
            pve.update_guest_config(&node, GuestType::Lxc, target.vmid, &update)
                .await
                .map_err(|e| pve_error(e, &plain))?;
        }
        let names: Vec<String> = values.iter().map(|(n, _)| n.clone()).collect();
        self.save(job, status::APPLIED, None, Some(names.clone()))
            .await?;
        let running = guest.observed.status == "running";
        run.set_detail(match (names.is_empty(), running) {
            (true, _) => "no variables from secrets any more".to_owned(),
            (false, false) => format!("{} set in the container's environment", names.join(", ")),
            (false, true) => format!(
                "{} set in the container's environment; the running container receives \
                 them at its next start",
                names.join(", ")
            ),
        });
        Ok(())
    }
}
