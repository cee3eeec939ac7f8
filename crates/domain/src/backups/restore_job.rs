//! `backup.restore`, resumable step by step.
//!
//! In place: `stop` the instance, `restore` the archive over it (`force`), `start` it
//! unless told not to. Its owner, tags and key pairs stay: the guest row is the same,
//! and the tags are in the restored configuration.
//!
//! As a new instance: `reserve` a vmid with a guest row owned by the restoring user
//! (found again by its id after a crash), `restore` there (`unique`: new MAC
//! addresses), `configure` the new name and the key pairs of the backed-up instance,
//! and `start`. A failure before Proxmox has the guest gives the reservation back.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{ConfigUpdate, GuestType, Pve, PveError, RestoreRequest};
use proxicloud_store::{Backup, GuestReservation, Store, StoreError, Uuid};
use serde::{Deserialize, Serialize};

use super::jobs::{connect_error, kinds};
use super::restore::disk_bytes;
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::instances::{Power, Target, run_power};
use crate::jobs::pve_task::{resume_task, start_and_wait};
use crate::jobs::vmids::claim_free_vmid;
use crate::jobs::{JobHandler, JobHandlers, JobRun, StepError};

pub mod steps {
    pub const STOP: &str = "stop";
    pub const RESERVE: &str = "reserve";
    pub const RESTORE: &str = "restore";
    pub const CONFIGURE: &str = "configure";
    pub const START: &str = "start";
    pub const IN_PLACE_JOB: [&str; 3] = [STOP, RESTORE, START];
    pub const AS_NEW_JOB: [&str; 4] = [RESERVE, RESTORE, CONFIGURE, START];
}

/// The parameters of `backup.restore`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestoreJob {
    pub backup_id: Uuid,
    /// The instance restored into. As new: its id is chosen when queued and its vmid
    /// is the reservation's (the one here is the backup's, a placeholder).
    pub target: Target,
    pub in_place: bool,
    /// Storage for the restored disks (`None`: where they were).
    #[serde(default)]
    pub storage: Option<String>,
    pub start: bool,
    /// As new: the backed-up instance, whose key pairs the new one records.
    #[serde(default)]
    pub source_instance: Option<Uuid>,
}

pub(super) fn register(
    handlers: &mut JobHandlers,
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
) {
    handlers.register(
        kinds::RESTORE,
        Arc::new(RestoreHandler {
            store,
            connector,
            refresh,
        }),
    );
}

struct RestoreHandler {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
}

#[async_trait]
impl JobHandler for RestoreHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let job: RestoreJob = run.params()?;
        let backup = match self.store.backups().get(job.backup_id).await {
            Ok(backup) => backup,
            Err(StoreError::NotFound) => {
                return Err(StepError::failed("the backup no longer exists"));
            }
            Err(error) => return Err(error.into()),
        };
        let pve = self
            .connector
            .pve(job.target.cluster_id)
            .await
            .map_err(connect_error)?;
        let pve = pve.as_ref();
        let mut target = job.target.clone();
        if step == steps::RESERVE {
            return self.reserve(run, pve, &backup, &target).await;
        }
        if job.in_place {
            if !target.locate(pve).await? {
                return Err(StepError::failed(format!(
                    "guest {} no longer exists on Proxmox VE",
                    target.vmid
                )));
            }
        } else {
            target.vmid = self.reserved(&target).await?.observed.vmid;
        }
        let result = match step {
            steps::STOP => run_power(run, pve, &target, Power::Stop).await,
            steps::RESTORE => restore(run, pve, &backup, &job, &target).await,
            steps::CONFIGURE => self.configure(run, pve, &job, &target).await,
            steps::START if job.start => run_power(run, pve, &target, Power::Start).await,
            steps::START => {
                run.skip_step("not started, as asked");
                Ok(())
            }
            other => Err(StepError::failed(format!(
                "unknown step '{other}' of {}",
                kinds::RESTORE
            ))),
        };
        if result.is_ok()
            && matches!(step, steps::RESTORE | steps::START)
            && let Some(refresh) = &self.refresh
            && let Err(error) = refresh.refresh(target.cluster_id).await
        {
            tracing::warn!(job = %run.id(), %error, "could not refresh the inventory after a restore step");
        }
        result
    }

    /// As new: gives the reservation back unless Proxmox has the guest by now.
    async fn compensate(&self, run: &mut JobRun<'_>, _failed_step: &str) -> Result<(), StepError> {
        let job: RestoreJob = run.params()?;
        if job.in_place {
            return Ok(());
        }
        let guest = match self.store.guests().get(job.target.guest_id).await {
            Ok(guest) => guest,
            Err(StoreError::NotFound) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        if guest.created_by_job != Some(run.id()) {
            return Ok(());
        }
        let pve = self
            .connector
            .pve(job.target.cluster_id)
            .await
            .map_err(connect_error)?;
        let node = job.target.node_name()?;
        match pve
            .guest_status(&node, job.target.kind, guest.observed.vmid)
            .await
        {
            Ok(_) => Ok(()),
            Err(PveError::NotFound { .. }) => match self.store.guests().delete(guest.id).await {
                Ok(()) | Err(StoreError::NotFound) => Ok(()),
                Err(error) => Err(error.into()),
            },
            Err(error) => Err(error.into()),
        }
    }
}

