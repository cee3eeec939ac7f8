//! `DELETE /nodes/{node}/lxc|qemu/{vmid}`: destroy a guest and free its volumes.

use proxicloud_types::GuestType;

use super::common::{
    check_protection, check_unlocked, is_running, request_guest, root_only_flag, secs, upid_answer,
};
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::GuestStatus;
use crate::tasks::{TaskOutcome, TaskSpec};
use crate::{Cluster, Sim};

pub(crate) fn destroy(sim: &Sim, req: &Req) -> ApiResult {
    let force = req.flag("force")?;
    let purge = req.flag("purge")?;
    let unreferenced = req.flag("destroy-unreferenced-disks")?;
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, kind, node) = (guest.vmid, guest.kind, guest.node.clone());
    let noun = super::common::noun(kind);
    check_protection(guest, &format!("can't remove {noun} {vmid}")).map_err(ApiError::internal)?;
    let (task, lock_failure) = match kind {
        GuestType::Lxc => {
            check_unlocked(guest).map_err(ApiError::internal)?;
            if is_running(guest) && !force {
                return Err(ApiError::internal(format!(
                    "unable to destroy CT {vmid} - container is running"
                )));
            }
            ("vzdestroy", None)
        }
        GuestType::Qemu => {
            let skiplock = root_only_flag(req, "skiplock")?;
            if is_running(guest) {
                return Err(ApiError::internal(format!(
                    "VM {vmid} is running - destroy failed"
                )));
            }
            // qemu-server checks the lock inside the worker.
            let failure = if skiplock {
                None
            } else {
                check_unlocked(guest).err()
            };
            ("qmdestroy", failure)
        }
    };
    if let Some(error) = lock_failure {
        let upid =
            super::common::spawn_failing(sim, &mut cluster, &req.user, &node, task, vmid, error);
        return upid_answer(upid);
    }
    let stop_first = is_running(guest);
    if let Some(guest) = cluster.guests.get_mut(&vmid) {
        guest.config.insert("lock".into(), "destroyed".into());
    }

    let task_node = node.clone();
    let work = move |c: &mut Cluster| {
        let mut log = Vec::new();
        let mut warnings = 0;
        let Some(guest) = c.guests.remove(&vmid) else {
            return TaskOutcome::failed(log, format!("{noun} {vmid} vanished during the task"));
        };
        if stop_first {
            log.push(format!("WARN: forced to stop CT {vmid} before destroying!"));
            warnings += 1;
        }
        let mut freed = volumes::guest_volumes(&guest);
        if unreferenced {
            freed.extend(unreferenced_volumes(c, &node, vmid, &freed));
        }
        for volid in &freed {
            if volumes::find_volume(c, &node, volid).is_some_and(|v| v.vmid == Some(vmid)) {
                volumes::free(c, &node, volid);
                log.push(format!(
                    "  Logical volume \"{}\" successfully removed.",
                    volid.split_once(':').map(|(_, n)| n).unwrap_or(volid)
                ));
            }
        }
        // Like `remove_vm_access` and `remove_vmfw_conf` after the disks: a later guest
        // with this vmid must not inherit the old one's permissions or firewall.
        c.access.remove_vm_access(vmid);
        c.firewall.remove_guest(vmid);
        if purge {
            log.push(format!(
                "purging {noun} {vmid} from related configurations.."
            ));
        }
        TaskOutcome {
            log,
            result: Ok(warnings),
        }
    };
    let rollback = move |c: &mut Cluster| {
        if let Some(guest) = c.guests.get_mut(&vmid) {
            guest.config.remove("lock");
        }
        TaskOutcome::ok(Vec::new())
    };
    let spec = TaskSpec::new(&task_node, task, vmid, secs(2.0), work).with_rollback(rollback);
    let upid = sim.spawn_task(&mut cluster, &req.user, spec);
    // A forced destroy stops the container right away, as `vm_stop` does in the worker.
    if stop_first && let Some(guest) = cluster.guests.get_mut(&vmid) {
        guest.status = GuestStatus::Stopped;
        guest.started_at = None;
    }
    upid_answer(upid)
}

/// `destroy-unreferenced-disks`: disk volumes of the vmid on the node's storages
/// that no config line references.
fn unreferenced_volumes(
    cluster: &Cluster,
    node: &str,
    vmid: u32,
    referenced: &[String],
) -> Vec<String> {
    let Some(node) = cluster.nodes.get(node) else {
        return Vec::new();
    };
    node.storages
        .values()
        .filter(|s| s.enabled)
        .flat_map(|s| s.volumes.values())
        .filter(|v| v.vmid == Some(vmid) && (v.content == "images" || v.content == "rootdir"))
        .filter(|v| !referenced.contains(&v.volid))
        .map(|v| v.volid.clone())
        .collect()
}
