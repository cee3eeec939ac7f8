//! The simulated cluster: nodes, their storage, and guests with their config
//! stored the way PVE stores it (one `key: value` text per option, property
//! strings kept verbatim).

use std::collections::BTreeMap;
use std::ops::Bound;

use proxicloud_types::GuestType;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestStatus {
    Running,
    Stopped,
    /// QEMU only: `suspend` pauses the VM, `resume` continues it.
    Paused,
}

impl GuestStatus {
    /// The `status` field PVE reports (`paused` VMs report `running` with `qmpstatus: paused`).
    pub fn pve_status(self) -> &'static str {
        match self {
            GuestStatus::Running | GuestStatus::Paused => "running",
            GuestStatus::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub name: String,
    pub description: String,
    pub snaptime: i64,
    pub parent: Option<String>,
    pub vmstate: bool,
    /// The guest config at the time of the snapshot, restored by rollback.
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Guest {
    pub vmid: u32,
    pub kind: GuestType,
    pub node: String,
    pub status: GuestStatus,
    /// PVE config options, e.g. `memory -> 1024`, `net0 -> name=eth0,bridge=vmbr0,ip=dhcp`.
    pub config: BTreeMap<String, String>,
    pub snapshots: BTreeMap<String, Snapshot>,
    /// Unix time the guest was last started; uptime derives from it.
    pub started_at: Option<i64>,
    /// Options whose deletion PVE could not hot-plug (`pending.delete` in the config
    /// file): a running container's mount points. Applied when the guest stops or
    /// starts (pve-container `vmconfig_apply_pending`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_delete: Vec<String>,
    /// Values PVE could not hot-plug into a running VM (the config's `[PENDING]`
    /// section, qemu-server `vmconfig_hotplug_pending`): `cores`, `memory` without
    /// memory hot-plug, … Applied at the next start.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, String>,
}

impl Guest {
    pub fn name(&self) -> String {
        let key = match self.kind {
            GuestType::Lxc => "hostname",
            GuestType::Qemu => "name",
        };
        self.config
            .get(key)
            .cloned()
            .unwrap_or_else(|| format!("{}{}", self.kind_prefix(), self.vmid))
    }

    fn kind_prefix(&self) -> &'static str {
        match self.kind {
            GuestType::Lxc => "CT",
            GuestType::Qemu => "VM",
        }
    }

    pub fn lock(&self) -> Option<&str> {
        self.config.get("lock").map(String::as_str)
    }

    pub fn is_template(&self) -> bool {
        self.config.get("template").is_some_and(|v| v == "1")
    }

    /// Configured memory in bytes (`memory` is MiB; PVE's defaults are 512 for both kinds).
    pub fn max_mem(&self) -> u64 {
        let mib = self
            .config
            .get("memory")
            .and_then(|m| m.parse::<u64>().ok())
            .unwrap_or(512);
        mib * 1024 * 1024
    }

    /// Configured vCPUs (`cores`, times `sockets` for QEMU).
    pub fn cpus(&self) -> u64 {
        let get = |k: &str| self.config.get(k).and_then(|v| v.parse::<u64>().ok());
        match self.kind {
            GuestType::Lxc => get("cores").unwrap_or(1),
            GuestType::Qemu => get("cores").unwrap_or(1) * get("sockets").unwrap_or(1),
        }
    }

    /// Size in bytes of the boot disk (`rootfs` for LXC, the first disk for QEMU).
    /// Borrows rather than going through [`Guest::disks`]: `/cluster/resources` asks
    /// this of every guest on every call.
    pub fn max_disk(&self) -> u64 {
        self.disk_prefixes()
            .iter()
            .find_map(|prefix| {
                self.disks_with(prefix)
                    .min_by_key(|(index, _, _)| *index)
                    .map(|(_, _, spec)| disk_size_bytes(spec).unwrap_or(0))
            })
            .unwrap_or(0)
    }

    /// Disk options in PVE's order: rootfs/mpN for LXC, scsi/virtio/sata/ide for QEMU
    /// (CD-ROMs excluded).
    pub fn disks(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for prefix in self.disk_prefixes() {
            let mut found: Vec<(u32, &String, &String)> = self.disks_with(prefix).collect();
            found.sort();
            out.extend(found.into_iter().map(|(_, k, v)| (k.clone(), v.clone())));
        }
        out
    }

    fn disk_prefixes(&self) -> &'static [&'static str] {
        match self.kind {
            GuestType::Lxc => &["rootfs", "mp"],
            GuestType::Qemu => &["scsi", "virtio", "sata", "ide", "efidisk", "tpmstate"],
        }
    }

