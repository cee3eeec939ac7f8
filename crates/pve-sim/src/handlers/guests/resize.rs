//! `PUT …/resize`: grow a disk. pve-container checks the request before forking;
//! qemu-server does all of it in the `resize` worker, so a VM shrink is a failed
//! task while a CT shrink is an HTTP 500.

use proxicloud_types::GuestType;

use super::common::{
    Die, check_digest, check_unlocked, request_guest, root_only_flag, secs, spawn_failing,
    upid_answer,
};
use super::propstr::PropertyString;
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, format_size, parse_size};
use crate::tasks::{TaskOutcome, TaskSpec};
use crate::{Cluster, Sim};

pub(crate) fn resize(sim: &Sim, req: &Req) -> ApiResult {
    let disk = req.required_str("disk")?;
    let size = req.required_str("size")?;
    let digest = req.str("digest");
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, node, kind) = (guest.vmid, guest.node.clone(), guest.kind);
    let checked = match kind {
        GuestType::Lxc => {
            // pve-container runs the same checks before forking the worker.
            resize_checks(&cluster, guest, &disk, &size, digest.as_deref(), false)
                .map_err(ApiError::internal)?
        }
        GuestType::Qemu => {
            let skiplock = root_only_flag(req, "skiplock")?;
            match resize_checks(&cluster, guest, &disk, &size, digest.as_deref(), skiplock) {
                Ok(plan) => plan,
                Err(error) => {
                    return upid_answer(spawn_failing(
                        sim,
                        &mut cluster,
                        &req.user,
                        &node,
                        "resize",
                        vmid,
                        error,
                    ));
                }
            }
        }
    };
    let work = move |c: &mut Cluster| match checked {
        // qemu-server returns quietly when the size does not change.
        None => TaskOutcome::ok(Vec::new()),
        Some(plan) => apply_resize(c, vmid, &disk, plan),
    };
    let spec = TaskSpec::new(&node, "resize", vmid, secs(1.0), work);
    upid_answer(sim.spawn_task(&mut cluster, &req.user, spec))
}

struct ResizePlan {
    volid: String,
    old_size: u64,
    new_size: u64,
}

/// Validate a resize; `Ok(None)` means "already that size" for VMs.
fn resize_checks(
    cluster: &Cluster,
    guest: &Guest,
    disk: &str,
    size: &str,
    digest: Option<&str>,
    skiplock: bool,
) -> Result<Option<ResizePlan>, Die> {
    match guest.kind {
        GuestType::Lxc => {
            check_unlocked(guest)?;
            check_digest(digest, guest)?;
        }
        GuestType::Qemu => {
            check_digest(digest, guest)?;
            if !skiplock {
                check_unlocked(guest)?;
            }
        }
    }
    let value = guest
        .config
        .get(disk)
        .ok_or_else(|| format!("disk '{disk}' does not exist"))?;
    let volid = PropertyString::parse_disk(value)
        .head
        .filter(|h| volumes::split_volid(h).is_some())
        .ok_or_else(|| format!("disk '{disk}' has no associated volume"))?;
    if guest.kind == GuestType::Qemu && value.contains("media=cdrom") {
        return Err("you can't resize a cdrom".to_string());
    }
    let volume = volumes::find_volume(cluster, &guest.node, &volid)
        .ok_or_else(|| format!("Could not determine current size of volume '{volid}'"))?;
    if volume.vmid != Some(guest.vmid) {
        return Err(format!(
            "can't resize mount point owned by another container ({})",
            volume.vmid.unwrap_or(0)
        ));
    }
    let (grow, amount) = match size.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, size),
    };
    let requested = parse_size(amount).ok_or_else(|| match guest.kind {
        GuestType::Lxc => "invalid size string".to_string(),
        GuestType::Qemu => "internal error".to_string(),
    })?;
    let new_size = if grow {
        volume.size + requested
    } else {
        requested
    };
    if new_size < volume.size {
        return Err(match guest.kind {
            GuestType::Lxc => "unable to shrink disk size".to_string(),
            GuestType::Qemu => "shrinking disks is not supported".to_string(),
        });
    }
    if new_size == volume.size {
        return match guest.kind {
            GuestType::Lxc => Err("disk is already at specified size".to_string()),
            GuestType::Qemu => Ok(None),
        };
    }
    Ok(Some(ResizePlan {
        volid,
        old_size: volume.size,
        new_size,
    }))
}

fn apply_resize(cluster: &mut Cluster, vmid: u32, disk: &str, plan: ResizePlan) -> TaskOutcome {
    let Some(guest) = cluster.guests.get(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    let node = guest.node.clone();
    let kind = guest.kind;
    let (sid, _) = volumes::split_volid(&plan.volid).unwrap_or_default();
    let growth = plan.new_size - plan.old_size;
    let avail = cluster
        .nodes
        .get(&node)
        .and_then(|n| n.storages.get(sid))
        .map(|s| s.avail())
        .unwrap_or(0);
    if avail < growth {
        return TaskOutcome::failed(
            Vec::new(),
            format!(
                "not enough free space on storage '{sid}' - requested {}, available {}",
                format_size(growth),
                format_size(avail)
            ),
        );
    }
    volumes::set_size(cluster, &node, &plan.volid, plan.new_size);
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    if let Some(value) = guest.config.get(disk) {
        let mut spec = PropertyString::parse_disk(value);
        spec.set("size", format_size(plan.new_size));
        let first = if kind == GuestType::Lxc {
            super::lxc_create::mount_point_first_keys(disk)
        } else {
            &[]
        };
        guest.config.insert(disk.to_string(), spec.print(first));
    }
    let mut log = Vec::new();
    if kind == GuestType::Lxc {
        log.push(format!(
            "  Size of logical volume pve/{} changed from {} to {}.",
            plan.volid.split(':').nth(1).unwrap_or_default(),
            format_size(plan.old_size),
            format_size(plan.new_size)
        ));
        log.push("resize2fs 1.47.2 (1-Jan-2025)".to_string());
    }
    TaskOutcome::ok(log)
}
