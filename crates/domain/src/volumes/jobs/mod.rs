//! The volume job kinds. Every step first looks at what Proxmox VE already has (the
//! holder container, a config key naming the volume, a snapshot of that name) or at the
//! task this job recorded, so that running it again after a crash neither repeats a
//! side effect nor misses one. The volume row is the source of truth for what was made.
//!
//! To add a job kind: a `kinds` constant, its `steps`, a `match` arm in
//! [`VolumeHandler::run_step`] and its registration in `register`; the step itself goes
//! into `holder` (work on the holder container) or `attachment` (work on the instance).
//! `pve_ops` has the Proxmox helpers every step shares.

mod attachment;
mod holder;
mod pve_ops;

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_store::repo::volumes::status;
use proxicloud_store::{Store, StoreError, Uuid, Volume};
use serde::{Deserialize, Serialize};

use crate::clusters::{MirrorRefresh, PveConnector};
use crate::jobs::{JobHandler, JobHandlers, JobRun, StepError};
use pve_ops::connect_error;

pub mod kinds {
    pub const CREATE: &str = "volume.create";
    pub const ATTACH: &str = "volume.attach";
    pub const DETACH: &str = "volume.detach";
    pub const GROW: &str = "volume.grow";
    pub const DELETE: &str = "volume.delete";
    pub const SNAPSHOT: &str = "volume.snapshot";
    pub const SNAPSHOT_DELETE: &str = "volume.snapshot_delete";
    pub const RESTORE: &str = "volume.restore";
    pub const CLONE: &str = "volume.clone";
    pub const ALL: [&str; 9] = [
        CREATE,
        ATTACH,
        DETACH,
        GROW,
        DELETE,
        SNAPSHOT,
        SNAPSHOT_DELETE,
        RESTORE,
        CLONE,
    ];
}

pub mod steps {
    pub const HOLDER: &str = "holder";
    pub const READY: &str = "ready";
    pub const CONFIG: &str = "config";
    pub const RESIZE: &str = "resize";
    pub const DESTROY: &str = "destroy";
    pub const FORGET: &str = "forget";
    pub const SNAPSHOT: &str = "snapshot";
    pub const ROLLBACK: &str = "rollback";
    pub const CLONE_HOLDER: &str = "clone";
    pub const CREATE_JOB: [&str; 2] = [HOLDER, READY];
    /// A create with an initial attachment: the attach job's step comes last.
    pub const CREATE_ATTACHED_JOB: [&str; 3] = [HOLDER, READY, CONFIG];
    pub const ATTACH_JOB: [&str; 1] = [CONFIG];
    pub const DETACH_JOB: [&str; 1] = [CONFIG];
    pub const GROW_JOB: [&str; 1] = [RESIZE];
    pub const DELETE_JOB: [&str; 2] = [DESTROY, FORGET];
    pub const SNAPSHOT_JOB: [&str; 1] = [SNAPSHOT];
    pub const RESTORE_JOB: [&str; 1] = [ROLLBACK];
    pub const CLONE_JOB: [&str; 2] = [CLONE_HOLDER, READY];
}

/// The parameters of every volume job: the volume and what the kind needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VolumeJob {
    pub volume_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_gib: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<Uuid>,
    /// `volume.clone`: the volume whose holder is cloned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_volume_id: Option<Uuid>,
    /// `volume.attach` to a VM: `scsi` or `virtio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
}

impl VolumeJob {
    pub fn of(volume_id: Uuid) -> Self {
        Self {
            volume_id,
            ..Self::default()
        }
    }
}

pub fn register(
    handlers: &mut JobHandlers,
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
) {
    let handler = Arc::new(VolumeHandler {
        store,
        connector,
        refresh,
    });
    for kind in kinds::ALL {
        handlers.register(kind, handler.clone());
    }
}

pub struct VolumeHandler {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
}

