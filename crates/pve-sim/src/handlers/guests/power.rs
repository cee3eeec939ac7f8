//! `status/start|stop|shutdown|reboot|suspend|resume|reset`: the power state machine.
//!
//! Where each check runs follows PVE: pve-container rejects most wrong states in the
//! API call itself ("CT 101 already running"), while qemu-server does many checks in
//! the worker, so the call returns a UPID and the task fails ("VM 100 already running").
//! Lock checks run in the worker for both ("CT is locked (backup)").

use proxicloud_types::GuestType;

use super::common::{
    Die, check_unlocked, is_running, kind_of, noun, request_guest, root_only_flag, secs, task_type,
};
use super::power_effects::{Effect, spawn};
use crate::Sim;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, GuestStatus};

fn lxc_lock_check(guest: &Guest, skiplock: bool) -> Result<(), Die> {
    if skiplock || guest.lock() == Some("mounted") {
        return Ok(());
    }
    check_unlocked(guest)
}

pub(crate) fn start(sim: &Sim, req: &Req) -> ApiResult {
    let skiplock = root_only_flag(req, "skiplock")?;
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let vmid = guest.vmid;
    let checks = match guest.kind {
        GuestType::Lxc => {
            if is_running(guest) {
                return Err(ApiError::internal(format!("CT {vmid} already running")));
            }
            if guest.is_template() {
                Err("you can't start a CT if it's a template".to_string())
            } else {
                lxc_lock_check(guest, skiplock).map(|()| Effect::Start)
            }
        }
        GuestType::Qemu => qemu_start_checks(guest, skiplock),
    };
    let node = guest.node.clone();
    let task = task_type(guest.kind, "vzstart", "qmstart");
    spawn(sim, &mut cluster, req, &node, task, checks, secs(2.0))
}

/// `PVE::QemuServer::vm_start`, in its order.
fn qemu_start_checks(guest: &Guest, skiplock: bool) -> Result<Effect, Die> {
    if guest.is_template() {
        return Err("you can't start a vm if it's a template".to_string());
    }
    let lock = guest.lock();
    if lock == Some("backup") && is_running(guest) {
        // A backup holds the VM paused: "start" resumes it in the existing QEMU process.
        return Ok(Effect::Resume);
    }
    if !skiplock && lock != Some("suspended") {
        check_unlocked(guest)?;
    }
    if is_running(guest) {
        return Err(format!("VM {} already running", guest.vmid));
    }
    Ok(Effect::Start)
}

pub(crate) fn stop(sim: &Sim, req: &Req) -> ApiResult {
    let skiplock = root_only_flag(req, "skiplock")?;
    if kind_of(req) == GuestType::Qemu {
        root_only_flag(req, "keepActive")?;
    }
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let checks = match guest.kind {
        GuestType::Lxc => {
            if !is_running(guest) {
                return Err(ApiError::internal(format!("CT {} not running", guest.vmid)));
            }
            lxc_lock_check(guest, skiplock).map(|()| Effect::Stop)
        }
        // qemu-server's vm_stop returns quietly when the VM is not running.
        GuestType::Qemu if !is_running(guest) => Ok(Effect::None),
        GuestType::Qemu if skiplock => Ok(Effect::Stop),
        GuestType::Qemu => check_unlocked(guest).map(|()| Effect::Stop),
    };
    let node = guest.node.clone();
    let task = task_type(guest.kind, "vzstop", "qmstop");
    spawn(sim, &mut cluster, req, &node, task, checks, secs(1.0))
}

pub(crate) fn shutdown(sim: &Sim, req: &Req) -> ApiResult {
    let force_stop = req.flag("forceStop")?;
    let skiplock = match kind_of(req) {
        GuestType::Qemu => root_only_flag(req, "skiplock")?,
        GuestType::Lxc => false,
    };
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let checks = match guest.kind {
        GuestType::Lxc => {
            if !is_running(guest) {
                return Err(ApiError::internal(format!("CT {} not running", guest.vmid)));
            }
            check_unlocked(guest).map(|()| Effect::Stop)
        }
        GuestType::Qemu => {
            if guest.status == GuestStatus::Paused && !force_stop {
                return Err(ApiError::internal("VM is paused - cannot shutdown"));
            }
            if !is_running(guest) {
                Ok(Effect::None)
            } else if skiplock {
                Ok(Effect::Stop)
            } else {
                check_unlocked(guest).map(|()| Effect::Stop)
            }
        }
    };
    let node = guest.node.clone();
    let task = task_type(guest.kind, "vzshutdown", "qmshutdown");
    spawn(sim, &mut cluster, req, &node, task, checks, secs(4.0))
}

