//! Seeded guests: a mix of containers and VMs with configs as PVE writes them, disks that
//! exist as volumes in `local-lvm`, a couple of VM templates, and a few backups.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::GIB;
use crate::Cluster;
use crate::model::{Guest, GuestStatus, Volume, format_size};

const FIRST_VMID: u32 = 100;

const ROLES: &[&str] = &[
    "web", "db", "cache", "app", "ci", "mail", "dns", "proxy", "monitor", "git", "vpn", "k8s",
    "build", "media", "files", "auth", "queue", "search", "log", "dev",
];
const TAGS: &[&str] = &["prod", "staging", "dev", "web", "db", "backup", "critical"];

pub fn seed_guests(cluster: &mut Cluster, count: usize, rng: &mut StdRng, now: i64) {
    let nodes: Vec<String> = cluster.nodes.keys().cloned().collect();
    if nodes.is_empty() {
        return;
    }
    // One VM template per 20 guests, at least one when there are a handful, at most two.
    let templates = match count {
        0..4 => 0,
        4..20 => 1,
        _ => 2,
    };
    for index in 0..count {
        let vmid = FIRST_VMID + index as u32;
        let node = nodes[rng.random_range(0..nodes.len())].clone();
        let is_template = index < templates;
        let kind = if is_template || rng.random_bool(0.45) {
            GuestType::Qemu
        } else {
            GuestType::Lxc
        };
        let booted_at = cluster.nodes[&node].booted_at;
        let running = !is_template && rng.random_bool(0.6);
        let started_at = running.then(|| {
            let earliest = booted_at.max(now - 30 * 86_400);
            rng.random_range(earliest..=now - 300).max(booted_at)
        });
        let (config, disks) = match kind {
            GuestType::Lxc => container_config(rng, vmid),
            GuestType::Qemu => vm_config(rng, vmid, is_template, now),
        };
        let guest = Guest {
            vmid,
            kind,
            node: node.clone(),
            status: if running {
                GuestStatus::Running
            } else {
                GuestStatus::Stopped
            },
            config,
            snapshots: BTreeMap::new(),
            started_at,
            pending_delete: Vec::new(),
            pending: Default::default(),
        };
        add_disk_volumes(cluster, &node, &guest, disks, now);
        if !is_template && rng.random_ratio(1, 12) {
            add_backup(cluster, &node, &guest, rng, now);
        }
        cluster.guests.insert(vmid, guest);
    }
}

/// A disk to create in `local-lvm`: (volume name, size in bytes).
type Disk = (String, u64);

