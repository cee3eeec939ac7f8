//! `/nodes/{node}/storage/{storage}/content[/{volume}]`: list, allocate, inspect,
//! annotate and delete volumes (pve-storage `PVE::API2::Storage::Content`).

use std::time::Duration;

use proxicloud_types::GuestType;
use serde_json::{Map, Value, json};

mod copy;

use super::{dir_path, node, storage};
use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::model::{Storage, Volume};
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// `lvremove` of a thin volume takes about a second.
const DELETE_DURATION: Duration = Duration::from_secs(1);

pub fn routes() -> Vec<Route> {
    const CONTENT: &str = "/nodes/{node}/storage/{storage}/content";
    const VOLUME: &str = "/nodes/{node}/storage/{storage}/content/{volume}";
    vec![
        route(Method::Get, CONTENT, list),
        route(Method::Post, CONTENT, allocate),
        route(Method::Get, VOLUME, attributes),
        route(Method::Put, VOLUME, update_attributes),
        route(Method::Delete, VOLUME, delete),
        route(Method::Post, VOLUME, copy::copy),
    ]
}

/// Disk volumes are `rootdir` when a container owns them, `images` otherwise — PVE
/// decides at listing time from the owner's type.
fn content_type(cluster: &Cluster, volume: &Volume) -> String {
    match volume.content.as_str() {
        "images" | "rootdir" => {
            let owner = volume.vmid.and_then(|id| cluster.guests.get(&id));
            match owner.map(|g| g.kind) {
                Some(GuestType::Lxc) => "rootdir".into(),
                _ => "images".into(),
            }
        }
        other => other.to_string(),
    }
}

fn list_entry(cluster: &Cluster, storage: &Storage, volume: &Volume) -> Value {
    let content = content_type(cluster, volume);
    let mut entry = Map::new();
    entry.insert("volid".into(), json!(volume.volid));
    entry.insert("content".into(), json!(content));
    entry.insert("format".into(), json!(volume.format));
    entry.insert("size".into(), json!(volume.size));
    entry.insert("ctime".into(), json!(volume.ctime));
    if let Some(vmid) = volume.vmid {
        entry.insert("vmid".into(), json!(vmid));
    }
    if let Some(notes) = &volume.notes {
        entry.insert("notes".into(), json!(notes));
    }
    if content == "backup" {
        let subtype = if volume.volid.contains("vzdump-lxc-") {
            "lxc"
        } else if volume.volid.contains("vzdump-qemu-") {
            "qemu"
        } else {
            "unknown"
        };
        entry.insert("subtype".into(), json!(subtype));
        // `$info->{protected} = 1 if -e protection_file_path(...)`.
        if volume.protected {
            entry.insert("protected".into(), json!(1));
        }
    }
    if storage.kind == "dir" && (content == "images" || content == "rootdir") {
        entry.insert("used".into(), json!(volume.size));
    }
    Value::Object(entry)
}

fn list(sim: &Sim, req: &Req) -> ApiResult {
    let wanted = req.str("content");
    let vmid = req.int("vmid")?.map(|v| v as u32);
    let cluster = sim.cluster.lock();
    let storage = storage(node(&cluster, req.node()?)?, req.path("storage")?)?;
    let mut entries: Vec<(usize, &str, Value)> = Vec::new();
    for volume in storage.volumes.values() {
        let content = content_type(&cluster, volume);
        if wanted.as_ref().is_some_and(|w| *w != content) {
            continue;
        }
        if let Some(vmid) = vmid {
            // With a vmid, PVE lists owned volumes only (templates and ISOs have no owner).
            let per_guest = matches!(content.as_str(), "images" | "rootdir" | "backup");
            if (per_guest && volume.vmid != Some(vmid)) || content == "iso" || content == "vztmpl" {
                continue;
            }
        }
        let order = storage
            .content
            .iter()
            .position(|c| *c == content)
            .unwrap_or(usize::MAX);
        entries.push((order, &volume.volid, list_entry(&cluster, storage, volume)));
    }
    entries.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    Ok(Value::Array(
        entries.into_iter().map(|(_, _, e)| e).collect(),
    ))
}

