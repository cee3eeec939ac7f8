//! Resuming a Proxmox VE task after a crash, for every job step that starts one: a
//! recorded UPID is waited for; a step resumed without one (it died between starting
//! the task and recording it) looks for the task in the node's task list, so it waits
//! for that task instead of starting a second one.
//!
//! Steps call [`resume_task`] before acting and [`start_and_wait`] with the task they
//! start; [`recorded_task`] and [`find_started_task`] are the two halves for steps
//! that must decide between them themselves (a create whose task is named otherwise).
//! [`inspect`] tells a step that creates a guest whether the one at its vmid is its own;
//! [`settled`] waits first for any creation running there to end.

use proxicloud_pve::{GuestType, NodeName, Pve, PveError, ResourceKind, TaskFilter, Upid, VmId};

use super::{JobRun, StepError};

/// Tolerated difference between our clock and the Proxmox node's when matching a task
/// to the step that started it.
const CLOCK_SKEW_SECS: i64 = 5;

/// How many times [`settled`] looks again at a vmid whose creation is running.
const MAX_SETTLE_ROUNDS: u32 = 30;

/// The UPID recorded for this job if it is a `task_type` task on `id`.
pub(crate) fn recorded_task(run: &JobRun<'_>, task_type: &str, id: &str) -> Option<Upid> {
    run.recorded_upid()
        .filter(|upid| upid.task_type() == task_type && upid.id() == id)
}

/// After a crash between starting a task and recording it: the newest `task_type`
/// task on `vmid` that started after this step did.
pub(crate) async fn find_started_task(
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

/// Waits for the `task_type` task on `vmid` (on `node`) this step started earlier,
/// recorded or not. `true` when there was one.
pub(crate) async fn resume_task(
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

/// Records the task a step just started, then waits for it.
pub(crate) async fn start_and_wait(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    upid: Upid,
) -> Result<(), StepError> {
    run.record_upid(&upid).await?;
    run.wait_task(pve, &upid).await?;
    Ok(())
}

/// What Proxmox has at a vmid, from the point of view of a step that creates a guest
/// there and marks it (in its description) as its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Absent,
    /// A creation is still running there (its marker is not written yet): after a
    /// crash, possibly this step's own.
    BeingCreated,
    /// Carries the step's marker; `locked` while its creation finishes.
    Ours {
        locked: bool,
    },
    /// Someone else's guest.
    Foreign,
}

/// What is at a vmid once no creation runs there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    Absent,
    /// Carries the step's marker and is unlocked.
    Ours,
    Foreign,
}

/// [`inspect`] until no creation runs at `vmid`. While one does (after a crash,
/// possibly this step's own, whose task was not found), the step says so, checkpoints
/// and waits a poll interval; after [`MAX_SETTLE_ROUNDS`] looks it gives up for now
/// (a transient error: the step runs again later).
pub(crate) async fn settled(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    kind: GuestType,
    vmid: VmId,
    is_ours: impl Fn(Option<&str>) -> bool,
) -> Result<Settled, StepError> {
    for _ in 0..MAX_SETTLE_ROUNDS {
        let waiting_for = match inspect(pve, kind, vmid, &is_ours).await? {
            Presence::Absent => return Ok(Settled::Absent),
            Presence::Ours { locked: false } => return Ok(Settled::Ours),
            Presence::Foreign => return Ok(Settled::Foreign),
            Presence::Ours { locked: true } => "its creation to finish",
            Presence::BeingCreated => "it to show whose it is",
        };
        run.set_detail(format!(
            "vmid {vmid} is being created; waiting for {waiting_for}"
        ));
        run.checkpoint().await?;
        run.pause(run.poll_interval()).await?;
    }
    Err(StepError::Transient(format!(
        "vmid {vmid} is still being created"
    )))
}

/// Looks the vmid up cluster-wide first (a clone is made on its template's node and
/// moves to its target at the end), then reads the config where it is; `is_ours`
/// tells the step's marker from the guest's description.
pub(crate) async fn inspect(
    pve: &dyn Pve,
    kind: GuestType,
    vmid: VmId,
    is_ours: impl Fn(Option<&str>) -> bool,
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
        Ok(config) if is_ours(config.description.as_deref()) => Ok(Presence::Ours {
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

/// [`find_started_task`] for tasks named after something other than a guest (a
/// template download's `download` task carries the template's file name).
pub(crate) async fn find_started_named_task(
    run: &JobRun<'_>,
    pve: &dyn Pve,
    node: &NodeName,
    task_type: &str,
    id: &str,
) -> Result<Option<Upid>, StepError> {
    let Some(started) = run.step_started_at() else {
        return Ok(None);
    };
    let since = started.unix_micros() / 1_000_000 - CLOCK_SKEW_SECS;
    let filter = TaskFilter {
        limit: Some(50),
        typefilter: Some(task_type.to_owned()),
        source: Some("all".into()),
        ..TaskFilter::default()
    };
    let tasks = pve.node_tasks(node, &filter).await?;
    Ok(tasks
        .into_iter()
        .filter(|t| {
            t.upid.task_type() == task_type && t.upid.id() == id && t.upid.starttime() >= since
        })
        .max_by_key(|t| t.upid.starttime())
        .map(|t| t.upid))
}