fn container_config(rng: &mut StdRng, vmid: u32) -> (BTreeMap<String, String>, Vec<Disk>) {
    let ostype = *["debian", "ubuntu", "alpine"]
        .choose(rng)
        .unwrap_or(&"debian");
    let memory = *[512u64, 1024, 2048, 4096].choose(rng).unwrap_or(&1024);
    let disk_gib = *[4u64, 8, 16, 32].choose(rng).unwrap_or(&8);
    let mut disks = vec![(format!("vm-{vmid}-disk-0"), disk_gib * GIB)];
    let mut config = common_options(rng);
    config.extend(
        [
            ("arch", "amd64".to_string()),
            ("cores", pick_cores(rng).to_string()),
            ("hostname", guest_name(rng, vmid)),
            ("memory", memory.to_string()),
            ("swap", (memory / 2).to_string()),
            (
                "net0",
                format!(
                    "name=eth0,bridge=vmbr0,firewall=1,hwaddr={},ip=dhcp,ip6=auto,type=veth",
                    mac(rng)
                ),
            ),
            ("ostype", ostype.to_string()),
            (
                "rootfs",
                format!("local-lvm:{},size={}", disks[0].0, format_size(disks[0].1)),
            ),
            ("unprivileged", "1".to_string()),
            ("features", "nesting=1".to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    if rng.random_ratio(1, 15) {
        let data = (format!("vm-{vmid}-disk-1"), 64 * GIB);
        config.insert(
            "mp0".into(),
            format!("local-lvm:{},mp=/srv/data,backup=1,size=64G", data.0),
        );
        disks.push(data);
    }
    (config, disks)
}

fn vm_config(
    rng: &mut StdRng,
    vmid: u32,
    template: bool,
    now: i64,
) -> (BTreeMap<String, String>, Vec<Disk>) {
    // Templates' disks are base images, as `qm template` renames them.
    let prefix = if template { "base" } else { "vm" };
    let disk_gib = *[16u64, 32, 64, 128].choose(rng).unwrap_or(&32);
    let mut disks = vec![(format!("{prefix}-{vmid}-disk-0"), disk_gib * GIB)];
    let memory = *[1024u64, 2048, 4096, 8192, 16384]
        .choose(rng)
        .unwrap_or(&2048);
    let name = if template {
        format!("debian-12-cloud-template-{vmid}")
    } else {
        guest_name(rng, vmid)
    };
    let mut config = common_options(rng);
    config.extend(
        [
            ("boot", "order=scsi0;ide2;net0".to_string()),
            ("cores", pick_cores(rng).to_string()),
            ("cpu", "x86-64-v2-AES".to_string()),
            ("ide2", "none,media=cdrom".to_string()),
            ("memory", memory.to_string()),
            (
                "meta",
                format!(
                    "creation-qemu=9.2.0,ctime={}",
                    now - rng.random_range(86_400..400 * 86_400)
                ),
            ),
            ("name", name),
            (
                "net0",
                format!("virtio={},bridge=vmbr0,firewall=1", mac(rng)),
            ),
            ("numa", "0".to_string()),
            ("ostype", "l26".to_string()),
            (
                "scsi0",
                format!(
                    "local-lvm:{},iothread=1,size={}",
                    disks[0].0,
                    format_size(disks[0].1)
                ),
            ),
            ("scsihw", "virtio-scsi-single".to_string()),
            ("smbios1", format!("uuid={}", uuid(rng))),
            ("sockets", "1".to_string()),
            ("vmgenid", uuid(rng)),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    if template {
        config.insert("template".into(), "1".into());
        config.insert("agent".into(), "1".into());
    } else if rng.random_ratio(1, 10) {
        let data = (format!("vm-{vmid}-disk-1"), 100 * GIB);
        config.insert(
            "scsi1".into(),
            format!("local-lvm:{},iothread=1,size=100G", data.0),
        );
        disks.push(data);
    }
    (config, disks)
}

/// Options both kinds may carry: start at boot, tags.
fn common_options(rng: &mut StdRng) -> BTreeMap<String, String> {
    let mut config = BTreeMap::new();
    if rng.random_bool(0.3) {
        config.insert("onboot".into(), "1".into());
    }
    if rng.random_bool(0.35) {
        let count = rng.random_range(1..=2);
        let mut tags: Vec<&str> = TAGS.choose_multiple(rng, count).copied().collect();
        tags.sort_unstable();
        config.insert("tags".into(), tags.join(";"));
    }
    config
}

fn pick_cores(rng: &mut StdRng) -> u64 {
    *[1u64, 2, 2, 4, 4, 8].choose(rng).unwrap_or(&2)
}

/// A DNS-safe name, unique because it carries the vmid.
fn guest_name(rng: &mut StdRng, vmid: u32) -> String {
    format!("{}-{vmid}", ROLES.choose(rng).unwrap_or(&"app"))
}

/// A MAC in Proxmox's OUI (BC:24:11), as PVE generates them.
fn mac(rng: &mut StdRng) -> String {
    let bytes: [u8; 3] = rng.random();
    format!(
        "BC:24:11:{:02X}:{:02X}:{:02X}",
        bytes[0], bytes[1], bytes[2]
    )
}

fn uuid(rng: &mut StdRng) -> String {
    let b: [u8; 16] = rng.random();
    let hex = hex::encode(b);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn add_disk_volumes(cluster: &mut Cluster, node: &str, guest: &Guest, disks: Vec<Disk>, now: i64) {
    let Some(pool) = cluster
        .nodes
        .get_mut(node)
        .and_then(|n| n.storages.get_mut("local-lvm"))
    else {
        return;
    };
    let content = match guest.kind {
        GuestType::Lxc => "rootdir",
        GuestType::Qemu => "images",
    };
    for (name, size) in disks {
        let volid = format!("local-lvm:{name}");
        pool.volumes.insert(
            volid.clone(),
            Volume {
                volid,
                content: content.into(),
                format: "raw".into(),
                size,
                vmid: Some(guest.vmid),
                ctime: now - 86_400,
                notes: None,
                backup_config: None,
                protected: false,
            },
        );
    }
}

/// A finished backup in `local`, named as vzdump names them.
fn add_backup(cluster: &mut Cluster, node: &str, guest: &Guest, rng: &mut StdRng, now: i64) {
    let Some(local) = cluster
        .nodes
        .get_mut(node)
        .and_then(|n| n.storages.get_mut("local"))
    else {
        return;
    };
    let ctime = now - rng.random_range(3_600..14 * 86_400);
    let (kind, ext) = match guest.kind {
        GuestType::Lxc => ("lxc", "tar.zst"),
        GuestType::Qemu => ("qemu", "vma.zst"),
    };
    let volid = format!(
        "local:backup/vzdump-{kind}-{}-{}.{ext}",
        guest.vmid,
        vzdump_timestamp(ctime)
    );
    local.volumes.insert(
        volid.clone(),
        Volume {
            volid,
            content: "backup".into(),
            format: ext.into(),
            size: guest.max_disk() / 4,
            vmid: Some(guest.vmid),
            ctime,
            notes: Some(guest.name()),
            backup_config: Some(guest.config.clone()),
            protected: false,
        },
    );
}

/// `YYYY_MM_DD-hh_mm_ss` in UTC, the timestamp part of vzdump archive names.
pub fn vzdump_timestamp(unix: i64) -> String {
    let time =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}_{:02}_{:02}-{:02}_{:02}_{:02}",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::SimConfig;
    use crate::model::disk_size_bytes;

    #[test]
    fn every_guest_disk_exists_in_local_lvm_with_its_size() {
        let config = SimConfig {
            nodes: 4,
            guests: 60,
            schema_path: None,
            ..SimConfig::default()
        };
        let cluster = crate::seed::seed_cluster(&config);
        assert_eq!(cluster.guests.len(), 60);
        for guest in cluster.guests.values() {
            assert!(
                guest.config.contains_key("net0"),
                "{} lacks net0",
                guest.vmid
            );
            for (_, spec) in guest.disks() {
                let volid = spec.split(',').next().unwrap();
                let pool = &cluster.nodes[&guest.node].storages["local-lvm"];
                let volume = &pool.volumes[volid];
                assert_eq!(Some(volume.size), disk_size_bytes(&spec));
                assert_eq!(volume.vmid, Some(guest.vmid));
            }
        }
        let templates: Vec<_> = cluster
            .guests
            .values()
            .filter(|g| g.is_template())
            .collect();
        assert_eq!(templates.len(), 2);
        assert!(templates.iter().all(|g| g.kind == GuestType::Qemu));
        let kinds = |k| cluster.guests.values().filter(|g| g.kind == k).count();
        assert!(kinds(GuestType::Lxc) > 10 && kinds(GuestType::Qemu) > 10);
        assert!(
            cluster
                .guests
                .values()
                .any(|g| g.status == GuestStatus::Running)
        );
    }

    #[test]
    fn macs_use_the_proxmox_prefix_and_timestamps_vzdump_layout() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!(mac(&mut rng).starts_with("BC:24:11:"));
        assert_eq!(vzdump_timestamp(1_700_000_000), "2023_11_14-22_13_20");
    }
}