impl RestoreHandler {
    /// The guest row this job reserved (as new).
    async fn reserved(&self, target: &Target) -> Result<proxicloud_store::Guest, StepError> {
        match self.store.guests().get(target.guest_id).await {
            Ok(guest) => Ok(guest),
            Err(StoreError::NotFound) => Err(StepError::failed(
                "the restored instance's reservation is gone",
            )),
            Err(error) => Err(error.into()),
        }
    }

    /// A vmid and a guest row for the new instance, owned by the restoring user.
    async fn reserve(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        backup: &Backup,
        target: &Target,
    ) -> Result<(), StepError> {
        if let Ok(guest) = self.store.guests().get(target.guest_id).await {
            run.skip_step(format!("vmid {} reserved", guest.observed.vmid));
            return Ok(());
        }
        let owner_id = run.owner()?;
        let job_id = run.id();
        let config = backup.config.clone().unwrap_or_default();
        let number = |key: &str| {
            config
                .get(key)
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse::<f64>().ok())
        };
        let reserve = |vmid| {
            self.store.guests().reserve(GuestReservation {
                id: target.guest_id,
                cluster_id: target.cluster_id,
                vmid,
                node: target.node.clone(),
                kind: target.kind,
                name: target.name.clone(),
                owner_id,
                job_id,
                cpus: number("cores").unwrap_or(1.0),
                maxmem: number("memory").unwrap_or(512.0) as u64 * (1 << 20),
                maxdisk: disk_bytes(target.kind, &config),
            })
        };
        let guest = claim_free_vmid(pve, "the restored instance", reserve).await?;
        run.set_detail(format!(
            "instance {}: vmid {} on node {}",
            guest.id, guest.observed.vmid, target.node
        ));
        run.checkpoint().await?;
        Ok(())
    }

    /// As new: the new name, and the backed-up instance's key pairs.
    async fn configure(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        job: &RestoreJob,
        target: &Target,
    ) -> Result<(), StepError> {
        let node = target.node_name()?;
        let update = ConfigUpdate {
            name: Some(target.name.clone()),
            ..ConfigUpdate::default()
        };
        pve.update_guest_config(&node, target.kind, target.vmid, &update)
            .await?;
        if let Some(source) = job.source_instance {
            let pairs = self.store.key_pairs().list_for_guest(source).await?;
            self.store
                .key_pairs()
                .record_for_guest(target.guest_id, &pairs)
                .await?;
        }
        run.set_detail(format!("named {}", target.name));
        Ok(())
    }
}

/// Restores the archive to the target's vmid (over the guest there, in place) and
/// waits; resumed, it waits for the restore it started.
async fn restore(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    backup: &Backup,
    job: &RestoreJob,
    target: &Target,
) -> Result<(), StepError> {
    let node = target.node_name()?;
    let task_type = match target.kind {
        GuestType::Lxc => "vzrestore",
        GuestType::Qemu => "qmrestore",
    };
    let volid = backup
        .volid
        .clone()
        .ok_or_else(|| StepError::failed("the backup has no archive"))?;
    if resume_task(run, pve, &node, task_type, target.vmid).await? {
        run.set_detail(format!("restored {volid}"));
        return Ok(());
    }
    let mut request = RestoreRequest::new(target.vmid, volid.clone());
    request.storage = job.storage.clone();
    request.force = job.in_place;
    request.unique = !job.in_place;
    run.set_detail(format!("restoring {volid} to {}", target.vmid));
    let upid = pve.restore_guest(&node, target.kind, &request).await?;
    start_and_wait(run, pve, upid).await?;
    run.set_detail(format!("restored {volid}"));
    Ok(())
}
