//! Pure rules of volumes: sizes, names, paths, what each Proxmox VE storage type can
//! do (pve-storage `volume_has_feature` of each plugin), and which config key an
//! attachment takes. No I/O, so every rule is unit-tested here.

use std::collections::BTreeMap;

use proxicloud_pve::GuestType;

use crate::error::FieldErrors;

pub const GIB: u64 = 1 << 30;
pub const MIN_SIZE_GIB: u64 = 1;
/// 16 TiB.
pub const MAX_SIZE_GIB: u64 = 16 * 1024;
/// The holder container's own root disk (see the README).
pub const HOLDER_ROOTFS_GIB: u64 = 1;
/// The holder's mount point that is the volume.
pub const HOLDER_KEY: &str = "mp0";
/// Tag on every holder container.
pub const HOLDER_TAG: &str = "proxicloud-volume";
/// PVE allows `mp0`…`mp255` and 31 SCSI / 16 VirtIO disks.
const MAX_MP: u32 = 256;
const MAX_SCSI: u32 = 31;
const MAX_VIRTIO: u32 = 16;

/// What a storage type can do for a volume (raw, as container volumes are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageFeatures {
    /// `snapshot` on the current volume.
    pub snapshot: bool,
    /// `copy` from a snapshot: a full clone of the holder from a snapshot.
    pub copy_from_snapshot: bool,
}

/// `volume_has_feature` per plugin: LvmThinPlugin and RBDPlugin snapshot and copy
/// from snapshots; ZFSPoolPlugin snapshots but copies only `base`/`current`; LVMPlugin
/// and the file plugins snapshot only qcow2, which containers cannot use.
pub fn storage_features(storage_type: &str) -> StorageFeatures {
    match storage_type {
        "lvmthin" | "rbd" => StorageFeatures {
            snapshot: true,
            copy_from_snapshot: true,
        },
        "zfspool" => StorageFeatures {
            snapshot: true,
            copy_from_snapshot: false,
        },
        _ => StorageFeatures {
            snapshot: false,
            copy_from_snapshot: false,
        },
    }
}

fn add(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_insert_with(|| message.into());
}

pub fn check_size(size_gib: u64, errors: &mut FieldErrors) {
    if !(MIN_SIZE_GIB..=MAX_SIZE_GIB).contains(&size_gib) {
        add(
            errors,
            "size_gib",
            format!("must be between {MIN_SIZE_GIB} and {MAX_SIZE_GIB} GiB (16 TiB)"),
        );
    }
}

pub fn check_name(name: &str, errors: &mut FieldErrors) {
    let ok = (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        add(
            errors,
            "name",
            "1 to 63 characters: letters, digits, '-', '_' and '.'",
        );
    }
}

/// A snapshot of the holder container: the instances' rule for containers
/// (`pve-configid`, and not a name PVE reserves: `current`, `vzdump`).
pub fn check_snapshot_name(name: &str, errors: &mut FieldErrors) {
    if let Err(message) = crate::instances::check_snapshot_name(name, GuestType::Lxc) {
        add(errors, "name", message);
    }
}

/// A container mount path: absolute, normalised, not `/` and not a system directory.
pub fn check_mount_path(path: &str, errors: &mut FieldErrors) {
    const SYSTEM: [&str; 9] = [
        "/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr",
    ];
    let normal = path.starts_with('/')
        && path.len() > 1
        && path.len() <= 255
        && !path.ends_with('/')
        && !path.contains("//")
        && path
            .split('/')
            .all(|segment| segment != "." && segment != "..")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    let system = SYSTEM
        .iter()
        .any(|dir| path == *dir || path.starts_with(&format!("{dir}/")));
    if !normal || system {
        add(
            errors,
            "mount_path",
            "an absolute path such as /data (letters, digits, '-', '_', '.'), not a system directory",
        );
    }
}

