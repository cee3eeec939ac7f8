use proxicloud_pve::{GuestType, VmId};
use proxicloud_store::{
    Alert, AlertResource, AlertState, Guest, GuestObservation, Node, NodeObservation, Timestamp,
    Uuid,
};

use super::{Health, HealthMap, build};
use crate::inventory::VisibleInstances;

fn guest(cluster: Uuid, node: &str, name: &str, status: &str, cpu: f64, mem_ratio: f64) -> Guest {
    let mut observed = GuestObservation {
        vmid: VmId::new(100 + name.len() as u32).unwrap(),
        node: node.into(),
        kind: GuestType::Lxc,
        name: name.into(),
        status: status.into(),
        cpus: 2.0,
        maxmem: 1 << 30,
        mem: ((1u64 << 30) as f64 * mem_ratio) as u64,
        maxdisk: 8 << 30,
        disk: 0,
        uptime: 0,
        template: false,
        lock: None,
        tags: None,
        activity: Default::default(),
    };
    observed.activity.cpu = cpu;
    Guest {
        id: Uuid::now_v7(),
        cluster_id: cluster,
        observed,
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

fn node(cluster: Uuid, name: &str, status: &str, cpu: f64) -> Node {
    Node {
        cluster_id: cluster,
        observed: NodeObservation {
            name: name.into(),
            status: status.into(),
            cpu,
            maxcpu: 8,
            mem: 1 << 30,
            maxmem: 8 << 30,
            uptime: 1,
        },
        seen_at: Timestamp::now(),
    }
}

fn firing(kind: &str, id: String, severity: &str) -> Alert {
    Alert {
        id: Uuid::now_v7(),
        rule_id: None,
        rule_name: "rule".into(),
        severity: severity.into(),
        resource: AlertResource {
            kind: kind.into(),
            id,
        },
        resource_name: "x".into(),
        owner_id: None,
        state: AlertState::Firing,
        value: None,
        message: "guest down unexpectedly".into(),
        silenced: false,
        started_at: Timestamp::now(),
        fired_at: Some(Timestamp::now()),
        resolved_at: None,
        updated_at: Timestamp::now(),
    }
}

fn health_of(map: &HealthMap, name: &str) -> (Health, Option<String>) {
    map.clusters
        .iter()
        .flat_map(|c| &c.nodes)
        .flat_map(|n| &n.guests)
        .find(|g| g.name == name)
        .map(|g| (g.health, g.reason.clone()))
        .unwrap_or_else(|| panic!("{name} is not on the map"))
}

#[test]
fn each_guest_is_coloured_by_its_load_state_host_and_alerts() {
    let lab = Uuid::now_v7();
    let guests = vec![
        guest(lab, "pve1", "idle", "running", 0.10, 0.2),
        guest(lab, "pve1", "busy", "running", 0.75, 0.2),
        guest(lab, "pve1", "full", "running", 0.10, 0.95),
        guest(lab, "pve1", "hot", "running", 0.95, 0.2),
        guest(lab, "pve1", "off", "stopped", 0.0, 0.0),
        guest(lab, "pve1", "frozen", "paused", 0.0, 0.5),
        guest(lab, "pve1", "crashed", "stopped", 0.0, 0.0),
        guest(lab, "pve2", "orphan", "running", 0.10, 0.2),
    ];
    let crashed = guests[6].id;
    let mut template = guest(lab, "pve1", "golden", "stopped", 0.0, 0.0);
    template.observed.template = true;
    let mut all = guests.clone();
    all.push(template);
    let visible = VisibleInstances::of(all, &[(lab, "lab", None)]);
    let nodes = [
        node(lab, "pve1", "online", 0.2),
        node(lab, "pve2", "offline", 0.0),
    ];
    let alerts = [firing("instance", crashed.to_string(), "critical")];
    let map = build(&visible, &nodes, &alerts, true);

    assert_eq!(health_of(&map, "idle").0, Health::Ok);
    assert_eq!(
        health_of(&map, "busy"),
        (Health::Warning, Some("CPU 75 %".into()))
    );
    assert_eq!(
        health_of(&map, "full"),
        (Health::Warning, Some("memory 95 %".into()))
    );
    assert_eq!(
        health_of(&map, "hot"),
        (Health::Critical, Some("CPU 95 %".into()))
    );
    assert_eq!(health_of(&map, "off"), (Health::Stopped, None));
    assert_eq!(health_of(&map, "frozen").0, Health::Warning);
    let (health, reason) = health_of(&map, "crashed");
    assert_eq!(
        health,
        Health::Critical,
        "a firing critical alert makes it red"
    );
    assert!(reason.unwrap().contains("guest down"));
    let (health, reason) = health_of(&map, "orphan");
    assert_eq!(health, Health::Critical, "its node is offline");
    assert_eq!(reason.as_deref(), Some("node pve2 is offline"));
    // Templates are images, not guests.
    assert!(
        map.clusters[0]
            .nodes
            .iter()
            .all(|n| n.guests.iter().all(|g| g.name != "golden"))
    );
    // Worst first on each node, the cluster as bad as its worst.
    let pve1 = &map.clusters[0].nodes[0];
    assert_eq!(pve1.name, "pve1");
    let order: Vec<Health> = pve1.guests.iter().map(|g| g.health).collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(order, sorted);
    assert_eq!(map.clusters[0].health, Health::Critical);
    assert_eq!(map.clusters[0].nodes[1].health, Health::Critical);
}

#[test]
fn an_unreachable_cluster_makes_everything_on_it_critical() {
    let (lab, home) = (Uuid::now_v7(), Uuid::now_v7());
    let since = Timestamp::now();
    let visible = VisibleInstances::of(
        vec![
            guest(lab, "pve1", "web", "running", 0.1, 0.1),
            guest(home, "nas", "media", "running", 0.1, 0.1),
        ],
        &[(lab, "lab", Some(since)), (home, "home", None)],
    );
    let nodes = [
        node(lab, "pve1", "online", 0.1),
        node(home, "nas", "online", 0.1),
    ];
    let map = build(&visible, &nodes, &[], true);
    let (health, reason) = health_of(&map, "web");
    assert_eq!(health, Health::Critical);
    assert!(reason.unwrap().starts_with("cluster unreachable since"));
    let lab_tile = map.clusters.iter().find(|c| c.id == lab).unwrap();
    assert_eq!(
        (lab_tile.name.as_str(), lab_tile.stale_since),
        ("lab", Some(since))
    );
    assert_eq!(health_of(&map, "media").0, Health::Ok);
}

#[test]
fn only_admins_see_nodes_without_their_guests_and_the_nodes_own_load() {
    let lab = Uuid::now_v7();
    let visible = VisibleInstances::of(
        vec![guest(lab, "pve1", "mine", "running", 0.1, 0.1)],
        &[(lab, "lab", None)],
    );
    let nodes = [
        node(lab, "pve1", "online", 0.95),
        node(lab, "pve2", "online", 0.1),
    ];

    let admin = build(&visible, &nodes, &[], true);
    let names: Vec<&str> = admin.clusters[0]
        .nodes
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, ["pve1", "pve2"]);
    let pve1 = &admin.clusters[0].nodes[0];
    assert_eq!(pve1.health, Health::Critical, "its own CPU is at 95 %");
    assert!(pve1.load.is_some());

    let operator = build(&visible, &nodes, &[], false);
    let names: Vec<&str> = operator.clusters[0]
        .nodes
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, ["pve1"], "only the node running their guest");
    let pve1 = &operator.clusters[0].nodes[0];
    assert_eq!(pve1.load, None, "nor its figures");
    assert_eq!(pve1.health, Health::Ok);
}