/// Sizes are KiB, optionally with `M` or `G`.
fn parse_kib(text: &str) -> Option<u64> {
    let (digits, factor) = match text.strip_suffix('G') {
        Some(d) => (d, 1024 * 1024),
        None => match text.strip_suffix('M') {
            Some(d) => (d, 1024),
            None => (text, 1),
        },
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().map(|n| n * factor)
}

fn allocate(sim: &Sim, req: &Req) -> ApiResult {
    let filename = req.required_str("filename")?;
    let size_text = req.required_str("size")?;
    let vmid = req
        .int("vmid")?
        .ok_or_else(|| ApiError::param("vmid", "property is missing and it is not optional"))?
        as u32;
    let kib = parse_kib(&size_text)
        .ok_or_else(|| ApiError::param("size", format!("unable to parse size '{size_text}'")))?;
    let mut format = req.str("format");
    if let Some((_, ext)) = filename.rsplit_once('.')
        && matches!(ext, "raw" | "qcow2" | "vmdk")
    {
        if let Some(given) = format.as_deref().filter(|f| *f != ext) {
            return Err(ApiError::param(
                "format",
                format!("different storage formats ({given} != {ext})"),
            ));
        }
        format = Some(ext.to_string());
    }

    let mut cluster = sim.cluster.lock();
    let owner_is_ct = cluster
        .guests
        .get(&vmid)
        .is_some_and(|g| g.kind == GuestType::Lxc);
    let node = cluster
        .nodes
        .get_mut(req.node()?)
        .ok_or_else(|| ApiError::internal("node vanished"))?;
    let storage_id = req.path("storage")?;
    let storage = node
        .storages
        .get_mut(storage_id)
        .ok_or_else(|| ApiError::internal(format!("storage '{storage_id}' does not exist")))?;
    let format = format.unwrap_or_else(|| "raw".to_string());
    let volname = match storage.kind.as_str() {
        "lvmthin" => {
            if format != "raw" {
                return Err(ApiError::internal(format!("unsupported format '{format}'")));
            }
            if !filename.starts_with(&format!("vm-{vmid}-")) {
                return Err(ApiError::internal(format!(
                    "illegal name '{filename}' - should be 'vm-{vmid}-*'"
                )));
            }
            if storage
                .volumes
                .contains_key(&format!("{storage_id}:{filename}"))
            {
                return Err(ApiError::internal(format!(
                    "lvcreate 'pve/{filename}' error:   Logical Volume \"{filename}\" already exists in volume group \"pve\""
                )));
            }
            filename.clone()
        }
        _ => {
            if !filename.ends_with(&format!(".{format}")) {
                return Err(ApiError::internal(format!(
                    "illegal name '{filename}' - wrong extension for format ('{}' != '{format}')",
                    filename.rsplit_once('.').map_or("", |(_, e)| e)
                )));
            }
            let volname = format!("{vmid}/{filename}");
            if storage
                .volumes
                .contains_key(&format!("{storage_id}:{volname}"))
            {
                return Err(ApiError::internal(format!(
                    "disk image '{}/images/{volname}' already exists",
                    dir_path(storage)
                )));
            }
            volname
        }
    };
    let volid = format!("{storage_id}:{volname}");
    storage.volumes.insert(
        volid.clone(),
        Volume {
            volid: volid.clone(),
            content: if owner_is_ct { "rootdir" } else { "images" }.into(),
            format,
            size: kib * 1024,
            vmid: Some(vmid),
            ctime: now(),
            notes: None,
            backup_config: None,
            protected: false,
        },
    );
    Ok(json!(volid))
}

/// `storage:volname` from the path's volume (which may omit the storage).
pub(super) fn real_volume_id(storage_id: &str, volume: &str) -> Result<String, ApiError> {
    match volume.split_once(':') {
        Some((sid, _)) if sid != storage_id => Err(ApiError::param(
            "volume",
            format!("storage ID mismatch ({sid} != {storage_id})"),
        )),
        Some(_) => Ok(volume.to_string()),
        None => Ok(format!("{storage_id}:{volume}")),
    }
}

/// Where the volume lives on the node, as `PVE::Storage::path` reports it.
fn volume_path(storage: &Storage, volid: &str) -> String {
    let volname = volid.split_once(':').map_or(volid, |(_, v)| v);
    if storage.kind == "lvmthin" {
        return format!("/dev/pve/{volname}");
    }
    let base = dir_path(storage);
    let (dir, name) = volname.split_once('/').unwrap_or(("", volname));
    match dir {
        "vztmpl" => format!("{base}/template/cache/{name}"),
        "iso" => format!("{base}/template/iso/{name}"),
        "backup" => format!("{base}/dump/{name}"),
        "snippets" | "import" => format!("{base}/{dir}/{name}"),
        _ => format!("{base}/images/{volname}"),
    }
}

/// The storage plugin's `parse_volname`, as far as it refuses names: LVM and LVM-thin
/// first run `parse_lvm_name` (pve-storage `PVE::Storage::Plugin`), then want
/// `vm-<vmid>-…` (thin pools also `base-<vmid>-…`). `PVE::Storage::path` calls it
/// before any lookup, so these errors come before "does not exist".
pub(super) fn parse_volname(storage: &Storage, volid: &str) -> Result<(), ApiError> {
    let name = volid.split_once(':').map_or(volid, |(_, n)| n);
    if !matches!(storage.kind.as_str(), "lvm" | "lvmthin") {
        return Ok(());
    }
    let bytes = name.as_bytes();
    let legal = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    let valid = bytes.len() >= 2
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes.iter().all(legal);
    if !valid {
        return Err(ApiError::internal(format!(
            "lvm name '{name}' contains illegal characters"
        )));
    }
    let prefixes: &[&str] = if storage.kind == "lvmthin" {
        &["vm-", "base-"]
    } else {
        &["vm-"]
    };
    let owned = prefixes.iter().any(|p| {
        name.strip_prefix(p)
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(vmid, rest)| {
                !vmid.is_empty() && vmid.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty()
            })
    });
    if !owned {
        return Err(ApiError::internal(format!(
            "unable to parse lvm volume name '{name}'"
        )));
    }
    Ok(())
}

