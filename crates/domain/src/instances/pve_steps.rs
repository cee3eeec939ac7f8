//! Proxmox operations shared by the instance job steps, each written so that running
//! it again after a crash neither repeats a side effect blindly nor misses one: the
//! task it may have started is waited for (`jobs::pve_task`), and the guest's state is
//! checked before acting.

use proxicloud_pve::{
    DeleteOptions, GuestType, NodeName, PowerAction, Pve, PveError, ResourceKind, VmId,
};
use proxicloud_store::{Guest, Uuid};
use serde::{Deserialize, Serialize};

use super::plan::has_job_marker;
use crate::jobs::pve_task::{self, resume_task, start_and_wait};
pub(super) use crate::jobs::pve_task::{Presence, Settled};
use crate::jobs::{JobRun, StepError};

/// A guest as the jobs address it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub cluster_id: Uuid,
    pub guest_id: Uuid,
    pub node: String,
    pub kind: GuestType,
    pub vmid: VmId,
    pub name: String,
}

impl Target {
    /// The guest where the inventory mirror last saw it.
    pub fn of(guest: &Guest) -> Self {
        Self {
            cluster_id: guest.cluster_id,
            guest_id: guest.id,
            node: guest.observed.node.clone(),
            kind: guest.observed.kind,
            vmid: guest.observed.vmid,
            name: guest.observed.name.clone(),
        }
    }

    pub fn node_name(&self) -> Result<NodeName, StepError> {
        NodeName::new(self.node.clone()).map_err(|e| StepError::failed(e.to_string()))
    }

    pub(super) fn noun(&self) -> &'static str {
        match self.kind {
            GuestType::Lxc => "CT",
            GuestType::Qemu => "VM",
        }
    }

    /// Follows a guest that was migrated since the mirror last saw it; `false` when
    /// the cluster has no guest with this vmid.
    pub async fn locate(&mut self, pve: &dyn Pve) -> Result<bool, StepError> {
        let resources = pve.cluster_resources(Some(ResourceKind::Vm)).await?;
        let found = resources
            .into_iter()
            .find(|r| r.vmid == Some(self.vmid) && r.kind == self.kind.as_str());
        match found.and_then(|r| r.node) {
            Some(node) => {
                self.node = node.to_string();
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// What Proxmox has at `vmid`, from the point of view of the create job `job_id`.
pub(super) async fn inspect(
    pve: &dyn Pve,
    kind: GuestType,
    vmid: VmId,
    job_id: Uuid,
) -> Result<Presence, StepError> {
    pve_task::inspect(pve, kind, vmid, |description| {
        has_job_marker(description, job_id)
    })
    .await
}

/// [`pve_task::settled`] for the create job `run`: what is at `vmid` once no
/// creation runs there.
pub(super) async fn settled(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    kind: GuestType,
    vmid: VmId,
) -> Result<Settled, StepError> {
    let job_id = run.id();
    pve_task::settled(run, pve, kind, vmid, |description| {
        has_job_marker(description, job_id)
    })
    .await
}

/// Power operations offered on instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Power {
    Start,
    Stop,
    Shutdown,
    Reboot,
}

impl Power {
    pub const ALL: [Power; 4] = [Power::Start, Power::Stop, Power::Shutdown, Power::Reboot];

    pub fn as_str(self) -> &'static str {
        match self {
            Power::Start => "start",
            Power::Stop => "stop",
            Power::Shutdown => "shutdown",
            Power::Reboot => "reboot",
        }
    }

    fn action(self) -> PowerAction {
        match self {
            Power::Start => PowerAction::Start,
            Power::Stop => PowerAction::Stop {
                overrule_shutdown: true,
            },
            Power::Shutdown => PowerAction::Shutdown {
                timeout: None,
                force_stop: false,
            },
            Power::Reboot => PowerAction::Reboot { timeout: None },
        }
    }

    fn task_type(self, kind: GuestType) -> &'static str {
        match (kind, self) {
            (GuestType::Lxc, Power::Start) => "vzstart",
            (GuestType::Lxc, Power::Stop) => "vzstop",
            (GuestType::Lxc, Power::Shutdown) => "vzshutdown",
            (GuestType::Lxc, Power::Reboot) => "vzreboot",
            (GuestType::Qemu, Power::Start) => "qmstart",
            (GuestType::Qemu, Power::Stop) => "qmstop",
            (GuestType::Qemu, Power::Shutdown) => "qmshutdown",
            (GuestType::Qemu, Power::Reboot) => "qmreboot",
        }
    }

    /// Whether a guest in this run state needs nothing done (a reboot always does).
    fn already_done(self, running: bool) -> Option<&'static str> {
        match self {
            Power::Start if running => Some("already running"),
            Power::Stop | Power::Shutdown if !running => Some("already stopped"),
            _ => None,
        }
    }
}

/// Brings the guest to the state `power` asks for and waits for Proxmox's task.
pub(crate) async fn run_power(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    target: &Target,
    power: Power,
) -> Result<(), StepError> {
    let node = target.node_name()?;
    let task_type = power.task_type(target.kind);
    if resume_task(run, pve, &node, task_type, target.vmid).await? {
        run.set_detail(format!(
            "{} {} {}: done",
            power.as_str(),
            target.noun(),
            target.vmid
        ));
        return Ok(());
    }
    let status = pve.guest_status(&node, target.kind, target.vmid).await?;
    if let Some(why) = power.already_done(status.is_running()) {
        run.skip_step(format!("{} {} {why}", target.noun(), target.vmid));
        return Ok(());
    }
    let upid = pve
        .power(&node, target.kind, target.vmid, power.action())
        .await?;
    start_and_wait(run, pve, upid).await?;
    run.set_detail(format!(
        "{} {} {}: done",
        power.as_str(),
        target.noun(),
        target.vmid
    ));
    Ok(())
}

/// Deletes the guest (with its disks, backup-job and HA entries) and waits.
pub(super) async fn destroy(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    target: &Target,
) -> Result<(), StepError> {
    let node = target.node_name()?;
    let task_type = match target.kind {
        GuestType::Lxc => "vzdestroy",
        GuestType::Qemu => "qmdestroy",
    };
    if resume_task(run, pve, &node, task_type, target.vmid).await? {
        run.set_detail(format!("{} {} destroyed", target.noun(), target.vmid));
        return Ok(());
    }
    let options = DeleteOptions {
        purge: true,
        destroy_unreferenced_disks: true,
    };
    let upid = match pve
        .delete_guest(&node, target.kind, target.vmid, options)
        .await
    {
        Ok(upid) => upid,
        Err(PveError::NotFound { .. }) => {
            run.skip_step(format!("{} {} is already gone", target.noun(), target.vmid));
            return Ok(());
        }
        Err(error) => return Err(error.into()),
    };
    start_and_wait(run, pve, upid).await?;
    run.set_detail(format!("{} {} destroyed", target.noun(), target.vmid));
    Ok(())
}