    /// Disks whose option is `prefix` or `prefix<N>`, with their index (0 without one).
    /// Options are sorted, so only the run of keys starting with `prefix` is visited.
    fn disks_with<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (u32, &'a String, &'a String)> + 'a {
        let from = (Bound::Included(prefix), Bound::Unbounded);
        let run = self.config.range::<str, _>(from);
        run.map_while(move |(k, v)| Some((k, v, k.strip_prefix(prefix)?)))
            .filter_map(move |(k, v, rest)| {
                let index = if rest.is_empty() {
                    0
                } else {
                    rest.parse().ok()?
                };
                (!v.contains("media=cdrom")).then_some((index, k, v))
            })
    }
}

/// The `size=` of a disk property string (`local-lvm:vm-100-disk-0,size=8G`), in bytes.
pub fn disk_size_bytes(spec: &str) -> Option<u64> {
    spec.split(',')
        .find_map(|part| part.strip_prefix("size="))
        .and_then(parse_size)
}

/// PVE size strings: a number with an optional K/M/G/T suffix (bytes when none).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (num, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let value: f64 = num.parse().ok()?;
    let factor = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    (value >= 0.0).then_some((value * factor) as u64)
}

/// Format bytes the way PVE writes disk sizes in configs (`8G`, `512M`).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (factor, unit) in UNITS {
        if bytes >= factor && bytes.is_multiple_of(factor) {
            return format!("{}{unit}", bytes / factor);
        }
    }
    bytes.to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    /// `storage:path`, e.g. `local-lvm:vm-101-disk-0` or `local:backup/vzdump-lxc-101-….tar.zst`.
    pub volid: String,
    /// PVE content type: images, rootdir, vztmpl, iso, backup, snippets.
    pub content: String,
    /// raw, qcow2, subvol, tzst, iso, …
    pub format: String,
    pub size: u64,
    pub vmid: Option<u32>,
    pub ctime: i64,
    pub notes: Option<String>,
    /// For vzdump archives: the guest config embedded in the archive (what
    /// `vzdump/extractconfig` shows and what a restore recreates the guest from).
    #[serde(default)]
    pub backup_config: Option<BTreeMap<String, String>>,
    /// Backups only: the `.protected` file PVE keeps beside the archive. A protected
    /// backup is neither deleted nor pruned.
    #[serde(default)]
    pub protected: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Storage {
    pub id: String,
    /// PVE storage type: `dir`, `lvmthin`, …
    pub kind: String,
    /// Content types this storage accepts, e.g. `["vztmpl", "iso", "backup"]`.
    pub content: Vec<String>,
    pub total: u64,
    pub shared: bool,
    pub enabled: bool,
    pub volumes: BTreeMap<String, Volume>,
}

impl Storage {
    pub fn used(&self) -> u64 {
        self.volumes.values().map(|v| v.size).sum()
    }

    pub fn avail(&self) -> u64 {
        self.total.saturating_sub(self.used())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub online: bool,
    pub ip: String,
    pub cpus: u64,
    /// Bytes of RAM.
    pub maxmem: u64,
    pub storages: BTreeMap<String, Storage>,
    /// Unix time the node booted; uptime derives from it.
    pub booted_at: i64,
}