fn lookup<'a>(
    cluster: &'a Cluster,
    req: &Req,
) -> Result<(&'a Storage, &'a Volume, String), ApiError> {
    let storage_id = req.path("storage")?;
    let volid = real_volume_id(storage_id, req.path("volume")?)?;
    let storage = storage(node(cluster, req.node()?)?, storage_id)?;
    parse_volname(storage, &volid)?;
    let volume = storage
        .volumes
        .get(&volid)
        .ok_or_else(|| ApiError::internal(format!("volume '{volid}' does not exist")))?;
    Ok((storage, volume, volid))
}

fn attributes(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let (storage, volume, volid) = lookup(&cluster, req)?;
    let mut entry = json!({
        "path": volume_path(storage, &volid),
        "size": volume.size,
        "used": volume.size,
        "format": volume.format,
    });
    if let Some(notes) = &volume.notes {
        entry["notes"] = json!(notes);
    }
    if volume.content == "backup" {
        entry["protected"] = json!(u8::from(volume.protected));
    }
    Ok(entry)
}

/// `updateattributes`: `notes`, then `protected` (pve-storage `DirPlugin`: only
/// backups carry either; PVE's per-guest limit on protected backups does not apply to
/// the simulator's users, who all hold `Datastore.Allocate`).
fn update_attributes(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let volid = lookup(&cluster, req)?.2;
    let notes = req.str("notes");
    let protected = req.bool("protected")?;
    let volume = volume_mut(&mut cluster, req.node()?, req.path("storage")?, &volid)?;
    if let Some(notes) = notes {
        if volume.content != "backup" {
            return Err(ApiError::internal(format!(
                "volume notes are not supported for '{}'",
                volume.content
            )));
        }
        volume.notes = Some(notes).filter(|n| !n.is_empty());
    }
    if let Some(protected) = protected {
        if volume.content != "backup" {
            return Err(ApiError::internal(
                "only backups support attribute 'protected'",
            ));
        }
        volume.protected = protected;
    }
    Ok(Value::Null)
}

