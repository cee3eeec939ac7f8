//! Disk changes of a config update: new and imported disks, cloud-init drives,
//! attaching volumes, and what detaching or deleting does to the volume.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::propstr::PropertyString;
use super::volumes::{self, find_volume, split_volid};
use crate::Cluster;
use crate::api::ApiError;
use crate::model::{Guest, GuestStatus, format_size};

/// A disk option: `STORAGE:SIZE` allocates, a volume id attaches (taking it out of
/// `unused[n]`), and the volume it replaces becomes unused.
pub(super) fn disk_value(
    cluster: &mut Cluster,
    guest: &Guest,
    config: &mut BTreeMap<String, String>,
    key: &str,
    value: &str,
    allocated: &mut Vec<String>,
) -> Result<String, ApiError> {
    let mut disk = PropertyString::parse_disk(value);
    let head = disk.head.clone().unwrap_or_default();
    let is_cdrom = disk.get("media") == Some("cdrom");
    let first: &[&str] = if guest.kind == GuestType::Lxc && key != "rootfs" {
        &["mp"]
    } else {
        &[]
    };
    let cloudinit = head
        .strip_suffix(":cloudinit")
        .filter(|_| guest.kind == GuestType::Qemu);
    if let Some(sid) = cloudinit {
        let volid = volumes::allocate_named(
            cluster,
            &guest.node,
            sid,
            guest.vmid,
            guest.kind,
            super::qemu_create::CLOUDINIT_SIZE,
            Some("cloudinit"),
        )
        .map_err(|e| ApiError::param(key, e))?;
        allocated.push(volid.clone());
        disk.head = Some(volid);
        disk.set("media", "cdrom");
    } else if !is_cdrom && let Some((sid, size)) = volumes::new_disk_request(&head) {
        let sid = sid.ok_or_else(|| {
            ApiError::param(key, "no storage ID specified (and no default storage)")
        })?;
        let size = match disk.take("import-from") {
            Some(source) => {
                super::qemu_create::import_size(cluster, &guest.node, key, &source, size)?
            }
            None => size,
        };
        let volid = volumes::allocate(cluster, &guest.node, sid, guest.vmid, guest.kind, size)
            .map_err(|e| ApiError::param(key, e))?;
        allocated.push(volid.clone());
        disk.head = Some(volid);
        disk.set("size", format_size(size));
    } else if split_volid(&head).is_some() {
        match find_volume(cluster, &guest.node, &head) {
            Some(volume) => disk.set("size", format_size(volume.size)),
            // pve-container's `$rescan_volume` only warns ("Could not rescan volume
            // size") and the option is written as given.
            None if guest.kind == GuestType::Lxc => {}
            None => {
                return Err(ApiError::param(
                    key,
                    format!("volume '{head}' does not exist"),
                ));
            }
        }
        let unused: Vec<String> = config
            .iter()
            .filter(|(k, v)| k.starts_with("unused") && **v == head)
            .map(|(k, _)| k.clone())
            .collect();
        for k in unused {
            config.remove(&k);
        }
    }
    if let Some(old) = config
        .get(key)
        .and_then(|old| PropertyString::parse_disk(old).head)
        && !config.get(key).is_some_and(|v| v.contains("media=cdrom"))
        && split_volid(&old).is_some()
        && Some(&old) != disk.head.as_ref()
    {
        let slot = volumes::next_unused_key(config);
        config.insert(slot, old);
    }
    Ok(disk.print(first))
}

/// Deleting a disk detaches it as `unused[n]`; deleting `unused[n]` destroys the
/// volume, as does deleting a VM disk with `force=1` (qemu-server's "physical removal").
/// A running container's mount point cannot be hot-unplugged: pve-container's
/// `vmconfig_hotplug_pending` skips `mp[n]` deletions ("skip non-hotpluggable opts"),
/// so they stay in `pending` (returned) until `vmconfig_apply_pending` at stop/start.
pub(super) fn apply_deletes(
    cluster: &mut Cluster,
    guest: &Guest,
    config: &mut BTreeMap<String, String>,
    deletes: &[String],
    force: bool,
) -> Result<Vec<String>, ApiError> {
    let mut pending = Vec::new();
    for key in deletes {
        if key == "rootfs" {
            return Err(ApiError::param("delete", "unable to delete 'rootfs'"));
        }
        if guest.kind == GuestType::Lxc
            && guest.status == GuestStatus::Running
            && is_mount_point_key(key)
            && config.contains_key(key)
        {
            pending.push(key.clone());
            continue;
        }
        let Some(value) = config.remove(key) else {
            continue;
        };
        let volume = PropertyString::parse_disk(&value)
            .head
            .filter(|h| split_volid(h).is_some());
        // Only the owner frees a volume (qemu-server `try_deallocate_drive` →
        // `vm_is_volid_owner`; pve-container `delete_mountpoint_volume`: "ignore
        // deletion of '…', CT … isn't the owner!"); a VM registers only its own
        // volumes as unused (`vmconfig_register_unused_drive`).
        let owned = volume.as_ref().is_some_and(|volid| {
            find_volume(cluster, &guest.node, volid).is_some_and(|v| v.vmid == Some(guest.vmid))
        });
        match volume {
            Some(_) if !owned && key.starts_with("unused") => {}
            Some(_) if !owned && guest.kind == GuestType::Qemu && is_disk(guest, key, &value) => {}
            Some(volid) if key.starts_with("unused") || (force && is_disk(guest, key, &value)) => {
                let in_snapshot = guest
                    .snapshots
                    .values()
                    .any(|s| s.config.values().any(|v| v.starts_with(&volid)));
                if in_snapshot {
                    return Err(ApiError::internal(format!(
                        "unable to delete '{volid}' - volume is still in use (snapshot?)"
                    )));
                }
                volumes::free(cluster, &guest.node, &volid);
            }
            Some(volid) if is_disk(guest, key, &value) => {
                let slot = volumes::next_unused_key(config);
                config.insert(slot, volid);
            }
            _ => {}
        }
    }
    Ok(pending)
}

/// `mp[n]`: a container mount point.
pub(crate) fn is_mount_point_key(key: &str) -> bool {
    key.strip_prefix("mp")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// `vmconfig_apply_pending` for pending deletions (at container stop or start): the
/// mount point goes, its volume becomes `unused[n]`.
pub(crate) fn apply_pending_deletes(guest: &mut Guest) {
    for key in std::mem::take(&mut guest.pending_delete) {
        let Some(value) = guest.config.remove(&key) else {
            continue;
        };
        if let Some(volid) = PropertyString::parse_disk(&value)
            .head
            .filter(|h| split_volid(h).is_some())
        {
            let slot = volumes::next_unused_key(&guest.config);
            guest.config.insert(slot, volid);
        }
    }
}

fn is_disk(guest: &Guest, key: &str, value: &str) -> bool {
    volumes::is_disk_key(guest.kind, key) && !value.contains("media=cdrom")
}
