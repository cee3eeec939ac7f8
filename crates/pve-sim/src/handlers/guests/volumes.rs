//! Guest disk volumes in the storage model: allocation with PVE's naming per storage
//! type, freeing, resizing, template base volumes, clones and moves between nodes.
//! Every change goes through `Storage.volumes`, so `Storage::used()` stays exact.

use proxicloud_types::GuestType;

use super::common::Die;
use super::propstr::PropertyString;
use crate::Cluster;
use crate::model::{Guest, Storage, Volume, format_size};
use crate::tasks::now;

/// `storage:name` → (`storage`, `name`).
pub(crate) fn split_volid(volid: &str) -> Option<(&str, &str)> {
    volid
        .split_once(':')
        .filter(|(sid, name)| !sid.is_empty() && !name.is_empty() && !sid.contains('/'))
}

/// `PVE::Storage::storage_check_enabled` for one node of the model.
pub(crate) fn storage_on<'a>(
    cluster: &'a Cluster,
    node: &str,
    sid: &str,
) -> Result<&'a Storage, Die> {
    let found = cluster.nodes.get(node).and_then(|n| n.storages.get(sid));
    match found {
        Some(storage) if storage.enabled => Ok(storage),
        Some(_) => Err(format!("storage '{sid}' is disabled")),
        None if cluster.nodes.values().any(|n| n.storages.contains_key(sid)) => {
            Err(format!("storage '{sid}' is not available on node '{node}'"))
        }
        None => Err(format!("storage '{sid}' does not exist")),
    }
}

pub(super) fn storage_on_mut<'a>(
    cluster: &'a mut Cluster,
    node: &str,
    sid: &str,
) -> Option<&'a mut Storage> {
    cluster.nodes.get_mut(node)?.storages.get_mut(sid)
}

/// A volume as seen from `node`: its own storage, or the same shared storage elsewhere.
pub(crate) fn find_volume<'a>(cluster: &'a Cluster, node: &str, volid: &str) -> Option<&'a Volume> {
    let (sid, _) = split_volid(volid)?;
    let local = cluster
        .nodes
        .get(node)
        .and_then(|n| n.storages.get(sid))
        .and_then(|s| s.volumes.get(volid));
    local.or_else(|| {
        cluster.nodes.values().find_map(|n| {
            n.storages
                .get(sid)
                .filter(|s| s.shared)
                .and_then(|s| s.volumes.get(volid))
        })
    })
}

/// Where a volume lives in the model: (node name, storage id).
pub(super) fn locate(cluster: &Cluster, node: &str, volid: &str) -> Option<(String, String)> {
    let (sid, _) = split_volid(volid)?;
    let holds = |n: &str| {
        cluster
            .nodes
            .get(n)
            .and_then(|n| n.storages.get(sid))
            .is_some_and(|s| s.volumes.contains_key(volid))
    };
    if holds(node) {
        return Some((node.to_string(), sid.to_string()));
    }
    cluster
        .nodes
        .iter()
        .find(|(name, n)| n.storages.get(sid).is_some_and(|s| s.shared) && holds(name))
        .map(|(name, _)| (name.clone(), sid.to_string()))
}

/// The storage content type a guest's disks need: `rootdir` for CTs, `images` for VMs.
pub(crate) fn disk_content(kind: GuestType) -> &'static str {
    match kind {
        GuestType::Lxc => "rootdir",
        GuestType::Qemu => "images",
    }
}

/// The storage accepts this guest family's disks; PVE's wording per family.
pub(crate) fn check_disk_storage(
    cluster: &Cluster,
    node: &str,
    sid: &str,
    kind: GuestType,
) -> Result<(), Die> {
    let storage = storage_on(cluster, node, sid)?;
    if storage.content.iter().any(|c| c == disk_content(kind)) {
        return Ok(());
    }
    Err(match kind {
        GuestType::Lxc => format!("storage '{sid}' does not support container directories"),
        GuestType::Qemu => format!("storage '{sid}' does not support vm images"),
    })
}

