//! Disk changes of a config update: new and imported disks, cloud-init drives,
//! attaching volumes, and what detaching or deleting does to the volume.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::propstr::PropertyString;
use super::volumes::{self, find_volume, split_volid};
use crate::Cluster;
use crate::api::ApiError;
use crate::model::{Guest, format_size};

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
        let volume = find_volume(cluster, &guest.node, &head)
            .ok_or_else(|| ApiError::param(key, format!("volume '{head}' does not exist")))?;
        disk.set("size", format_size(volume.size));
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
pub(super) fn apply_deletes(
    cluster: &mut Cluster,
    guest: &Guest,
    config: &mut BTreeMap<String, String>,
    deletes: &[String],
    force: bool,
) -> Result<(), ApiError> {
    for key in deletes {
        if key == "rootfs" {
            return Err(ApiError::param("delete", "unable to delete 'rootfs'"));
        }
        let Some(value) = config.remove(key) else {
            continue;
        };
        let volume = PropertyString::parse_disk(&value)
            .head
            .filter(|h| split_volid(h).is_some());
        match volume {
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
    Ok(())
}

fn is_disk(guest: &Guest, key: &str, value: &str) -> bool {
    volumes::is_disk_key(guest.kind, key) && !value.contains("media=cdrom")
}