fn volume_mut<'a>(
    cluster: &'a mut Cluster,
    node: &str,
    storage: &str,
    volid: &str,
) -> Result<&'a mut Volume, ApiError> {
    cluster
        .nodes
        .get_mut(node)
        .and_then(|n| n.storages.get_mut(storage))
        .and_then(|s| s.volumes.get_mut(volid))
        .ok_or_else(|| ApiError::internal(format!("volume '{volid}' does not exist")))
}

/// Removes the volume in an `imgdel` task (id `VMID@storage`). With `delay`, PVE waits
/// for the task and answers null on success; deleting is quick enough here to do inline.
fn delete(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let (_, volume, volid) = lookup(&cluster, req)?;
    let storage_id = req.path("storage")?.to_string();
    let node = req.node()?.to_string();
    let id = match volume.vmid {
        Some(vmid) => format!("{vmid}@{storage_id}"),
        None => storage_id.clone(),
    };
    let remove = {
        let (node, storage_id, volid) = (node.clone(), storage_id.clone(), volid.clone());
        move |cluster: &mut Cluster| {
            let storage = cluster
                .nodes
                .get(&node)
                .and_then(|n| n.storages.get(&storage_id));
            // `free_image`: a protected backup stays; the task fails.
            if let Some(volume) = storage
                .and_then(|s| s.volumes.get(&volid))
                .filter(|v| v.protected)
            {
                let volname = volume.volid.split_once(':').map_or("", |(_, v)| v);
                return TaskOutcome::failed(
                    Vec::new(),
                    format!("cannot remove protected volume '{volname}' on '{storage_id}'"),
                );
            }
            let removed = cluster
                .nodes
                .get_mut(&node)
                .and_then(|n| n.storages.get_mut(&storage_id))
                .and_then(|s| s.volumes.remove(&volid));
            match removed {
                Some(_) => TaskOutcome::ok(vec![format!("Removed volume '{volid}'")]),
                None => TaskOutcome::failed(Vec::new(), format!("volume '{volid}' does not exist")),
            }
        }
    };
    if req.int("delay")?.is_some() {
        let outcome = remove(&mut cluster);
        return match outcome.result {
            Ok(_) => Ok(Value::Null),
            Err(e) => Err(ApiError::internal(e)),
        };
    }
    let spec = TaskSpec::new(&node, "imgdel", id, DELETE_DURATION, remove);
    Ok(json!(sim.spawn_task(&mut cluster, &req.user, spec)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_kib_with_m_and_g_suffixes() {
        assert_eq!(parse_kib("1024"), Some(1024));
        assert_eq!(parse_kib("4M"), Some(4 * 1024));
        assert_eq!(parse_kib("2G"), Some(2 * 1024 * 1024));
        assert_eq!(parse_kib("2T"), None);
        assert_eq!(parse_kib("G"), None);
    }

    #[test]
    fn volume_ids_may_omit_the_storage_but_not_contradict_it() {
        assert_eq!(
            real_volume_id("local", "iso/x.iso").unwrap(),
            "local:iso/x.iso"
        );
        assert_eq!(
            real_volume_id("local", "local:iso/x.iso").unwrap(),
            "local:iso/x.iso"
        );
        let err = real_volume_id("local", "other:iso/x.iso").unwrap_err();
        assert_eq!(err.errors["volume"], "storage ID mismatch (other != local)");
    }
}