/// File-backed storages name disks `<vmid>/vm-<vmid>-disk-<n>.<fmt>`; block storages
/// (LVM, ZFS, Ceph) just `vm-<vmid>-disk-<n>`.
pub(super) fn is_file_storage(storage: &Storage) -> bool {
    !matches!(
        storage.kind.as_str(),
        "lvmthin" | "lvm" | "zfspool" | "rbd" | "iscsi"
    )
}

fn disk_format(storage: &Storage, kind: GuestType) -> &'static str {
    match (is_file_storage(storage), kind) {
        (true, GuestType::Qemu) => "qcow2",
        _ => "raw",
    }
}

/// `(vm|base|subvol)-<vmid>-disk-<n>` at the end of a volume name → n.
fn disk_index(name: &str, vmid: u32) -> Option<u32> {
    let file = name.rsplit('/').next()?;
    let rest = ["vm-", "base-", "subvol-", "basevol-"]
        .iter()
        .find_map(|p| file.strip_prefix(p))?;
    let rest = rest.strip_prefix(&format!("{vmid}-disk-"))?;
    rest.split('.').next()?.parse().ok()
}

/// `find_free_diskname`: the lowest disk number the vmid does not use on the storage.
pub(super) fn free_disk_index(storage: &Storage, vmid: u32) -> u32 {
    let used: Vec<u32> = storage
        .volumes
        .keys()
        .filter_map(|volid| split_volid(volid).and_then(|(_, name)| disk_index(name, vmid)))
        .collect();
    (0..).find(|n| !used.contains(n)).unwrap_or(0)
}

/// Allocate a new disk of `size` bytes for `vmid` (PVE's `vdisk_alloc`).
pub(crate) fn allocate(
    cluster: &mut Cluster,
    node: &str,
    sid: &str,
    vmid: u32,
    kind: GuestType,
    size: u64,
) -> Result<String, Die> {
    allocate_named(cluster, node, sid, vmid, kind, size, None)
}

/// `vdisk_alloc` with PVE's special names: `vm-<vmid>-<suffix>` for cloud-init
/// drives (`cloudinit`) and saved RAM (`state-<name>`); `None` picks the next
/// `disk-<n>`.
pub(crate) fn allocate_named(
    cluster: &mut Cluster,
    node: &str,
    sid: &str,
    vmid: u32,
    kind: GuestType,
    size: u64,
    suffix: Option<&str>,
) -> Result<String, Die> {
    check_disk_storage(cluster, node, sid, kind)?;
    let storage = storage_on(cluster, node, sid)?;
    if storage.avail() < size {
        return Err(format!(
            "not enough free space on storage '{sid}' - requested {}, available {}",
            format_size(size),
            format_size(storage.avail())
        ));
    }
    let stem = match suffix {
        Some(suffix) => format!("vm-{vmid}-{suffix}"),
        None => format!("vm-{vmid}-disk-{}", free_disk_index(storage, vmid)),
    };
    // A zero-sized CT volume on a directory storage is a plain subvolume directory.
    let (name, format) = if kind == GuestType::Lxc && size == 0 && is_file_storage(storage) {
        let stem = stem.replacen("vm-", "subvol-", 1);
        (format!("{vmid}/{stem}.subvol"), "subvol")
    } else if is_file_storage(storage) {
        let format = disk_format(storage, kind);
        (format!("{vmid}/{stem}.{format}"), format)
    } else {
        (stem, "raw")
    };
    let volid = format!("{sid}:{name}");
    if storage.volumes.contains_key(&volid) {
        return Err(format!("volume '{volid}' already exists"));
    }
    let volume = Volume {
        volid: volid.clone(),
        content: disk_content(kind).to_string(),
        format: format.to_string(),
        size,
        vmid: Some(vmid),
        ctime: now(),
        notes: None,
        backup_config: None,
        protected: false,
    };
    if let Some(storage) = storage_on_mut(cluster, node, sid) {
        storage.volumes.insert(volid.clone(), volume);
    }
    Ok(volid)
}

/// `vdisk_free`. Freeing a volume that is already gone is not an error here: rollbacks
/// free everything they allocated without tracking what a later step removed.
pub(crate) fn free(cluster: &mut Cluster, node: &str, volid: &str) {
    if let Some((holder, sid)) = locate(cluster, node, volid)
        && let Some(storage) = storage_on_mut(cluster, &holder, &sid)
    {
        storage.volumes.remove(volid);
    }
}

