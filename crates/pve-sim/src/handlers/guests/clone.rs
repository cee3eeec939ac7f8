//! `POST …/clone` and `POST …/template`: templates turn their disks into base
//! volumes; clones copy a guest (full) or a template's base volumes (linked), with
//! new MACs, on this node or — from shared storage — onto `target`.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::common::{
    Die, check_unlocked, check_vmid_unused, is_running, noun, request_guest, secs, spawn_failing,
    task_type, upid_answer,
};
use super::propstr::{PropertyString, lxc_net_with_mac, qemu_net_with_mac};
use super::provision::{self, Provision};
use super::qemu_create::random_uuid;
use super::volume_ops::{self, Feature};
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, format_size};

use crate::{Cluster, Sim};

/// Options a clone never takes over.
const NOT_CLONED: &[&str] = &[
    "snapshots",
    "parent",
    "snaptime",
    "snapstate",
    "vmstate",
    "template",
    "lock",
    "pending",
];

struct CloneRequest {
    full: Option<bool>,
    storage: Option<String>,
    target: Option<String>,
    snapname: Option<String>,
}

pub(crate) fn clone(sim: &Sim, req: &Req) -> ApiResult {
    let newid = req
        .int("newid")?
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| ApiError::param("newid", "property is missing and it is not optional"))?;
    let local = req.node()?.to_string();
    let request = CloneRequest {
        full: req.bool("full")?,
        storage: req.str("storage"),
        target: req
            .str("target")
            .filter(|t| *t != local && t != "localhost"),
        snapname: req.str("snapname"),
    };
    let mut cluster = sim.cluster.lock();
    let source = request_guest(&cluster, req)?.clone();
    check_clone_target(&cluster, &source, &request)?;
    let kind = source.kind;
    check_unlocked(&source).map_err(ApiError::internal)?;
    match kind {
        GuestType::Lxc => check_vmid_unused(&cluster, newid).map_err(ApiError::internal)?,
        GuestType::Qemu if cluster.guests.contains_key(&newid) => {
            return Err(ApiError::internal(format!(
                "unable to create VM {newid}: config file already exists"
            )));
        }
        GuestType::Qemu => {}
    }
    let full = request.full.unwrap_or(!source.is_template());
    if request.storage.is_some() && !full {
        return Err(ApiError::internal(
            "parameter 'storage' not allowed for linked clones",
        ));
    }
    if kind == GuestType::Qemu && req.str("format").is_some() && !full {
        return Err(ApiError::internal(
            "parameter 'format' not allowed for linked clones",
        ));
    }
    let origin = match &request.snapname {
        Some(name) => source
            .snapshots
            .get(name)
            .map(|s| s.config.clone())
            .ok_or_else(|| ApiError::internal(format!("snapshot '{name}' does not exist")))?,
        None => source.config.clone(),
    };

    let mut p = Provision::new(
        kind,
        &source.node,
        newid,
        task_type(kind, "vzclone", "qmclone"),
    );
    p.task_id = source.vmid.to_string();
    p.final_node = request
        .target
        .clone()
        .unwrap_or_else(|| source.node.clone());
    p.duration = secs(if full { 15.0 } else { 3.0 });
    p.config = cloned_config(&source, &origin, req);
    p.log.push(format!(
        "creating a clone of {} {} with ID {newid}",
        if kind == GuestType::Lxc {
            "container"
        } else {
            "VM"
        },
        source.vmid
    ));
    if kind == GuestType::Qemu {
        p.lock = "clone";
    }
    let copies = match plan_copies(&cluster, &source, &origin, &request, full) {
        Ok(copies) => copies,
        Err(error) => return Err(ApiError::internal(error)),
    };
    if let Err(error) = copy_disks(&mut cluster, &mut p, copies) {
        let task = p.task;
        return upid_answer(spawn_failing(
            sim,
            &mut cluster,
            &req.user,
            &source.node,
            task,
            source.vmid,
            format!("clone failed: {error}"),
        ));
    }
    // pve-container holds a `disk` lock on the source for the whole clone.
    if kind == GuestType::Lxc {
        let vmid = source.vmid;
        set_source_lock(&mut cluster, vmid, Some("disk"));
        p.on_success = Some(Box::new(move |c| set_source_lock(c, vmid, None)));
        p.on_failure = Some(Box::new(move |c| set_source_lock(c, vmid, None)));
    }
    upid_answer(provision::spawn(sim, &mut cluster, &req.user, p))
}

fn set_source_lock(cluster: &mut Cluster, vmid: u32, lock: Option<&str>) {
    if let Some(guest) = cluster.guests.get_mut(&vmid) {
        match lock {
            Some(lock) => guest.config.insert("lock".into(), lock.into()),
            None => guest.config.remove("lock"),
        };
    }
}

/// Target node and storage checks made before anything is locked.
fn check_clone_target(
    cluster: &Cluster,
    source: &Guest,
    request: &CloneRequest,
) -> Result<(), ApiError> {
    if let Some(target) = &request.target
        && !cluster.nodes.contains_key(target)
    {
        return Err(ApiError::internal(format!(
            "no such cluster node '{target}'"
        )));
    }
    if let Some(storage) = &request.storage {
        let config =
            volumes::storage_on(cluster, &source.node, storage).map_err(ApiError::internal)?;
        if source.kind == GuestType::Qemu && !config.content.iter().any(|c| c == "images") {
            return Err(ApiError::param(
                "storage",
                format!("storage '{storage}' does not support vm images"),
            ));
        }
        if let Some(target) = &request.target {
            volumes::storage_on(cluster, target, storage).map_err(ApiError::internal)?;
            if !config.shared {
                return Err(ApiError::internal(format!(
                    "can't clone to non-shared storage '{storage}'"
                )));
            }
        }
    }
    Ok(())
}

