use proxicloud_pve::{GuestType, VmId};
use proxicloud_store::{
    Guest, GuestObservation, Node, NodeObservation, Storage, StorageObservation, Timestamp, Uuid,
};

use super::build;
use crate::inventory::VisibleInstances;

fn guest(cluster: Uuid, node: &str, vmid: u32, status: &str, template: bool) -> Guest {
    Guest {
        id: Uuid::now_v7(),
        cluster_id: cluster,
        observed: GuestObservation {
            vmid: VmId::new(vmid).unwrap(),
            node: node.into(),
            kind: GuestType::Lxc,
            name: format!("g{vmid}"),
            status: status.into(),
            cpus: 1.0,
            maxmem: 1 << 30,
            mem: 0,
            maxdisk: 0,
            disk: 0,
            uptime: 0,
            template,
            lock: None,
            tags: None,
            activity: Default::default(),
        },
        owner_id: None,
        managed: true,
        created_by_job: None,
        created_at: Timestamp::now(),
        seen_at: Some(Timestamp::now()),
        removed_at: None,
        addresses: None,
        addresses_at: None,
    }
}

fn node(cluster: Uuid, name: &str, status: &str) -> Node {
    Node {
        cluster_id: cluster,
        observed: NodeObservation {
            name: name.into(),
            status: status.into(),
            cpu: 0.25,
            maxcpu: 16,
            mem: 3 << 30,
            maxmem: 32 << 30,
            uptime: 86_400,
        },
        seen_at: Timestamp::now(),
    }
}

fn storage(cluster: Uuid, node: &str, name: &str, shared: bool) -> Storage {
    Storage {
        cluster_id: cluster,
        observed: StorageObservation {
            node: node.into(),
            storage: name.into(),
            storage_type: if shared { "nfs" } else { "lvmthin" }.into(),
            content: "images,rootdir".into(),
            total: 100 << 30,
            used: 40 << 30,
            avail: 60 << 30,
            shared,
            status: "available".into(),
        },
        seen_at: Timestamp::now(),
    }
}

#[test]
fn every_cluster_lists_its_nodes_with_their_figures_storages_and_guest_counts() {
    let (home, lab, fresh) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let outage = Timestamp::from_unix_micros(1_700_000_000_000_000).unwrap();
    let visible = VisibleInstances::of(
        vec![
            guest(home, "pve1", 100, "running", false),
            guest(home, "pve1", 101, "stopped", false),
            guest(home, "pve1", 9000, "stopped", true),
            guest(home, "pve2", 102, "running", false),
            guest(lab, "pve1", 100, "running", false),
        ],
        &[
            (home, "home", None),
            (lab, "lab", Some(outage)),
            (fresh, "added-now", None),
        ],
    );
    let nodes = [
        node(home, "pve2", "online"),
        node(home, "pve1", "online"),
        node(lab, "pve1", "offline"),
    ];
    let storages = [
        storage(home, "pve1", "local-lvm", false),
        storage(home, "pve1", "backup", true),
        storage(home, "pve2", "backup", true),
    ];
    let hosts = build(&nodes, &storages, &visible, Timestamp::now());

    let names: Vec<&str> = hosts.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["added-now", "home", "lab"],
        "by name, empty ones too"
    );
    assert!(
        hosts.clusters[0].nodes.is_empty(),
        "never polled: no nodes yet"
    );

    let home_nodes = &hosts.clusters[1].nodes;
    let node_names: Vec<&str> = home_nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(node_names, ["pve1", "pve2"]);
    let pve1 = &home_nodes[0];
    // The template is an image, not a guest.
    assert_eq!((pve1.guests, pve1.guests_running), (2, 1));
    assert_eq!((pve1.cpus, pve1.cpu_usage), (16, 0.25));
    assert_eq!(
        (pve1.memory_used_bytes, pve1.memory_bytes),
        (3 << 30, 32 << 30)
    );
    assert_eq!(pve1.uptime_secs, 86_400);
    let storage_names: Vec<&str> = pve1.storages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(storage_names, ["backup", "local-lvm"]);
    assert_eq!(
        (pve1.storages[1].used_bytes, pve1.storages[1].total_bytes),
        (40 << 30, 100 << 30)
    );
    // A shared storage shows under every node that reports it.
    assert_eq!(home_nodes[1].storages.len(), 1);
    assert_eq!((home_nodes[1].guests, home_nodes[1].guests_running), (1, 1));

    // Same node name in another cluster: counted apart; the unreachable cluster says
    // since when its figures are old.
    let lab = &hosts.clusters[2];
    assert_eq!(lab.stale_since, Some(outage));
    assert_eq!(
        (lab.nodes[0].guests, lab.nodes[0].status.as_str()),
        (1, "offline")
    );
    assert_eq!(hosts.clusters[1].stale_since, None);
}
