//! `POST /lxc/{vmid}/move_volume` and `POST /qemu/{vmid}/move_disk`: copy a disk to
//! another storage, keeping the source as `unused[n]` unless `delete=1`.
//! Reassigning a volume to another guest (`target-vmid`) is not simulated.

use proxicloud_types::GuestType;

use super::common::{check_digest, check_unlocked, is_running, request_guest, secs, upid_answer};
use super::propstr::PropertyString;
use super::volume_ops;
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::Guest;
use crate::tasks::{TaskOutcome, TaskSpec};
use crate::{Cluster, Sim};

/// `move_volume` (CT) and `move_disk` (VM) to another storage.
pub(crate) fn move_disk(sim: &Sim, req: &Req) -> ApiResult {
    let is_lxc = req.template.contains("/lxc/");
    let key = req.required_str(if is_lxc { "volume" } else { "disk" })?;
    let storage = req.str("storage");
    let delete = req.flag("delete")?;
    match (&storage, req.str("target-vmid")) {
        (Some(_), Some(_)) => {
            let msg = "either set 'storage' or 'target-vmid', but not both";
            return Err(both_params_error(msg));
        }
        (None, None) => {
            return Err(both_params_error(
                "both 'storage' and 'target-vmid' missing, either needs to be set",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::new(
                501,
                "reassigning a volume to another guest (target-vmid) is not implemented by the simulator",
            ));
        }
        (Some(_), None) => {}
    }
    let storage = storage.unwrap_or_default();
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?.clone();
    let old_volid = move_checks(
        &cluster,
        &guest,
        &key,
        &storage,
        delete,
        req.str("digest").as_deref(),
        if is_lxc { None } else { req.str("format") }.as_deref(),
    )?;
    let vmid = guest.vmid;
    let task = if is_lxc { "move_volume" } else { "qmmove" };
    if is_lxc && let Some(g) = cluster.guests.get_mut(&vmid) {
        g.config.insert("lock".into(), "disk".into());
    }
    let size = volumes::volume_size(&cluster, &guest.node, &old_volid).unwrap_or(0);
    let mut log = vec![format!(
        "copying volume '{old_volid}' from current storage '{}' to target storage '{storage}'",
        old_volid.split(':').next().unwrap_or_default()
    )];
    if !is_lxc
        && guest
            .snapshots
            .values()
            .any(|s| s.config.values().any(|v| v.starts_with(&old_volid)))
    {
        log.push("WARN: moving disk with snapshots, snapshots will not be moved!".to_string());
    }
    let work = move |c: &mut Cluster| finish_move(c, vmid, &key, &old_volid, &storage, delete, log);
    let unlock = move |c: &mut Cluster| {
        if is_lxc && let Some(g) = c.guests.get_mut(&vmid) {
            g.config.remove("lock");
        }
        TaskOutcome::ok(Vec::new())
    };
    let spec = TaskSpec::new(
        &guest.node,
        task,
        vmid,
        secs(5.0 + size as f64 / (1u64 << 30) as f64 * 0.3),
        work,
    )
    .with_rollback(unlock);
    upid_answer(sim.spawn_task(&mut cluster, &req.user, spec))
}

fn both_params_error(message: &str) -> ApiError {
    ApiError::params(
        [("target-vmid", message), ("storage", message)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The checks both families make before copying; returns the volume being moved.
fn move_checks(
    cluster: &Cluster,
    guest: &Guest,
    key: &str,
    storage: &str,
    delete: bool,
    digest: Option<&str>,
    format: Option<&str>,
) -> Result<String, ApiError> {
    let die = ApiError::internal;
    check_unlocked(guest).map_err(die)?;
    let value = guest
        .config
        .get(key)
        .ok_or_else(|| die(format!("disk '{key}' does not exist")))?;
    match guest.kind {
        GuestType::Lxc => {
            if is_running(guest) {
                return Err(die("cannot move volumes of a running container".to_string()));
            }
            if key.starts_with("unused") {
                return Err(die(format!(
                    "cannot move volume '{key}', only configured volumes can be moved to another storage"
                )));
            }
        }
        GuestType::Qemu => {
            if value.contains("media=cdrom") {
                return Err(die("you can't move a cdrom".to_string()));
            }
        }
    }
    let volid = PropertyString::parse_disk(value)
        .head
        .filter(|h| volumes::split_volid(h).is_some())
        .ok_or_else(|| die(format!("disk '{key}' has no associated volume")))?;
    let in_snapshot = guest
        .snapshots
        .values()
        .any(|s| s.config.values().any(|v| v.starts_with(&volid)));
    if delete && in_snapshot {
        let what = if guest.kind == GuestType::Lxc {
            "volume"
        } else {
            "disk"
        };
        return Err(die(format!(
            "you can't move a {what} with snapshots and delete the source"
        )));
    }
    if guest.kind == GuestType::Lxc {
        check_digest(digest, guest).map_err(die)?;
    } else if digest.is_some_and(|d| d != super::common::digest(guest)) {
        return Err(die(
            "detected modified configuration - file changed by other user? Try again.".to_string(),
        ));
    }
    let current_format =
        volumes::find_volume(cluster, &guest.node, &volid).map(|v| v.format.clone());
    if volid.split(':').next() == Some(storage)
        && format.is_none_or(|f| Some(f) == current_format.as_deref())
    {
        return Err(die(
            "you can't move to the same storage with same format".to_string()
        ));
    }
    volumes::check_disk_storage(cluster, &guest.node, storage, guest.kind)
        .map_err(|e| ApiError::param("storage", e))?;
    Ok(volid)
}

fn finish_move(
    cluster: &mut Cluster,
    vmid: u32,
    key: &str,
    old_volid: &str,
    storage: &str,
    delete: bool,
    mut log: Vec<String>,
) -> TaskOutcome {
    let Some(guest) = cluster.guests.get(&vmid) else {
        return TaskOutcome::failed(log, format!("guest {vmid} vanished during the task"));
    };
    let (node, kind, template) = (guest.node.clone(), guest.kind, guest.is_template());
    let unlock = |c: &mut Cluster| {
        if kind == GuestType::Lxc
            && let Some(g) = c.guests.get_mut(&vmid)
        {
            g.config.remove("lock");
        }
    };
    let copied = volume_ops::copy(cluster, &node, old_volid, storage, vmid, kind).and_then(|new| {
        if template {
            volume_ops::make_base(cluster, &node, &new)
        } else {
            Ok(new)
        }
    });
    let new_volid = match copied {
        Ok(volid) => volid,
        Err(error) => {
            unlock(cluster);
            let error = if kind == GuestType::Qemu {
                format!("storage migration failed: {error}")
            } else {
                error
            };
            return TaskOutcome::failed(log, error);
        }
    };
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(log, format!("guest {vmid} vanished during the task"));
    };
    if let Some(value) = guest.config.get(key) {
        let mut spec = PropertyString::parse_disk(value);
        spec.head = Some(new_volid.clone());
        let first = if kind == GuestType::Lxc {
            super::lxc_create::mount_point_first_keys(key)
        } else {
            &[]
        };
        guest.config.insert(key.to_string(), spec.print(first));
    }
    if delete {
        log.push(format!(
            "removing source volume '{old_volid}' after successful copy"
        ));
        volumes::free(cluster, &node, old_volid);
    } else if let Some(guest) = cluster.guests.get_mut(&vmid) {
        let slot = volumes::next_unused_key(&guest.config);
        log.push(format!(
            "adding source volume '{old_volid}' as '{slot}' to config"
        ));
        guest.config.insert(slot, old_volid.to_string());
    }
    unlock(cluster);
    TaskOutcome::ok(log)
}