/// The new guest's config: everything but snapshot state, with new MACs, a new
/// SMBIOS UUID (VMs) and the requested name.
fn cloned_config(
    source: &Guest,
    origin: &BTreeMap<String, String>,
    req: &Req,
) -> BTreeMap<String, String> {
    let mut config = BTreeMap::new();
    for (key, value) in origin {
        if NOT_CLONED.contains(&key.as_str()) || key.starts_with("unused") {
            continue;
        }
        let value = match (source.kind, key.starts_with("net")) {
            (GuestType::Lxc, true) => lxc_net_with_mac(value, true),
            (GuestType::Qemu, true) => qemu_net_with_mac(value, true),
            _ => value.clone(),
        };
        config.insert(key.clone(), value);
    }
    match source.kind {
        GuestType::Lxc => {
            if let Some(hostname) = req.str("hostname") {
                config.insert("hostname".into(), hostname);
            }
        }
        GuestType::Qemu => {
            let name = req.str("name").unwrap_or_else(|| {
                format!(
                    "Copy-of-VM-{}",
                    origin
                        .get("name")
                        .cloned()
                        .unwrap_or_else(|| source.vmid.to_string())
                )
            });
            config.insert("name".into(), name);
            let mut smbios =
                PropertyString::parse(origin.get("smbios1").map(String::as_str).unwrap_or(""));
            smbios.set("uuid", random_uuid());
            config.insert("smbios1".into(), smbios.print(&[]));
            if config.contains_key("vmgenid") {
                config.insert("vmgenid".into(), random_uuid());
            }
        }
    }
    if let Some(description) = req.str("description") {
        config.insert("description".into(), description);
    }
    config
}

struct DiskCopy {
    key: String,
    volid: String,
    linked: bool,
    target_storage: String,
}

/// Which disks are copied and how, with PVE's feature checks.
fn plan_copies(
    cluster: &Cluster,
    source: &Guest,
    origin: &BTreeMap<String, String>,
    request: &CloneRequest,
    full: bool,
) -> Result<Vec<DiskCopy>, Die> {
    let running = is_running(source);
    let mut copies = Vec::new();
    let mut all_shared = true;
    for (key, value) in origin
        .iter()
        .filter(|(k, _)| volumes::is_disk_key(source.kind, k))
    {
        if value.contains("media=cdrom") {
            continue;
        }
        let Some(volid) = PropertyString::parse_disk(value)
            .head
            .filter(|h| volumes::split_volid(h).is_some())
        else {
            if source.kind == GuestType::Lxc {
                return Err(format!("unable to clone mountpoint '{key}' (type bind)"));
            }
            continue;
        };
        let own_storage = volid.split(':').next().unwrap_or_default().to_string();
        let target_storage = request.storage.clone().unwrap_or(own_storage);
        all_shared &=
            volumes::storage_on(cluster, &source.node, &target_storage).is_ok_and(|s| s.shared);
        if full {
            if source.kind == GuestType::Lxc && running && request.snapname.is_none() {
                return Err(
                    "Full clone of a running container is only possible from a snapshot"
                        .to_string(),
                );
            }
        } else if !volume_ops::has_feature(cluster, &source.node, &volid, Feature::LinkedClone) {
            return Err(match source.kind {
                GuestType::Lxc => format!("Linked clone feature for '{volid}' is not available"),
                GuestType::Qemu => {
                    format!("Linked clone feature is not supported for '{volid}' ({key})")
                }
            });
        }
        copies.push(DiskCopy {
            key: key.clone(),
            volid,
            linked: !full,
            target_storage,
        });
    }
    if let Some(target) = &request.target
        && !all_shared
    {
        return Err(format!(
            "can't clone {} to node '{target}' ({} uses local storage)",
            noun(source.kind),
            noun(source.kind)
        ));
    }
    Ok(copies)
}

fn copy_disks(cluster: &mut Cluster, p: &mut Provision, copies: Vec<DiskCopy>) -> Result<(), Die> {
    let first_keys: fn(&str) -> &'static [&'static str] = super::lxc_create::mount_point_first_keys;
    for copy in copies {
        let result = if copy.linked {
            volume_ops::linked_clone(cluster, &p.node, &copy.volid, p.vmid)
        } else {
            volume_ops::copy(
                cluster,
                &p.node,
                &copy.volid,
                &copy.target_storage,
                p.vmid,
                p.kind,
            )
        };
        let new_volid = match result {
            Ok(volid) => volid,
            Err(error) => {
                for volid in p.allocated.drain(..) {
                    volumes::free(cluster, &p.node, &volid);
                }
                return Err(error);
            }
        };
        let what = match (p.kind, copy.linked) {
            (GuestType::Lxc, true) => format!(
                "create linked clone of mount point {} ({})",
                copy.key, copy.volid
            ),
            (GuestType::Lxc, false) => format!(
                "create full clone of mountpoint {} ({})",
                copy.key, copy.volid
            ),
            (GuestType::Qemu, true) => {
                format!("create linked clone of drive {} ({})", copy.key, copy.volid)
            }
            (GuestType::Qemu, false) => {
                format!("create full clone of drive {} ({})", copy.key, copy.volid)
            }
        };
        p.log.push(what);
        let mut disk = PropertyString::parse_disk(&p.config[&copy.key]);
        disk.head = Some(new_volid.clone());
        if let Some(size) = volumes::volume_size(cluster, &p.node, &new_volid) {
            disk.set("size", format_size(size));
        }
        let first = if p.kind == GuestType::Lxc {
            first_keys(&copy.key)
        } else {
            &[]
        };
        p.config.insert(copy.key, disk.print(first));
        p.allocated.push(new_volid);
    }
    Ok(())
}
