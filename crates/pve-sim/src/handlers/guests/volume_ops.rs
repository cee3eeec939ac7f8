//! Volume operations beyond plain allocation: template base volumes, storage
//! features, linked and full clones, and moving volume records between nodes.

use proxicloud_types::GuestType;

use super::common::Die;
use super::volumes::{
    allocate, free_disk_index, is_file_storage, locate, split_volid, storage_on, storage_on_mut,
    volume_size,
};
use crate::Cluster;
use crate::model::Volume;
use crate::tasks::now;

/// `vdisk_create_base`: a template's disk is renamed `vm-…` → `base-…`.
pub(crate) fn make_base(cluster: &mut Cluster, node: &str, volid: &str) -> Result<String, Die> {
    let (holder, sid) =
        locate(cluster, node, volid).ok_or_else(|| format!("volume '{volid}' does not exist"))?;
    let (_, name) = split_volid(volid).unwrap_or_default();
    let file = name.rsplit('/').next().unwrap_or(name);
    let Some(rest) = file.strip_prefix("vm-") else {
        // Already a base volume (restored or cloned template disks).
        return Ok(volid.to_string());
    };
    let new_name = format!("{}base-{rest}", &name[..name.len() - file.len()]);
    let new_volid = format!("{sid}:{new_name}");
    if let Some(storage) = storage_on_mut(cluster, &holder, &sid)
        && let Some(mut volume) = storage.volumes.remove(volid)
    {
        volume.volid = new_volid.clone();
        storage.volumes.insert(new_volid.clone(), volume);
    }
    Ok(new_volid)
}

/// Whether storage supports the feature for this volume the way `volume_has_feature`
/// answers for the simulated storage types: block storages snapshot and clone raw
/// volumes, file storages only qcow2 images.
pub(crate) fn has_feature(cluster: &Cluster, node: &str, volid: &str, feature: Feature) -> bool {
    let Some((holder, sid)) = locate(cluster, node, volid) else {
        return false;
    };
    let Some(storage) = cluster
        .nodes
        .get(&holder)
        .and_then(|n| n.storages.get(&sid))
    else {
        return false;
    };
    let format = storage
        .volumes
        .get(volid)
        .map(|v| v.format.as_str())
        .unwrap_or("raw");
    let is_base = split_volid(volid)
        .and_then(|(_, name)| name.rsplit('/').next())
        .is_some_and(|file| file.starts_with("base-"));
    match storage.kind.as_str() {
        "lvm" | "iscsi" => false,
        "lvmthin" | "zfspool" | "rbd" => match feature {
            Feature::Snapshot => true,
            Feature::LinkedClone => is_base,
        },
        _ => match feature {
            Feature::Snapshot => format == "qcow2",
            Feature::LinkedClone => format == "qcow2" && is_base,
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    Snapshot,
    LinkedClone,
}

/// `vdisk_clone` of a template's base volume for `newid` (thin, same size).
pub(crate) fn linked_clone(
    cluster: &mut Cluster,
    node: &str,
    base: &str,
    newid: u32,
) -> Result<String, Die> {
    let (holder, sid) =
        locate(cluster, node, base).ok_or_else(|| format!("volume '{base}' does not exist"))?;
    let storage = storage_on(cluster, &holder, &sid)?;
    let source = storage
        .volumes
        .get(base)
        .cloned()
        .ok_or_else(|| format!("volume '{base}' does not exist"))?;
    let index = free_disk_index(storage, newid);
    let (_, base_name) = split_volid(base).unwrap_or_default();
    let name = if is_file_storage(storage) {
        format!(
            "{base_name}/{newid}/vm-{newid}-disk-{index}.{}",
            source.format
        )
    } else {
        format!("vm-{newid}-disk-{index}")
    };
    let volid = format!("{sid}:{name}");
    let volume = Volume {
        volid: volid.clone(),
        vmid: Some(newid),
        ctime: now(),
        ..source
    };
    if let Some(storage) = storage_on_mut(cluster, &holder, &sid) {
        storage.volumes.insert(volid.clone(), volume);
    }
    Ok(volid)
}

/// A full copy of `volid` for `vmid` on `target_sid` (full clone, move disk/volume).
pub(crate) fn copy(
    cluster: &mut Cluster,
    node: &str,
    volid: &str,
    target_sid: &str,
    vmid: u32,
    kind: GuestType,
) -> Result<String, Die> {
    let size = volume_size(cluster, node, volid)
        .ok_or_else(|| format!("volume '{volid}' does not exist"))?;
    allocate(cluster, node, target_sid, vmid, kind, size)
}

/// Move a volume's record from one node's storage to the same storage on another
/// node (migration). Shared storage keeps its contents, so this is only bookkeeping.
pub(crate) fn relocate(
    cluster: &mut Cluster,
    from: &str,
    to: &str,
    volid: &str,
) -> Result<(), Die> {
    let (sid, _) =
        split_volid(volid).ok_or_else(|| format!("unable to parse volume ID '{volid}'"))?;
    storage_on(cluster, to, sid)?;
    let Some((holder, _)) = locate(cluster, from, volid) else {
        return Ok(());
    };
    if holder == to {
        return Ok(());
    }
    let volume = storage_on_mut(cluster, &holder, sid).and_then(|s| s.volumes.remove(volid));
    if let (Some(volume), Some(target)) = (volume, storage_on_mut(cluster, to, sid)) {
        target.volumes.insert(volid.to_string(), volume);
    }
    Ok(())
}

/// Whether a volume sits on storage marked shared (migration leaves it in place).
pub(crate) fn is_shared(cluster: &Cluster, node: &str, volid: &str) -> bool {
    split_volid(volid)
        .and_then(|(sid, _)| cluster.nodes.get(node)?.storages.get(sid))
        .is_some_and(|s| s.shared)
}
