//! Snapshots: list (with the `current` pseudo entry), create, delete, rollback and
//! the per-snapshot config, following `PVE::AbstractConfig`'s snapshot methods.
//! The guest carries `lock: snapshot|snapshot-delete|rollback` while the task runs.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;
use serde_json::{Value, json};

use super::common::{
    Die, check_unlocked, digest, is_running, kind_of, noun, request_guest, secs, spawn_failing,
    task_type, upid_answer,
};
use super::config::snapshot_config;
use super::propstr::PropertyString;
use super::volume_ops::{self, Feature};
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, GuestStatus, Snapshot, disk_size_bytes};
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// Keys `__snapshot_copy_config` leaves out of a snapshot.
const NOT_SNAPSHOTTED: &[&str] = &[
    "lock",
    "parent",
    "snapstate",
    "snaptime",
    "vmstate",
    "digest",
    "description",
];

pub(crate) fn list(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let mut items: Vec<Value> = guest
        .snapshots
        .values()
        .map(|s| {
            let mut item =
                json!({ "name": s.name, "description": s.description, "snaptime": s.snaptime });
            if let Some(parent) = &s.parent {
                item["parent"] = json!(parent);
            }
            if guest.kind == GuestType::Qemu {
                item["vmstate"] = json!(u8::from(s.vmstate));
            }
            item
        })
        .collect();
    let mut current = json!({
        "name": "current",
        "description": "You are here!",
        "digest": digest(guest),
        "running": u8::from(is_running(guest)),
    });
    if let Some(parent) = guest.config.get("parent") {
        current["parent"] = json!(parent);
    }
    items.push(current);
    Ok(Value::Array(items))
}

pub(crate) fn create(sim: &Sim, req: &Req) -> ApiResult {
    let kind = kind_of(req);
    let name = req.required_str("snapname")?;
    let reserved = match kind {
        GuestType::Lxc => name == "current" || name == "vzdump",
        GuestType::Qemu => name == "current" || name.eq_ignore_ascii_case("pending"),
    };
    if reserved {
        return Err(ApiError::internal(format!(
            "unable to use snapshot name '{name}' (reserved name)"
        )));
    }
    let description = req.str("description").unwrap_or_default();
    let with_vmstate = kind == GuestType::Qemu && req.flag("vmstate")?;
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, node) = (guest.vmid, guest.node.clone());
    let task = task_type(kind, "vzsnapshot", "qmsnapshot");
    if let Err(error) = snapshot_checks(&cluster, guest, &name) {
        return upid_answer(spawn_failing(
            sim,
            &mut cluster,
            &req.user,
            &node,
            task,
            vmid,
            error,
        ));
    }
    let save_state = with_vmstate && is_running(guest);
    set_lock(&mut cluster, vmid, "snapshot");
    let work = move |c: &mut Cluster| take_snapshot(c, vmid, name, description, save_state);
    let spec =
        TaskSpec::new(&node, task, vmid, secs(2.0), work).with_rollback(move |c| unlock(c, vmid));
    upid_answer(sim.spawn_task(&mut cluster, &req.user, spec))
}

/// `__snapshot_prepare`'s checks.
fn snapshot_checks(cluster: &Cluster, guest: &Guest, name: &str) -> Result<(), Die> {
    if guest.is_template() {
        return Err("you can't take a snapshot if it's a template".to_string());
    }
    check_unlocked(guest)?;
    if guest.snapshots.contains_key(name) {
        return Err(format!("snapshot name '{name}' already used"));
    }
    let all_capable = guest
        .disks()
        .into_iter()
        .filter_map(|(_, spec)| PropertyString::parse_disk(&spec).head)
        .filter(|volid| volumes::split_volid(volid).is_some())
        .all(|volid| volume_ops::has_feature(cluster, &guest.node, &volid, Feature::Snapshot));
    if !all_capable {
        return Err("snapshot feature is not available".to_string());
    }
    Ok(())
}

fn set_lock(cluster: &mut Cluster, vmid: u32, lock: &str) {
    if let Some(guest) = cluster.guests.get_mut(&vmid) {
        guest.config.insert("lock".into(), lock.into());
    }
}

fn unlock(cluster: &mut Cluster, vmid: u32) -> TaskOutcome {
    if let Some(guest) = cluster.guests.get_mut(&vmid) {
        guest.config.remove("lock");
    }
    TaskOutcome::ok(Vec::new())
}

