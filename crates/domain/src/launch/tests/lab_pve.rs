//! The Proxmox the launch options are read from (`proxicloud_pve::fake`): three nodes
//! (pve3 offline), a local directory storage with templates and a backup, a thin pool,
//! a shared NFS storage with an ISO, an inactive and a disabled storage, two bridges
//! and a plain NIC per node.

use proxicloud_pve::fake::FakePve;
use serde_json::json;

pub const GIB: u64 = 1 << 30;

const DEBIAN: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

pub fn lab_pve() -> FakePve {
    let online = ["pve1", "pve2"];
    FakePve::builder()
        .node(json!({"node": "pve2", "status": "online", "maxcpu": 8, "maxmem": 32 * GIB, "mem": 4 * GIB}))
        .node(json!({"node": "pve1", "status": "online", "maxcpu": 16, "maxmem": 64 * GIB, "mem": 60 * GIB}))
        .node(json!({"node": "pve3", "status": "offline"}))
        .storage(&online, json!({"storage": "local", "type": "dir", "content": "vztmpl,iso,backup", "active": 1, "enabled": 1}))
        .storage(&online, json!({"storage": "local-lvm", "type": "lvmthin", "content": "images,rootdir", "active": 1, "enabled": 1, "avail": 100 * GIB, "total": 200 * GIB}))
        .storage(&online, json!({"storage": "nfs", "type": "nfs", "content": "iso,images", "active": 1, "enabled": 1, "shared": 1, "avail": 900 * GIB, "total": GIB << 10}))
        .storage(&online, json!({"storage": "broken", "type": "dir", "content": "rootdir", "active": 0, "enabled": 1}))
        .storage(&online, json!({"storage": "off", "type": "dir", "content": "rootdir,images", "active": 1, "enabled": 0}))
        .volume(&online, "local", json!({"volid": DEBIAN, "content": "vztmpl", "size": 120_000_000}))
        .volume(&["pve1"], "local", json!({"volid": "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz", "content": "vztmpl", "size": 3_000_000}))
        .volume(&online, "local", json!({"volid": "local:backup/vzdump-lxc-101-2026_11_22-10_00_00.tar.zst", "content": "backup", "size": 50_000_000}))
        .volume(&online, "nfs", json!({"volid": "nfs:iso/debian-12.iso", "content": "iso", "size": 600_000_000}))
        .interface(&online, json!({"iface": "vmbr1", "type": "bridge"}))
        .interface(&online, json!({"iface": "vmbr0", "type": "bridge"}))
        .interface(&online, json!({"iface": "eno1", "type": "eth"}))
        .build()
}

/// How the wizard must ask: only enabled storages, content by type, bridges only, and
/// never an offline node.
pub fn assert_asked_like_the_wizard(pve: &FakePve) {
    for call in pve.recorded() {
        assert_ne!(
            call.node.as_deref(),
            Some("pve3"),
            "an offline node is not asked"
        );
        match call.op {
            "storages" => assert!(call.args.contains("enabled: true"), "{call:?}"),
            "storage_content" => assert!(call.args.contains("content: Some("), "{call:?}"),
            "network_interfaces" => assert_eq!(call.args, r#"Some("any_bridge")"#),
            _ => {}
        }
    }
}
