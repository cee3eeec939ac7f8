//! Proxmox operations shared by the instance job steps, each written so that running
//! it again after a crash neither repeats a side effect blindly nor misses one:
//! a recorded UPID is waited for; a step resumed without one looks for the task it may
//! have started in the node's task list; and the guest's state is checked before acting.

use proxicloud_pve::{
    DeleteOptions, GuestType, NodeName, PowerAction, Pve, PveError, ResourceKind, TaskFilter, Upid,
    VmId,
};
use proxicloud_store::{Guest, Uuid};
use serde::{Deserialize, Serialize};

use super::plan::has_job_marker;
use crate::jobs::{JobRun, StepError};

/// Tolerated difference between our clock and the Proxmox node's when matching a task
/// to the step that started it.
const CLOCK_SKEW_SECS: i64 = 5;

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

/// What Proxmox has at a vmid, from the point of view of the create job `job_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Presence {
    Absent,
    /// A creation is still running there (its marker is not written yet).
    BeingCreated,
    /// Carries this job's marker; `locked` while its creation finishes.
    Ours {
        locked: bool,
    },
    /// Someone else's guest.
    Foreign,
}

/// Looks the vmid up cluster-wide first (a clone is made on its template's node and
/// moves to its target at the end), then reads the config where it is.
pub(super) async fn inspect(
    pve: &dyn Pve,
    kind: GuestType,
    vmid: VmId,
    job_id: Uuid,
) -> Result<Presence, StepError> {
    let resources = pve.cluster_resources(Some(ResourceKind::Vm)).await?;
    let Some(entry) = resources.into_iter().find(|r| r.vmid == Some(vmid)) else {
        return Ok(Presence::Absent);
    };
    let Some(node) = entry.node else {
        return Ok(Presence::Foreign);
    };
    if entry.kind != kind.as_str() {
        return Ok(Presence::Foreign);
    }
    match pve.guest_config(&node, kind, vmid).await {
        Ok(config) if has_job_marker(config.description.as_deref(), job_id) => Ok(Presence::Ours {
            locked: config.lock.is_some(),
        }),
        Ok(config) if matches!(config.lock.as_deref(), Some("create" | "clone")) => {
            Ok(Presence::BeingCreated)
        }
        Ok(_) => Ok(Presence::Foreign),
        // Gone between the two calls (a failed creation being rolled back).
        Err(PveError::NotFound { .. }) => Ok(Presence::Absent),
        Err(error) => Err(error.into()),
    }
}

/// The UPID recorded for this job if it is a `task_type` task on `vmid`.
pub(super) fn recorded_task(run: &JobRun<'_>, task_type: &str, vmid: &str) -> Option<Upid> {
    run.recorded_upid()
        .filter(|upid| upid.task_type() == task_type && upid.id() == vmid)
}

/// After a crash between starting a task and recording it: the newest `task_type`
/// task on `vmid` that started after this step did.
pub(super) async fn find_started_task(
    run: &JobRun<'_>,
    pve: &dyn Pve,
    node: &NodeName,
    task_type: &str,
    vmid: VmId,
) -> Result<Option<Upid>, StepError> {
    let Some(started) = run.step_started_at() else {
        return Ok(None);
    };
    let since = started.unix_micros() / 1_000_000 - CLOCK_SKEW_SECS;
    let vmid_text = vmid.to_string();
    let filter = TaskFilter {
        limit: Some(50),
        vmid: Some(vmid),
        typefilter: Some(task_type.to_owned()),
        source: Some("all".into()),
        ..TaskFilter::default()
    };
    let tasks = pve.node_tasks(node, &filter).await?;
    Ok(tasks
        .into_iter()
        .filter(|t| {
            t.upid.task_type() == task_type
                && t.upid.id() == vmid_text
                && t.upid.starttime() >= since
        })
        .max_by_key(|t| t.upid.starttime())
        .map(|t| t.upid))
}

/// Waits for the task this step started earlier, if there is one. `true` when it did.
pub(super) async fn resume_task(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    node: &NodeName,
    task_type: &str,
    vmid: VmId,
) -> Result<bool, StepError> {
    let mut upid = recorded_task(run, task_type, &vmid.to_string());
    if upid.is_none() && run.resumed_mid_step() {
        upid = find_started_task(run, pve, node, task_type, vmid).await?;
        if let Some(found) = &upid {
            run.record_upid(found).await?;
        }
    }
    match upid {
        Some(upid) => {
            run.wait_task(pve, &upid).await?;
            Ok(true)
        }
        None => Ok(false),
    }
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
pub(super) async fn run_power(
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
    run.record_upid(&upid).await?;
    run.wait_task(pve, &upid).await?;
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
    run.record_upid(&upid).await?;
    run.wait_task(pve, &upid).await?;
    run.set_detail(format!("{} {} destroyed", target.noun(), target.vmid));
    Ok(())
}
