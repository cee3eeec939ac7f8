//! `POST …/template`: convert a stopped guest into a template; its disks become
//! base volumes that linked clones share.

use proxicloud_types::GuestType;
use serde_json::Value;

use super::common::{
    check_unlocked, is_running, noun, request_guest, secs, task_type, upid_answer,
};
use super::propstr::PropertyString;
use super::volume_ops;
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::tasks::{TaskOutcome, TaskSpec};
use crate::{Cluster, Sim};

pub(crate) fn template(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, kind, node) = (guest.vmid, guest.kind, guest.node.clone());
    let noun = noun(kind);
    check_unlocked(guest).map_err(ApiError::internal)?;
    let only_disk = if kind == GuestType::Qemu {
        req.str("disk")
    } else {
        None
    };
    if !guest.snapshots.is_empty() {
        return Err(ApiError::internal(format!(
            "unable to create template, because {noun} contains snapshots"
        )));
    }
    if guest.is_template() && only_disk.is_none() {
        return Err(ApiError::internal(
            "you can't convert a template to a template",
        ));
    }
    if is_running(guest) {
        return Err(ApiError::internal(match kind {
            GuestType::Lxc => "you can't convert a CT to template if the CT is running",
            GuestType::Qemu => "you can't convert a VM to template if VM is running",
        }));
    }
    let task = task_type(kind, "vztemplate", "qmtemplate");
    let work = move |c: &mut Cluster| make_template(c, vmid, only_disk.as_deref());
    let spec = TaskSpec::new(&node, task, vmid, secs(2.0), work);
    let upid = sim.spawn_task(&mut cluster, &req.user, spec);
    match kind {
        // pve-container `PVE::API2::LXC` `template`: the `vztemplate` worker runs, but
        // the handler ends with `return undef` (its schema: `returns => null`).
        GuestType::Lxc => Ok(Value::Null),
        GuestType::Qemu => upid_answer(upid),
    }
}

/// `template_create`: every (or the one given) disk becomes a base volume.
fn make_template(cluster: &mut Cluster, vmid: u32, only_disk: Option<&str>) -> TaskOutcome {
    let Some(guest) = cluster.guests.get(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    let (node, kind) = (guest.node.clone(), guest.kind);
    let disks: Vec<(String, String)> = guest
        .config
        .iter()
        .filter(|(k, v)| volumes::is_disk_key(kind, k) && !v.contains("media=cdrom"))
        .filter(|(k, _)| only_disk.is_none_or(|d| d == k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut converted = Vec::new();
    for (key, value) in disks {
        let mut disk = PropertyString::parse_disk(&value);
        let Some(volid) = disk
            .head
            .clone()
            .filter(|h| volumes::split_volid(h).is_some())
        else {
            continue;
        };
        match volume_ops::make_base(cluster, &node, &volid) {
            Ok(base) => {
                disk.head = Some(base);
                let first = if kind == GuestType::Lxc {
                    super::lxc_create::mount_point_first_keys(&key)
                } else {
                    &[]
                };
                converted.push((key, disk.print(first)));
            }
            Err(error) => return TaskOutcome::failed(Vec::new(), error),
        }
    }
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    guest.config.extend(converted);
    guest.config.insert("template".into(), "1".into());
    TaskOutcome::ok(Vec::new())
}
