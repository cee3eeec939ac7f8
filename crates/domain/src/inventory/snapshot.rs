//! One `/cluster/resources` answer → the store's `InventorySnapshot`.
//!
//! Entries of kinds we do not mirror (pools, SDN zones) and entries missing what
//! identifies them (a guest without a node) are skipped rather than failing the
//! whole cycle: one odd entry must not freeze the mirror of a whole cluster. A
//! volume's holder container (tag `proxicloud-volume`) is not an instance and is left
//! out: volumes are their own resource.

use proxicloud_pve::{ClusterResource, GuestType};
use proxicloud_store::{
    GuestActivity, GuestObservation, InventorySnapshot, IoCounters, IoRates, NodeObservation,
    StorageObservation, Timestamp,
};

pub(super) fn snapshot(
    resources: Vec<ClusterResource>,
    observed_at: Timestamp,
) -> InventorySnapshot {
    let mut snapshot = InventorySnapshot {
        observed_at,
        nodes: Vec::new(),
        storages: Vec::new(),
        guests: Vec::new(),
    };
    for resource in resources {
        match resource.kind.as_str() {
            "lxc" if is_volume_holder(&resource) => {}
            "qemu" => snapshot.guests.extend(guest(resource, GuestType::Qemu)),
            "lxc" => snapshot.guests.extend(guest(resource, GuestType::Lxc)),
            "node" => snapshot.nodes.extend(node(resource)),
            "storage" => snapshot.storages.extend(storage(resource)),
            _ => {}
        }
    }
    snapshot
}

fn is_volume_holder(r: &ClusterResource) -> bool {
    r.tags.as_deref().is_some_and(|tags| {
        tags.split([';', ',', ' '])
            .any(|tag| tag == crate::volumes::rules::HOLDER_TAG)
    })
}

fn guest(r: ClusterResource, kind: GuestType) -> Option<GuestObservation> {
    let vmid = r.vmid?;
    let node = r.node?.to_string();
    Some(GuestObservation {
        vmid,
        node,
        kind,
        // PVE shows a nameless guest by its id; so do we.
        name: r
            .name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{kind}-{vmid}")),
        // Guests on an unreachable node are listed without a status.
        status: r.status.unwrap_or_else(|| "unknown".to_owned()),
        cpus: r.maxcpu.unwrap_or(0.0),
        maxmem: r.maxmem.unwrap_or(0),
        mem: r.mem.unwrap_or(0),
        maxdisk: r.maxdisk.unwrap_or(0),
        disk: r.disk.unwrap_or(0),
        uptime: r.uptime.unwrap_or(0),
        template: r.template.unwrap_or(false),
        lock: r.lock.filter(|l| !l.is_empty()),
        tags: r.tags.filter(|t| !t.is_empty()),
        // Rates need the previous sample: the sync works them out.
        activity: GuestActivity {
            cpu: r.cpu.unwrap_or(0.0),
            counters: IoCounters {
                netin: r.netin.unwrap_or(0),
                netout: r.netout.unwrap_or(0),
                diskread: r.diskread.unwrap_or(0),
                diskwrite: r.diskwrite.unwrap_or(0),
            },
            rates: IoRates::default(),
        },
    })
}

fn node(r: ClusterResource) -> Option<NodeObservation> {
    let name = r.node?.to_string();
    Some(NodeObservation {
        name,
        status: r.status.unwrap_or_else(|| "unknown".to_owned()),
        cpu: r.cpu.unwrap_or(0.0),
        // Whole cores; PVE sends an integer for nodes.
        maxcpu: r.maxcpu.map_or(0, |c| c.max(0.0).round() as u32),
        mem: r.mem.unwrap_or(0),
        maxmem: r.maxmem.unwrap_or(0),
        uptime: r.uptime.unwrap_or(0),
    })
}

fn storage(r: ClusterResource) -> Option<StorageObservation> {
    let node = r.node?.to_string();
    let storage = r.storage?;
    let total = r.maxdisk.unwrap_or(0);
    let used = r.disk.unwrap_or(0);
    Some(StorageObservation {
        node,
        storage,
        storage_type: r.plugintype.unwrap_or_default(),
        content: r.content.unwrap_or_default(),
        total,
        used,
        avail: total.saturating_sub(used),
        shared: r.shared.unwrap_or(false),
        status: r.status.unwrap_or_else(|| "unknown".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_answer_yields_guests_nodes_and_storages() {
        let json = r#"[
            {"id":"qemu/100","type":"qemu","node":"pve1","vmid":100,"name":"web","status":"running",
             "maxcpu":2,"mem":512,"maxmem":2048,"disk":0,"maxdisk":8192,"uptime":60,"template":0,
             "tags":"prod;web","lock":""},
            {"id":"lxc/101","type":"lxc","node":"pve2","vmid":101,"status":"stopped","maxcpu":1},
            {"id":"lxc/102","type":"lxc","vmid":102,"status":"stopped"},
            {"id":"lxc/5000","type":"lxc","node":"pve1","vmid":5000,"status":"stopped",
             "tags":"proxicloud-volume"},
            {"id":"node/pve1","type":"node","node":"pve1","status":"online","cpu":0.25,"maxcpu":8,
             "mem":100,"maxmem":1000,"uptime":5},
            {"id":"storage/pve1/local","type":"storage","node":"pve1","storage":"local",
             "plugintype":"dir","content":"iso,vztmpl","shared":0,"disk":30,"maxdisk":100,
             "status":"available"},
            {"id":"pool/dev","type":"pool","pool":"dev"}
        ]"#;
        let resources: Vec<ClusterResource> = serde_json::from_str(json).expect("decodes");
        let now = Timestamp::now();
        let snapshot = snapshot(resources, now);
        assert_eq!(snapshot.observed_at, now);
        assert_eq!(
            snapshot.guests.len(),
            2,
            "the node-less guest and the volume holder are skipped"
        );
        let web = &snapshot.guests[0];
        assert_eq!((web.kind, web.name.as_str()), (GuestType::Qemu, "web"));
        assert_eq!((web.maxmem, web.maxdisk, web.cpus), (2048, 8192, 2.0));
        assert_eq!(web.lock, None);
        assert_eq!(web.tags.as_deref(), Some("prod;web"));
        assert_eq!(snapshot.guests[1].name, "lxc-101");
        assert_eq!(snapshot.nodes[0].maxcpu, 8);
        let local = &snapshot.storages[0];
        assert_eq!((local.total, local.used, local.avail), (100, 30, 70));
        assert_eq!(local.storage_type, "dir");
    }
}
