//! `instance.snapshot.{create,rollback,delete}`: one step each, which starts Proxmox's
//! task and waits for it. A step resumed after a crash waits for the task it started
//! (recorded, or found in the node's task list) instead of starting another; a step
//! that finds its work already done (the snapshot exists, or is gone) skips.
//! [`run_snapshot_action`] is that step on any guest: volume jobs use it on a holder.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{GuestType, NodeName, Pve, SnapshotRequest, VmId};

use super::create_job::connect_error;
use super::snapshots::{CREATE_KIND, DELETE_KIND, ROLLBACK_KIND, SnapshotJob};
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::jobs::pve_task::{resume_task, start_and_wait};
use crate::jobs::{JobHandler, JobHandlers, JobRun, StepError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnapshotAction {
    Create,
    Rollback,
    Delete,
}

impl SnapshotAction {
    fn task_type(self, kind: GuestType) -> &'static str {
        match (kind, self) {
            (GuestType::Lxc, SnapshotAction::Create) => "vzsnapshot",
            (GuestType::Lxc, SnapshotAction::Rollback) => "vzrollback",
            (GuestType::Lxc, SnapshotAction::Delete) => "vzdelsnapshot",
            (GuestType::Qemu, SnapshotAction::Create) => "qmsnapshot",
            (GuestType::Qemu, SnapshotAction::Rollback) => "qmrollback",
            (GuestType::Qemu, SnapshotAction::Delete) => "qmdelsnapshot",
        }
    }

    fn done(self) -> &'static str {
        match self {
            SnapshotAction::Create => "taken",
            SnapshotAction::Rollback => "rolled back",
            SnapshotAction::Delete => "deleted",
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
        (CREATE_KIND, SnapshotAction::Create),
        (ROLLBACK_KIND, SnapshotAction::Rollback),
        (DELETE_KIND, SnapshotAction::Delete),
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
    action: SnapshotAction,
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
        let snapshot = SnapshotRequest {
            name: job.name.clone(),
            description: job.description.clone(),
            vmstate: job.with_ram,
        };
        let on = (&node, target.kind, target.vmid);
        run_snapshot_action(
            run,
            pve.as_ref(),
            on,
            self.action,
            &snapshot,
            job.start,
            &what,
        )
        .await?;
        self.refresh(run, &target.cluster_id).await;
        Ok(())
    }
}

/// One snapshot action on a guest, safe to run again: it waits for the task it
/// started before a crash, skips work already done (the snapshot exists, or is
/// gone), else starts Proxmox's task and waits. `what` names the snapshot in the
/// step's detail; `start` is the rollback's "start the guest afterwards".
pub(crate) async fn run_snapshot_action(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    (node, kind, vmid): (&NodeName, GuestType, VmId),
    action: SnapshotAction,
    snapshot: &SnapshotRequest,
    start: bool,
    what: &str,
) -> Result<(), StepError> {
    if resume_task(run, pve, node, action.task_type(kind), vmid).await? {
        run.set_detail(format!("{what} {}", action.done()));
        return Ok(());
    }
    let exists = pve
        .snapshots(node, kind, vmid)
        .await?
        .iter()
        .any(|s| s.is_real() && s.name == snapshot.name);
    let name = &snapshot.name;
    let upid = match (action, exists) {
        (SnapshotAction::Create, true) => {
            run.skip_step(format!("{what} already exists"));
            return Ok(());
        }
        (SnapshotAction::Delete, false) => {
            run.skip_step(format!("{what} is already gone"));
            return Ok(());
        }
        (SnapshotAction::Rollback, false) => {
            return Err(StepError::failed(format!("{what} does not exist")));
        }
        (SnapshotAction::Create, false) => pve.create_snapshot(node, kind, vmid, snapshot).await?,
        (SnapshotAction::Rollback, true) => {
            pve.rollback_snapshot(node, kind, vmid, name, start).await?
        }
        (SnapshotAction::Delete, true) => {
            pve.delete_snapshot(node, kind, vmid, name, false).await?
        }
    };
    start_and_wait(run, pve, upid).await?;
    run.set_detail(format!("{what} {}", action.done()));
    Ok(())
}

impl SnapshotHandler {
    async fn refresh(&self, run: &JobRun<'_>, cluster_id: &proxicloud_store::Uuid) {
        if self.action != SnapshotAction::Rollback {
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