impl VolumeHandler {
    async fn volume(&self, run: &JobRun<'_>) -> Result<(VolumeJob, Volume), StepError> {
        let params: VolumeJob = run.params()?;
        let volume = match self.store.volumes().get(params.volume_id).await {
            Ok(volume) => volume,
            Err(StoreError::NotFound) => {
                return Err(StepError::failed("the volume no longer exists"));
            }
            Err(error) => return Err(error.into()),
        };
        Ok((params, volume))
    }
}

#[async_trait]
impl JobHandler for VolumeHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let (params, volume) = match self.volume(run).await {
            Ok(found) => found,
            Err(StepError::Failed(_)) if step == steps::FORGET => {
                run.skip_step("already forgotten");
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if step == steps::FORGET {
            self.store.volumes().delete(volume.id).await?;
            return Ok(());
        }
        let pve = self
            .connector
            .pve(volume.cluster_id)
            .await
            .map_err(connect_error)?;
        let pve = pve.as_ref();
        let kind = run.job().kind.clone();
        let result = match (kind.as_str(), step) {
            (kinds::CREATE, steps::HOLDER) => {
                self.make_holder(run, pve, &params, &volume, false).await
            }
            (kinds::CLONE, steps::CLONE_HOLDER) => {
                self.make_holder(run, pve, &params, &volume, true).await
            }
            (kinds::CREATE | kinds::CLONE, steps::READY) => {
                self.mark_ready(run, pve, &volume).await
            }
            (kinds::ATTACH | kinds::CREATE, steps::CONFIG) => {
                self.attach(run, pve, &params, &volume).await
            }
            (kinds::DETACH, steps::CONFIG) => self.detach(run, pve, &volume).await,
            (kinds::GROW, steps::RESIZE) => self.grow(run, pve, &params, &volume).await,
            (kinds::DELETE, steps::DESTROY) => self.destroy(run, pve, &volume).await,
            (kinds::SNAPSHOT | kinds::SNAPSHOT_DELETE, steps::SNAPSHOT)
            | (kinds::RESTORE, steps::ROLLBACK) => {
                self.snapshot(run, pve, &params, &volume, &kind).await
            }
            (kind, step) => Err(StepError::failed(format!(
                "unknown step '{step}' of {kind}"
            ))),
        };
        if let Some(refresh) = &self.refresh
            && result.is_ok()
            && let Err(error) = refresh.refresh(volume.cluster_id).await
        {
            tracing::warn!(job = %run.id(), %error, "could not refresh the inventory after a volume job");
        }
        result
    }

    /// A failed create/clone leaves the volume in `error` (with PVE's reason); a
    /// failed attach gives the slot back; a failed snapshot is marked `error`.
    async fn compensate(&self, run: &mut JobRun<'_>, failed_step: &str) -> Result<(), StepError> {
        let Ok((params, volume)) = self.volume(run).await else {
            return Ok(());
        };
        let reason = run
            .job()
            .error
            .clone()
            .unwrap_or_else(|| format!("step '{failed_step}' failed"));
        let kind = run.job().kind.clone();
        match kind.as_str() {
            // The volume was made, only attaching it failed: it stays, detached.
            kinds::CREATE if failed_step == steps::CONFIG => {
                self.store.volumes().detach(volume.id, run.now()).await?
            }
            kinds::CREATE | kinds::CLONE | kinds::DELETE => {
                self.store
                    .volumes()
                    .set_status(volume.id, status::ERROR, Some(&reason), run.now())
                    .await?;
                // A create's initial attachment never happened.
                if kind == kinds::CREATE {
                    self.store.volumes().detach(volume.id, run.now()).await?;
                }
            }
            kinds::ATTACH => self.store.volumes().detach(volume.id, run.now()).await?,
            kinds::SNAPSHOT => {
                if let Some(id) = params.snapshot_id {
                    match self
                        .store
                        .volumes()
                        .set_snapshot_status(id, status::ERROR)
                        .await
                    {
                        Ok(()) | Err(StoreError::NotFound) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
