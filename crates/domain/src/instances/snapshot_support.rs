//! Whether Proxmox can snapshot an instance, known before anything is queued: every
//! disk of it must sit where `PVE::Storage::volume_has_feature($cfg, 'snapshot', …)`
//! says yes (pve-container's and qemu-server's `snapshot_create` check each volume
//! and refuse the whole snapshot otherwise). The per-plugin answer is
//! [`storage_features`]; file storages (`dir`, `nfs`, `cifs`, …) also snapshot a VM's
//! qcow2 disks. A disk on a storage the mirror has not seen is left to Proxmox.
//!
//! To cover a new disk kind, add its key pattern to [`disks`].

use proxicloud_pve::{GuestConfig, GuestType};
use proxicloud_store::Storage;

use crate::volumes::rules::storage_features;

/// A VM's disk keys (`scsi0`, `virtio1`, …) and its EFI/TPM state volumes.
const VM_DISK_PREFIXES: &[&str] = &["scsi", "virtio", "sata", "ide"];
const VM_STATE_DISKS: &[&str] = &["efidisk0", "tpmstate0"];

/// One disk: its config key and the Proxmox volume id (`local-lvm:vm-100-disk-0`).
struct Disk {
    key: String,
    volid: String,
}

/// The disks of a guest's config that are storage volumes (not bind mounts, devices,
/// CD-ROM drives or empty drives).
fn disks(kind: GuestType, config: &GuestConfig) -> Vec<Disk> {
    config
        .raw
        .keys()
        .filter(|key| match kind {
            GuestType::Lxc => *key == "rootfs" || key.strip_prefix("mp").is_some_and(is_index),
            GuestType::Qemu => {
                VM_STATE_DISKS.contains(&key.as_str())
                    || VM_DISK_PREFIXES
                        .iter()
                        .any(|prefix| key.strip_prefix(prefix).is_some_and(is_index))
            }
        })
        .filter_map(|key| {
            let value = config.get(key)?;
            if value.split(',').any(|part| part == "media=cdrom") {
                return None;
            }
            // The volume is the first part, or `volume=` / `file=` in a keyed form.
            let first = value.split(',').next()?;
            let volid = first
                .strip_prefix("volume=")
                .or_else(|| first.strip_prefix("file="))
                .unwrap_or(first);
            // `/mnt/data` (a bind mount) or `/dev/sdb` (a device): not a storage volume.
            (volid.contains(':') && !volid.starts_with('/') && volid != "none").then(|| Disk {
                key: key.clone(),
                volid: volid.to_owned(),
            })
        })
        .collect()
}

fn is_index(rest: &str) -> bool {
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
}

/// The disks Proxmox cannot snapshot, each as "rootfs on local (dir)"; empty when the
/// snapshot can go ahead. `storages` are the mirror's storages of the guest's node.
pub fn snapshot_blockers(
    kind: GuestType,
    config: &GuestConfig,
    storages: &[&Storage],
) -> Vec<String> {
    disks(kind, config)
        .into_iter()
        .filter_map(|disk| {
            let storage_id = disk.volid.split(':').next()?;
            let storage = storages.iter().find(|s| s.observed.storage == storage_id)?;
            let storage_type = storage.observed.storage_type.as_str();
            let qcow2_on_files = kind == GuestType::Qemu
                && disk.volid.ends_with(".qcow2")
                && FILE_STORAGES.contains(&storage_type);
            (!storage_features(storage_type).snapshot && !qcow2_on_files)
                .then(|| format!("{} on {storage_id} ({storage_type})", disk.key))
        })
        .collect()
}

/// The file-based plugins, whose volumes snapshot when they are qcow2 files.
const FILE_STORAGES: &[&str] = &["dir", "nfs", "cifs", "glusterfs", "cephfs", "btrfs"];

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proxicloud_store::{StorageObservation, Timestamp, Uuid};
    use serde_json::json;

    use super::*;

    fn config(entries: &[(&str, &str)]) -> GuestConfig {
        let raw: BTreeMap<String, serde_json::Value> = entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        GuestConfig {
            raw,
            ..GuestConfig::default()
        }
    }

    fn storage(name: &str, kind: &str) -> Storage {
        Storage {
            cluster_id: Uuid::nil(),
            observed: StorageObservation {
                node: "pve1".to_owned(),
                storage: name.to_owned(),
                storage_type: kind.to_owned(),
                content: "images,rootdir".to_owned(),
                total: 0,
                used: 0,
                avail: 0,
                shared: false,
                status: "available".to_owned(),
            },
            seen_at: Timestamp::now(),
        }
    }

    #[test]
    fn a_container_snapshots_only_when_every_volume_can() {
        let lvm_thin = storage("local-lvm", "lvmthin");
        let dir = storage("local", "dir");
        let storages = [&lvm_thin, &dir];
        let on_thin = config(&[
            ("rootfs", "local-lvm:vm-100-disk-0,size=8G"),
            ("mp0", "local-lvm:vm-100-disk-1,mp=/data,size=10G"),
            // A bind mount is not snapshotted (and does not block).
            ("mp1", "/srv/media,mp=/media"),
            ("hostname", "web"),
        ]);
        assert!(snapshot_blockers(GuestType::Lxc, &on_thin, &storages).is_empty());

        let on_dir = config(&[
            ("rootfs", "local:100/vm-100-disk-0.raw,size=8G"),
            ("mp0", "local-lvm:vm-100-disk-1,mp=/data"),
        ]);
        assert_eq!(
            snapshot_blockers(GuestType::Lxc, &on_dir, &storages),
            ["rootfs on local (dir)"]
        );
    }

    #[test]
    fn a_vm_snapshots_qcow2_files_but_not_raw_ones_and_ignores_cdroms() {
        let dir = storage("local", "dir");
        let lvm = storage("vg", "lvm");
        let storages = [&dir, &lvm];
        let qcow2 = config(&[
            ("scsi0", "local:100/vm-100-disk-0.qcow2,size=32G"),
            ("ide2", "local:iso/debian.iso,media=cdrom"),
            ("efidisk0", "local:100/vm-100-disk-1.qcow2,size=4M"),
        ]);
        assert!(snapshot_blockers(GuestType::Qemu, &qcow2, &storages).is_empty());

        let raw = config(&[
            ("scsi0", "local:100/vm-100-disk-0.raw,size=32G"),
            ("virtio1", "vg:vm-100-disk-1,size=8G"),
            ("ide2", "none,media=cdrom"),
        ]);
        assert_eq!(
            snapshot_blockers(GuestType::Qemu, &raw, &storages),
            ["scsi0 on local (dir)", "virtio1 on vg (lvm)"]
        );
    }

    #[test]
    fn a_storage_the_mirror_has_not_seen_is_left_to_proxmox() {
        let unknown = config(&[("rootfs", "elsewhere:vm-100-disk-0,size=8G")]);
        assert!(snapshot_blockers(GuestType::Lxc, &unknown, &[]).is_empty());
    }
}