/// The config key an attachment takes: the first free `mpN` on a container, the first
/// free `scsiN`/`virtioN` on a VM. `None` when every slot is taken.
pub fn next_free_key(
    kind: GuestType,
    bus: &str,
    config: &BTreeMap<String, serde_json::Value>,
) -> Option<String> {
    let (prefix, max) = match kind {
        GuestType::Lxc => ("mp", MAX_MP),
        GuestType::Qemu if bus == "virtio" => ("virtio", MAX_VIRTIO),
        GuestType::Qemu => ("scsi", MAX_SCSI),
    };
    (0..max)
        .map(|n| format!("{prefix}{n}"))
        .find(|key| !config.contains_key(key))
}

/// The volume id in a disk or mount point value (`local-lvm:vm-5000-disk-1,mp=/x`).
pub fn volid_of(value: &str) -> &str {
    value.split(',').next().unwrap_or(value)
}

/// The value an attachment writes into the instance's config.
pub fn attachment_value(kind: GuestType, volid: &str, mount_path: Option<&str>) -> String {
    match (kind, mount_path) {
        (GuestType::Lxc, Some(path)) => format!("{volid},mp={path}"),
        _ => volid.to_owned(),
    }
}

pub fn gib_of(bytes: u64) -> u64 {
    bytes.div_ceil(GIB)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of(check: impl Fn(&mut FieldErrors)) -> bool {
        let mut errors = FieldErrors::default();
        check(&mut errors);
        !errors.is_empty()
    }

    #[test]
    fn sizes_run_from_one_gib_to_sixteen_tib() {
        assert!(errors_of(|e| check_size(0, e)));
        assert!(!errors_of(|e| check_size(1, e)));
        assert!(!errors_of(|e| check_size(16 * 1024, e)));
        assert!(errors_of(|e| check_size(16 * 1024 + 1, e)));
    }

    #[test]
    fn snapshots_follow_each_plugins_volume_has_feature() {
        assert_eq!(
            storage_features("lvmthin"),
            StorageFeatures {
                snapshot: true,
                copy_from_snapshot: true
            }
        );
        assert!(storage_features("zfspool").snapshot);
        assert!(!storage_features("zfspool").copy_from_snapshot);
        assert!(!storage_features("lvm").snapshot);
        assert!(!storage_features("dir").snapshot);
    }

    #[test]
    fn mount_paths_are_absolute_and_not_system_directories() {
        assert!(!errors_of(|e| check_mount_path("/data", e)));
        assert!(!errors_of(|e| check_mount_path("/srv/app-1", e)));
        for bad in ["data", "/", "/etc", "/usr/local", "/a/../b", "/a/", "/a b"] {
            assert!(errors_of(|e| check_mount_path(bad, e)), "{bad}");
        }
    }

    #[test]
    fn snapshot_names_are_pve_config_ids() {
        assert!(!errors_of(|e| check_snapshot_name("before-upgrade", e)));
        for bad in ["1abc", "a", "current", "vzdump", "with space"] {
            assert!(errors_of(|e| check_snapshot_name(bad, e)), "{bad}");
        }
    }

    #[test]
    fn attachments_take_the_next_free_slot() {
        let config = [
            ("mp0", json!("x")),
            ("mp1", json!("y")),
            ("scsi0", json!("z")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(
            next_free_key(GuestType::Lxc, "", &config).as_deref(),
            Some("mp2")
        );
        assert_eq!(
            next_free_key(GuestType::Qemu, "scsi", &config).as_deref(),
            Some("scsi1")
        );
        assert_eq!(
            next_free_key(GuestType::Qemu, "virtio", &config).as_deref(),
            Some("virtio0")
        );
        assert_eq!(
            volid_of("local-lvm:vm-5-disk-1,mp=/data"),
            "local-lvm:vm-5-disk-1"
        );
        assert_eq!(
            attachment_value(GuestType::Lxc, "s:v", Some("/data")),
            "s:v,mp=/data"
        );
    }
}