fn take_snapshot(
    cluster: &mut Cluster,
    vmid: u32,
    name: String,
    description: String,
    save_state: bool,
) -> TaskOutcome {
    let Some(guest) = cluster.guests.get(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    let node = guest.node.clone();
    let mut config: BTreeMap<String, String> = guest
        .config
        .iter()
        .filter(|(k, _)| !NOT_SNAPSHOTTED.contains(&k.as_str()) && !k.starts_with("unused"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let parent = guest.config.get("parent").cloned();
    let mut log = Vec::new();
    if save_state {
        let size = super::listing::qemu_maxmem(guest);
        let storage = guest
            .disks()
            .into_iter()
            .find_map(|(_, spec)| spec.split(':').next().map(str::to_string));
        let suffix = format!("state-{name}");
        if let Some(volid) = storage.and_then(|sid| {
            volumes::allocate_named(
                cluster,
                &node,
                &sid,
                vmid,
                GuestType::Qemu,
                size,
                Some(&suffix),
            )
            .ok()
        }) {
            log.push(format!(
                "saving VM state and RAM using storage '{}'",
                volid.split(':').next().unwrap_or_default()
            ));
            config.insert("vmstate".into(), volid);
        }
    }
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(log, format!("guest {vmid} vanished during the task"));
    };
    let snapshot = Snapshot {
        name: name.clone(),
        description,
        snaptime: now(),
        parent,
        vmstate: config.contains_key("vmstate"),
        config,
    };
    guest.snapshots.insert(name.clone(), snapshot);
    guest.config.insert("parent".into(), name);
    guest.config.remove("lock");
    TaskOutcome::ok(log)
}

pub(crate) fn delete(sim: &Sim, req: &Req) -> ApiResult {
    let name = req.path("snapname")?.to_string();
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, node, kind) = (guest.vmid, guest.node.clone(), guest.kind);
    let task = task_type(kind, "vzdelsnapshot", "qmdelsnapshot");
    let checks = if !guest.snapshots.contains_key(&name) {
        Err(format!("snapshot '{name}' does not exist"))
    } else if guest.is_template() {
        Err("you can't delete a snapshot if vm is a template".to_string())
    } else {
        check_unlocked(guest)
    };
    if let Err(error) = checks {
        return upid_answer(spawn_failing(
            sim,
            &mut cluster,
            &req.user,
            &node,
            task,
            vmid,
            error,
        ));
    }
    set_lock(&mut cluster, vmid, "snapshot-delete");
    let work = move |c: &mut Cluster| remove_snapshot(c, vmid, &name);
    let spec =
        TaskSpec::new(&node, task, vmid, secs(2.0), work).with_rollback(move |c| unlock(c, vmid));
    upid_answer(sim.spawn_task(&mut cluster, &req.user, spec))
}

fn remove_snapshot(cluster: &mut Cluster, vmid: u32, name: &str) -> TaskOutcome {
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    let Some(snap) = guest.snapshots.remove(name) else {
        guest.config.remove("lock");
        return TaskOutcome::failed(Vec::new(), format!("snapshot '{name}' does not exist"));
    };
    // Children of the deleted snapshot (and the current state) move up to its parent.
    if guest.config.get("parent").map(String::as_str) == Some(name) {
        match &snap.parent {
            Some(parent) => guest.config.insert("parent".into(), parent.clone()),
            None => guest.config.remove("parent"),
        };
    }
    for other in guest.snapshots.values_mut() {
        if other.parent.as_deref() == Some(name) {
            other.parent = snap.parent.clone();
        }
    }
    guest.config.remove("lock");
    let node = guest.node.clone();
    if let Some(state) = snap.config.get("vmstate") {
        volumes::free(cluster, &node, state);
    }
    TaskOutcome::ok(Vec::new())
}

/// `GET …/snapshot/{snapname}`: the command index (PVE does not even load the config).
pub(crate) fn command_index(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    super::common::online_node(&cluster, req.node()?)?;
    Ok(json!([{ "cmd": "rollback" }, { "cmd": "config" }]))
}

pub(crate) fn get_config(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let config = snapshot_config(guest, req.path("snapname")?).map_err(ApiError::internal)?;
    Ok(Value::Object(config))
}

pub(crate) fn update_config(sim: &Sim, req: &Req) -> ApiResult {
    let name = req.path("snapname")?.to_string();
    let Some(description) = req.str("description") else {
        return Ok(Value::Null);
    };
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    check_unlocked(guest).map_err(ApiError::internal)?;
    let vmid = guest.vmid;
    let snap = cluster
        .guests
        .get_mut(&vmid)
        .and_then(|g| g.snapshots.get_mut(&name))
        .ok_or_else(|| ApiError::internal(format!("snapshot '{name}' does not exist")))?;
    snap.description = description;
    Ok(Value::Null)
}

pub(crate) fn rollback(sim: &Sim, req: &Req) -> ApiResult {
    let name = req.path("snapname")?.to_string();
    let start_after = req.flag("start")?;
    let mut cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let (vmid, node, kind) = (guest.vmid, guest.node.clone(), guest.kind);
    let task = task_type(kind, "vzrollback", "qmrollback");
    let checks = if guest.is_template() {
        Err("you can't rollback if vm is a template".to_string())
    } else if !guest.snapshots.contains_key(&name) {
        Err(format!("snapshot '{name}' does not exist"))
    } else {
        check_unlocked(guest)
    };
    if let Err(error) = checks {
        return upid_answer(spawn_failing(
            sim,
            &mut cluster,
            &req.user,
            &node,
            task,
            vmid,
            error,
        ));
    }
    // The worker stops a running guest before it touches the disks.
    if let Some(guest) = cluster.guests.get_mut(&vmid) {
        guest.status = GuestStatus::Stopped;
        guest.started_at = None;
        guest.config.insert("lock".into(), "rollback".into());
    }
    let work = move |c: &mut Cluster| apply_rollback(c, vmid, &name, start_after);
    let spec =
        TaskSpec::new(&node, task, vmid, secs(3.0), work).with_rollback(move |c| unlock(c, vmid));
    upid_answer(sim.spawn_task(&mut cluster, &req.user, spec))
}

/// `__snapshot_apply_config`: the snapshot's config becomes current, keeping the
/// description and unused disks; disks added since become `unused[n]`.
fn apply_rollback(cluster: &mut Cluster, vmid: u32, name: &str, start_after: bool) -> TaskOutcome {
    let Some(guest) = cluster.guests.get(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    let Some(snap) = guest.snapshots.get(name).cloned() else {
        return TaskOutcome::failed(Vec::new(), format!("snapshot '{name}' does not exist"));
    };
    let node = guest.node.clone();
    let mut config: BTreeMap<String, String> = guest
        .config
        .iter()
        .filter(|(k, _)| k.starts_with("unused") || *k == "description")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let snap_volumes: Vec<String> = snap
        .config
        .values()
        .filter_map(|v| PropertyString::parse_disk(v).head)
        .collect();
    for (key, value) in &guest.config {
        if !volumes::is_disk_key(guest.kind, key) || value.contains("media=cdrom") {
            continue;
        }
        if let Some(volid) = PropertyString::parse_disk(value).head
            && volumes::split_volid(&volid).is_some()
            && !snap_volumes.contains(&volid)
        {
            let slot = volumes::next_unused_key(&config);
            config.insert(slot, volid);
        }
    }
    let kind = guest.kind;
    for (key, value) in snap.config.iter().filter(|(k, _)| *k != "vmstate") {
        config.insert(key.clone(), value.clone());
        // Volumes return to the size they had when the snapshot was taken.
        if volumes::is_disk_key(kind, key)
            && let (Some(volid), Some(size)) = (
                PropertyString::parse_disk(value).head,
                disk_size_bytes(value),
            )
        {
            volumes::set_size(cluster, &node, &volid, size);
        }
    }
    config.insert("parent".into(), name.to_string());
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return TaskOutcome::failed(Vec::new(), format!("guest {vmid} vanished during the task"));
    };
    guest.config = config;
    let mut log = Vec::new();
    if snap.vmstate || start_after {
        guest.status = GuestStatus::Running;
        guest.started_at = Some(now());
        if start_after && kind == GuestType::Lxc {
            log.push(format!("starting {} {vmid}", noun(kind)));
        }
    }
    TaskOutcome::ok(log)
}