pub(crate) fn reboot(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    if guest.kind == GuestType::Qemu && guest.status == GuestStatus::Paused {
        return Err(ApiError::internal("VM is paused - cannot shutdown"));
    }
    if !is_running(guest) {
        // pve-container's reboot says "VM" too.
        return Err(ApiError::internal(format!("VM {} not running", guest.vmid)));
    }
    let checks = check_unlocked(guest).map(|()| Effect::Reboot);
    let node = guest.node.clone();
    let task = task_type(guest.kind, "vzreboot", "qmreboot");
    spawn(sim, &mut cluster, req, &node, task, checks, secs(6.0))
}

pub(crate) fn reset(sim: &Sim, req: &Req) -> ApiResult {
    let skiplock = root_only_flag(req, "skiplock")?;
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    if !is_running(guest) {
        return Err(ApiError::internal(format!("VM {} not running", guest.vmid)));
    }
    let checks = if skiplock {
        Ok(Effect::None)
    } else {
        check_unlocked(guest).map(|()| Effect::None)
    };
    let node = guest.node.clone();
    spawn(sim, &mut cluster, req, &node, "qmreset", checks, secs(1.0))
}

pub(crate) fn suspend(sim: &Sim, req: &Req) -> ApiResult {
    let kind = kind_of(req);
    let (skiplock, todisk) = match kind {
        GuestType::Qemu => (root_only_flag(req, "skiplock")?, req.flag("todisk")?),
        GuestType::Lxc => (false, false),
    };
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    if !is_running(guest) {
        return Err(ApiError::internal(format!(
            "{} {} not running",
            noun(kind),
            guest.vmid
        )));
    }
    let checks = match kind {
        // lxc-checkpoint -s dumps the container and stops it.
        GuestType::Lxc => check_unlocked(guest).map(|()| Effect::Stop),
        GuestType::Qemu => {
            let backing_up = guest.lock() == Some("backup");
            if backing_up && todisk {
                Err("cannot suspend to disk during backup".to_string())
            } else if skiplock || backing_up {
                Ok(if todisk {
                    Effect::SuspendToDisk
                } else {
                    Effect::Pause
                })
            } else {
                check_unlocked(guest).map(|()| {
                    if todisk {
                        Effect::SuspendToDisk
                    } else {
                        Effect::Pause
                    }
                })
            }
        }
    };
    let node = guest.node.clone();
    let task = match (kind, todisk) {
        (GuestType::Lxc, _) => "vzsuspend",
        (GuestType::Qemu, true) => "qmsuspend",
        (GuestType::Qemu, false) => "qmpause",
    };
    spawn(
        sim,
        &mut cluster,
        req,
        &node,
        task,
        checks,
        secs(if todisk { 8.0 } else { 1.0 }),
    )
}

pub(crate) fn resume(sim: &Sim, req: &Req) -> ApiResult {
    let kind = kind_of(req);
    let skiplock = match kind {
        GuestType::Qemu => {
            root_only_flag(req, "nocheck")?;
            root_only_flag(req, "skiplock")?
        }
        GuestType::Lxc => false,
    };
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let vmid = guest.vmid;
    let checks = match kind {
        GuestType::Lxc => {
            if is_running(guest) {
                return Err(ApiError::internal(format!("CT {vmid} already running")));
            }
            // lxc-checkpoint -r restores the dumped container.
            Ok(Effect::Start)
        }
        GuestType::Qemu => {
            let suspended = guest.lock() == Some("suspended");
            if !suspended && !is_running(guest) {
                return Err(ApiError::internal(format!("VM {vmid} not running")));
            }
            qemu_resume_checks(guest, skiplock, suspended)
        }
    };
    let node = guest.node.clone();
    let task = task_type(kind, "vzresume", "qmresume");
    spawn(sim, &mut cluster, req, &node, task, checks, secs(1.0))
}

/// `vm_resume` (or `vm_start` for a VM suspended to disk).
fn qemu_resume_checks(guest: &Guest, skiplock: bool, suspended: bool) -> Result<Effect, Die> {
    if suspended {
        return Ok(Effect::Start);
    }
    if guest.is_template() {
        return Err(format!(
            "VM {} is a template and cannot be resumed!",
            guest.vmid
        ));
    }
    if guest.status == GuestStatus::Running {
        return Ok(Effect::None);
    }
    if !skiplock && guest.lock() != Some("backup") {
        check_unlocked(guest)?;
    }
    Ok(Effect::Resume)
}