pub(crate) fn volume_size(cluster: &Cluster, node: &str, volid: &str) -> Option<u64> {
    find_volume(cluster, node, volid).map(|v| v.size)
}

/// Grow or shrink the volume itself (resize, snapshot rollback).
pub(crate) fn set_size(cluster: &mut Cluster, node: &str, volid: &str, size: u64) {
    if let Some((holder, sid)) = locate(cluster, node, volid)
        && let Some(volume) =
            storage_on_mut(cluster, &holder, &sid).and_then(|s| s.volumes.get_mut(volid))
    {
        volume.size = size;
    }
}

/// PVE's `NEW_DISK_RE`: `local-lvm:8` or just `8` asks for a new disk of that many GiB.
pub(crate) fn new_disk_request(head: &str) -> Option<(Option<&str>, u64)> {
    let (sid, size) = match head.rsplit_once(':') {
        Some((sid, size)) => (Some(sid), size),
        None => (None, head),
    };
    if size.is_empty() || !size.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let gib: f64 = size.parse().ok()?;
    Some((sid, (gib * 1024.0 * 1024.0 * 1024.0) as u64))
}

/// Every managed volume a guest references: disks, `unused[n]`, snapshot disks and
/// QEMU vmstate volumes, without duplicates.
pub(crate) fn guest_volumes(guest: &Guest) -> Vec<String> {
    let mut volids: Vec<String> = Vec::new();
    let mut add = |config: &std::collections::BTreeMap<String, String>| {
        for (key, value) in config {
            let is_volume_key =
                key.starts_with("unused") || key == "vmstate" || is_disk_key(guest.kind, key);
            if !is_volume_key || value.contains("media=cdrom") {
                continue;
            }
            if let Some(volid) = PropertyString::parse_disk(value).head
                && split_volid(&volid).is_some()
                && !volids.contains(&volid)
            {
                volids.push(volid);
            }
        }
    };
    add(&guest.config);
    for snap in guest.snapshots.values() {
        add(&snap.config);
    }
    volids
}

/// Config keys that hold disks: `rootfs`/`mp[n]` for CTs, the bus keys for VMs.
pub(crate) fn is_disk_key(kind: GuestType, key: &str) -> bool {
    let prefixes: &[&str] = match kind {
        GuestType::Lxc => &["mp"],
        GuestType::Qemu => &["scsi", "virtio", "sata", "ide", "efidisk", "tpmstate"],
    };
    if kind == GuestType::Lxc && key == "rootfs" {
        return true;
    }
    prefixes.iter().any(|p| {
        key.strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// The next free `unused[n]` key (`add_unused_volume`).
pub(crate) fn next_unused_key(config: &std::collections::BTreeMap<String, String>) -> String {
    let n = (0..)
        .find(|n| !config.contains_key(&format!("unused{n}")))
        .unwrap_or(0);
    format!("unused{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_disk_syntax_matches_pve() {
        assert_eq!(
            new_disk_request("local-lvm:8"),
            Some((Some("local-lvm"), 8 << 30))
        );
        assert_eq!(new_disk_request("4"), Some((None, 4 << 30)));
        assert_eq!(
            new_disk_request("local:0.5"),
            Some((Some("local"), 512 << 20))
        );
        assert_eq!(new_disk_request("local-lvm:vm-100-disk-0"), None);
        assert_eq!(new_disk_request("local:iso/debian.iso"), None);
    }

    #[test]
    fn disk_numbers_are_read_from_every_naming_scheme() {
        assert_eq!(disk_index("vm-101-disk-3", 101), Some(3));
        assert_eq!(disk_index("101/vm-101-disk-1.qcow2", 101), Some(1));
        assert_eq!(
            disk_index("100/base-100-disk-0.qcow2/101/vm-101-disk-2.qcow2", 101),
            Some(2)
        );
        assert_eq!(disk_index("base-100-disk-0", 101), None);
    }
}
