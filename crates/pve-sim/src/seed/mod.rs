//! The generated cluster: `config.nodes` nodes named pve1…pveN, each with PVE's default
//! storages (`local` for templates, ISOs and backups; `local-lvm` thin pool for disks),
//! and `config.guests` guests spread over them. Everything random comes from
//! `config.seed`, so a seed always yields the same cluster (only timestamps move).

mod guests;

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::handlers::access::seed_access;
use crate::handlers::network::seed_node_network;
use crate::model::{Node, Storage, Volume};
use crate::tasks::now;
use crate::{Cluster, SimConfig};

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// Container templates every node's `local` storage holds: (file name, size).
pub const SEEDED_TEMPLATES: &[(&str, u64)] = &[
    ("debian-12-standard_12.7-1_amd64.tar.zst", 126 * MIB),
    ("ubuntu-24.04-standard_24.04-2_amd64.tar.zst", 141 * MIB),
    ("alpine-3.20-default_20240908_amd64.tar.xz", 3 * MIB),
];

/// Installer ISOs every node's `local` storage holds: (file name, size).
pub const SEEDED_ISOS: &[(&str, u64)] = &[
    ("debian-12.8.0-amd64-netinst.iso", 631 * MIB),
    ("ubuntu-24.04.1-live-server-amd64.iso", 2_694 * MIB),
];

pub fn seed_cluster(config: &SimConfig) -> Cluster {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let started = now();
    let mut cluster = Cluster {
        name: config.cluster_name.clone(),
        next_pid: 1000 + rng.random_range(0..50_000),
        ..Cluster::default()
    };
    for index in 1..=config.nodes.max(1) {
        let node = seed_node(&mut rng, index, started);
        seed_node_network(&mut cluster.network, &node.name, &node.ip);
        cluster.nodes.insert(node.name.clone(), node);
    }
    seed_access(&mut cluster.access, &config.tokens, &config.passwords);
    guests::seed_guests(&mut cluster, config.guests, &mut rng, started);
    size_thin_pools(&mut cluster);
    cluster
}

fn seed_node(rng: &mut StdRng, index: usize, now: i64) -> Node {
    let name = format!("pve{index}");
    let cpus = *[8u64, 12, 16, 24, 32, 48, 64].choose(rng).unwrap_or(&16);
    let mem_gib = *[64u64, 96, 128, 192, 256].choose(rng).unwrap_or(&128);
    let uptime = rng.random_range(3_600..60 * 86_400);
    let mut storages = BTreeMap::new();
    storages.insert("local".to_string(), local_storage(now - uptime));
    storages.insert(
        "local-lvm".to_string(),
        Storage {
            id: "local-lvm".into(),
            kind: "lvmthin".into(),
            content: vec!["images".into(), "rootdir".into()],
            // Grown to fit the seeded disks by `size_thin_pools`.
            total: 512 * GIB,
            shared: false,
            enabled: true,
            volumes: BTreeMap::new(),
        },
    );
    Node {
        ip: format!("10.10.{}.{}", index / 200, 10 + index % 200),
        name,
        online: true,
        cpus,
        maxmem: mem_gib * GIB,
        storages,
        booted_at: now - uptime,
    }
}

/// `local` (dir, /var/lib/vz) with the seeded templates and ISOs.
fn local_storage(ctime: i64) -> Storage {
    let mut volumes = BTreeMap::new();
    let files = SEEDED_TEMPLATES
        .iter()
        .map(|(file, size)| ("vztmpl", *file, *size))
        .chain(SEEDED_ISOS.iter().map(|(file, size)| ("iso", *file, *size)));
    for (content, file, size) in files {
        let volid = format!("local:{content}/{file}");
        let format = match content {
            "iso" => "iso".to_string(),
            _ => template_format(file),
        };
        volumes.insert(
            volid.clone(),
            Volume {
                volid,
                content: content.to_string(),
                format,
                size,
                vmid: None,
                ctime,
                notes: None,
                backup_config: None,
                protected: false,
            },
        );
    }
    Storage {
        id: "local".into(),
        kind: "dir".into(),
        content: ["vztmpl", "iso", "backup", "snippets"]
            .map(String::from)
            .to_vec(),
        total: 100 * GIB,
        shared: false,
        enabled: true,
        volumes,
    }
}

/// PVE's volume format for a container template: `tzst`, `txz`, `tgz`, or `tar`.
pub fn template_format(file: &str) -> String {
    match file.rsplit_once(".tar.") {
        Some((_, "zst")) => "tzst".into(),
        Some((_, "xz")) => "txz".into(),
        Some((_, "gz")) => "tgz".into(),
        Some((_, "bz2")) => "tbz2".into(),
        _ if file.ends_with(".tgz") => "tgz".into(),
        _ => "tar".into(),
    }
}

/// Thin pools overprovision, but a seeded pool should look healthy: about 40 % more
/// than its disks' virtual size, in whole 64 GiB steps, never under 512 GiB.
fn size_thin_pools(cluster: &mut Cluster) {
    for node in cluster.nodes.values_mut() {
        if let Some(pool) = node.storages.get_mut("local-lvm") {
            let used = pool.used();
            let wanted = (used + used * 2 / 5).div_ceil(64 * GIB) * 64 * GIB;
            pool.total = wanted.max(512 * GIB);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(nodes: usize, guests: usize, seed: u64) -> SimConfig {
        SimConfig {
            nodes,
            guests,
            seed,
            schema_path: None,
            ..SimConfig::default()
        }
    }

    #[test]
    fn same_seed_same_cluster() {
        let a = seed_cluster(&config(3, 40, 7));
        let b = seed_cluster(&config(3, 40, 7));
        let names = |c: &Cluster| c.guests.values().map(|g| g.name()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        let configs = |c: &Cluster| {
            c.guests
                .values()
                .map(|g| g.config.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(configs(&a), configs(&b));
        let other = seed_cluster(&config(3, 40, 8));
        assert_ne!(configs(&a), configs(&other));
    }

    #[test]
    fn nodes_have_default_storages_with_templates_and_isos() {
        let cluster = seed_cluster(&config(3, 0, 1));
        assert_eq!(
            cluster.nodes.keys().collect::<Vec<_>>(),
            ["pve1", "pve2", "pve3"]
        );
        for node in cluster.nodes.values() {
            assert!((8..=64).contains(&node.cpus));
            assert!((64 * GIB..=256 * GIB).contains(&node.maxmem));
            let local = &node.storages["local"];
            assert_eq!(local.kind, "dir");
            assert!(
                local
                    .volumes
                    .contains_key("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")
            );
            assert!(
                local
                    .volumes
                    .contains_key("local:iso/debian-12.8.0-amd64-netinst.iso")
            );
            assert_eq!(node.storages["local-lvm"].kind, "lvmthin");
        }
    }

    #[test]
    fn template_formats_follow_pve_naming() {
        assert_eq!(
            template_format("debian-12-standard_12.7-1_amd64.tar.zst"),
            "tzst"
        );
        assert_eq!(
            template_format("alpine-3.20-default_20240908_amd64.tar.xz"),
            "txz"
        );
        assert_eq!(template_format("old.tar.gz"), "tgz");
    }
}
