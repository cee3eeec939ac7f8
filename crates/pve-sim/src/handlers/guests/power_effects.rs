//! What power tasks do when their worker finishes: the status change, or for
//! `suspend --todisk` the saved RAM volume and the `suspended` lock.

use std::time::Duration;

use proxicloud_types::GuestType;

use super::common::{Die, spawn_failing, upid_answer};
use super::volumes;
use crate::api::{ApiResult, Req};
use crate::model::{Guest, GuestStatus};
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// What a power task does to the guest once its worker finishes.
#[derive(Clone, Copy)]
pub(super) enum Effect {
    Start,
    Stop,
    Reboot,
    Pause,
    Resume,
    SuspendToDisk,
    /// Reset and stop/shutdown of an already stopped VM change nothing.
    None,
}

/// Spawn the task, or a failing one when the worker's checks already failed.
pub(super) fn spawn(
    sim: &Sim,
    cluster: &mut Cluster,
    req: &Req,
    guest_node: &str,
    task: &str,
    checks: Result<Effect, Die>,
    duration: Duration,
) -> ApiResult {
    let vmid = req.vmid()?;
    let upid = match checks {
        Err(error) => spawn_failing(sim, cluster, &req.user, guest_node, task, vmid, error),
        Ok(effect) => {
            let spec = TaskSpec::new(guest_node, task, vmid, duration, move |c: &mut Cluster| {
                apply(c, vmid, effect)
            });
            sim.spawn_task(cluster, &req.user, spec)
        }
    };
    upid_answer(upid)
}

fn apply(cluster: &mut Cluster, vmid: u32, effect: Effect) -> TaskOutcome {
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    let node = guest.node.clone();
    if matches!(effect, Effect::Start | Effect::Stop | Effect::Reboot) {
        // pve-container applies pending changes in `vm_start` and its poststop hook.
        super::config_disks::apply_pending_deletes(guest);
    }
    let lxc_stop = guest.kind == GuestType::Lxc && matches!(effect, Effect::Stop);
    if matches!(effect, Effect::Start | Effect::Reboot) || lxc_stop {
        // qemu-server's `vm_start` runs `vmconfig_apply_pending` before QEMU starts
        // (a reboot through the API is a stop and a start); pve-container's `vm_start`
        // and its `lxc-pve-poststop-hook` both do.
        let pending = std::mem::take(&mut guest.pending);
        guest.config.extend(pending);
    }
    match effect {
        Effect::Start | Effect::Reboot => {
            guest.status = GuestStatus::Running;
            guest.started_at = Some(now());
            // Starting a VM suspended to disk resumes it and drops the saved state.
            if guest.lock() == Some("suspended") {
                guest.config.remove("lock");
                if let Some(state) = guest.config.remove("vmstate") {
                    volumes::free(cluster, &node, &state);
                }
                return TaskOutcome::ok(vec!["resuming VM from saved state".to_string()]);
            }
        }
        Effect::Stop => {
            guest.status = GuestStatus::Stopped;
            guest.started_at = None;
        }
        Effect::Pause => guest.status = GuestStatus::Paused,
        Effect::Resume => guest.status = GuestStatus::Running,
        Effect::SuspendToDisk => return suspend_to_disk(cluster, vmid),
        Effect::None => {}
    }
    TaskOutcome::ok(Vec::new())
}

/// `qm suspend --todisk`: save the RAM to a `vmstate` volume, stop, lock `suspended`.
fn suspend_to_disk(cluster: &mut Cluster, vmid: u32) -> TaskOutcome {
    let Some(guest) = cluster.guests.get(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    let node = guest.node.clone();
    let size = super::listing::qemu_maxmem(guest);
    let date = super::common::log_time(crate::tasks::now());
    let suffix = format!(
        "state-suspend-{}",
        date.split(' ').next().unwrap_or_default()
    );
    let allocated = state_storage(guest)
        .ok_or_else(|| "unable to find a storage for the VM state".to_string())
        .and_then(|sid| {
            volumes::allocate_named(
                cluster,
                &node,
                &sid,
                vmid,
                GuestType::Qemu,
                size,
                Some(&suffix),
            )
        });
    let state = match allocated {
        Ok(volid) => volid,
        Err(error) => return TaskOutcome::failed(Vec::new(), error),
    };
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    guest.config.insert("vmstate".into(), state.clone());
    guest.config.insert("lock".into(), "suspended".into());
    guest.status = GuestStatus::Stopped;
    guest.started_at = None;
    TaskOutcome::ok(vec![format!(
        "saving VM state and RAM using storage '{}'",
        state.split(':').next().unwrap_or_default()
    )])
}

/// `find_vmstate_storage`: `vmstatestorage`, else the storage of the first disk.
fn state_storage(guest: &Guest) -> Option<String> {
    if let Some(sid) = guest.config.get("vmstatestorage") {
        return Some(sid.clone());
    }
    guest
        .disks()
        .into_iter()
        .find_map(|(_, spec)| spec.split(':').next().map(str::to_string))
}
