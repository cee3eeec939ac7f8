//! `instance.snapshot.{create,rollback,delete}`: one step each, which starts Proxmox's
//! task and waits for it. A step resumed after a crash waits for the task it started
//! (recorded, or found in the node's task list) instead of starting another; a step
//! that finds its work already done (the snapshot exists, or is gone) skips.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{GuestType, SnapshotRequest};

use super::create_job::connect_error;
use super::pve_steps::resume_task;
use super::snapshots::{CREATE_KIND, DELETE_KIND, ROLLBACK_KIND, SnapshotJob};
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::jobs::{JobHandler, JobHandlers, JobRun, StepError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Rollback,
    Delete,
}

impl Action {
    fn task_type(self, kind: GuestType) -> &'static str {
        match (kind, self) {
            (GuestType::Lxc, Action::Create) => "vzsnapshot",
            (GuestType::Lxc, Action::Rollback) => "vzrollback",
            (GuestType::Lxc, Action::Delete) => "vzdelsnapshot",
            (GuestType::Qemu, Action::Create) => "qmsnapshot",
            (GuestType::Qemu, Action::Rollback) => "qmrollback",
            (GuestType::Qemu, Action::Delete) => "qmdelsnapshot",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Action::Create => "taken",
            Action::Rollback => "rolled back",
            Action::Delete => "deleted",
        }
    }
}

/// Registers the three snapshot job kinds.
pub fn register(
    handlers: &mut JobHandlers,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
) {
    for (kind, action) in [
        (CREATE_KIND, Action::Create),
        (ROLLBACK_KIND, Action::Rollback),
        (DELETE_KIND, Action::Delete),
    ] {
        handlers.register(
            kind,
            Arc::new(SnapshotHandler {
                connector: connector.clone(),
                refresh: refresh.clone(),
                action,
            }),
        );
    }
}

struct SnapshotHandler {
    connector: Arc<dyn PveConnector>,
    /// A rollback changes the guest's state and configuration: the console shows it
    /// at once rather than at the next poll.
    refresh: Option<Arc<dyn MirrorRefresh>>,
    action: Action,
}

#[async_trait]
impl JobHandler for SnapshotHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, _step: &str) -> Result<(), StepError> {
        let job: SnapshotJob = run.params()?;
        let mut target = job.target.clone();
        let pve = self
            .connector
            .pve(target.cluster_id)
            .await
            .map_err(connect_error)?;
        if !target.locate(pve.as_ref()).await? {
            return Err(StepError::failed(format!(
                "guest {} no longer exists on Proxmox VE",
                target.vmid
            )));
        }
        let node = target.node_name()?;
        let what = format!(
            "snapshot '{}' of {} {}",
            job.name,
            target.noun(),
            target.vmid
        );
        let task_type = self.action.task_type(target.kind);
        if resume_task(run, pve.as_ref(), &node, task_type, target.vmid).await? {
            run.set_detail(format!("{what} {}", self.action.done()));
            self.refresh(run, &target.cluster_id).await;
            return Ok(());
        }
        let exists = pve
            .snapshots(&node, target.kind, target.vmid)
            .await?
            .iter()
            .any(|s| s.is_real() && s.name == job.name);
        let upid = match (self.action, exists) {
            (Action::Create, true) => {
                run.skip_step(format!("{what} already exists"));
                return Ok(());
            }
            (Action::Delete, false) => {
                run.skip_step(format!("{what} is already gone"));
                return Ok(());
            }
            (Action::Rollback, false) => {
                return Err(StepError::failed(format!("{what} does not exist")));
            }
            (Action::Create, false) => {
                let request = SnapshotRequest {
                    name: job.name.clone(),
                    description: job.description.clone(),
                    vmstate: job.with_ram,
                };
                pve.create_snapshot(&node, target.kind, target.vmid, &request)
                    .await?
            }
            (Action::Rollback, true) => {
                pve.rollback_snapshot(&node, target.kind, target.vmid, &job.name, job.start)
                    .await?
            }
            (Action::Delete, true) => {
                pve.delete_snapshot(&node, target.kind, target.vmid, &job.name, false)
                    .await?
            }
        };
        run.record_upid(&upid).await?;
        run.wait_task(pve.as_ref(), &upid).await?;
        run.set_detail(format!("{what} {}", self.action.done()));
        self.refresh(run, &target.cluster_id).await;
        Ok(())
    }
}

impl SnapshotHandler {
    async fn refresh(&self, run: &JobRun<'_>, cluster_id: &proxicloud_store::Uuid) {
        if self.action != Action::Rollback {
            return;
        }
        if let Some(refresh) = &self.refresh
            && let Err(error) = refresh.refresh(*cluster_id).await
        {
            // The next scheduled poll catches up; the rollback itself succeeded.
            tracing::warn!(job = %run.id(), %error, "could not refresh the inventory after a rollback");
        }
    }
}
