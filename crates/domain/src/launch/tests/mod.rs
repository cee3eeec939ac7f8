//! Launch options against a small fake Proxmox: two nodes sharing an NFS storage,
//! one offline node, a VM template in the mirror.

mod lab_pve;

use std::sync::Arc;
use std::time::Duration;

use proxicloud_pve::fake::{Failure, FakePve};
use proxicloud_pve::{GuestType, VmId};
use proxicloud_store::{GuestObservation, InventorySnapshot, Role, Store, Timestamp, Uuid};

use super::{ClusterChoice, LaunchOptionsService};
use crate::error::DomainError;
use crate::iam::Principal;
use crate::jobs::tests::support::{
    lab_cluster, principal_of, principal_with_role, sqlite_store, user,
};
use crate::settings::{ResourceDefaults, Settings, SettingsService};
use crate::testing::FakeConnector;
use lab_pve::{GIB, assert_asked_like_the_wizard, lab_pve};

struct Lab {
    pve: Arc<FakePve>,
    store: Arc<dyn Store>,
    settings: Arc<SettingsService>,
    cluster_id: Uuid,
    /// A stored admin (settings writes record who made them).
    root: Principal,
    _dir: tempfile::TempDir,
}

fn vm(vmid: u32, name: &str, template: bool) -> GuestObservation {
    GuestObservation {
        vmid: VmId::new(vmid).unwrap(),
        node: "pve1".into(),
        kind: GuestType::Qemu,
        name: name.into(),
        status: "stopped".into(),
        cpus: 2.0,
        maxmem: 2 * GIB,
        mem: 0,
        maxdisk: 10 * GIB,
        disk: 0,
        uptime: 0,
        template,
        lock: None,
        tags: None,
        activity: Default::default(),
    }
}

impl Lab {
    async fn new() -> Lab {
        let (store, dir) = sqlite_store().await;
        let root = user(store.as_ref(), "root", Role::Admin).await;
        let cluster_id = lab_cluster(store.as_ref()).await;
        let snapshot = InventorySnapshot {
            observed_at: Timestamp::now(),
            nodes: Vec::new(),
            storages: Vec::new(),
            guests: vec![vm(9000, "debian-cloud", true), vm(101, "db", false)],
        };
        store.inventory().sync(cluster_id, &snapshot).await.unwrap();
        let settings = Arc::new(
            SettingsService::load(store.clone(), Settings::default())
                .await
                .unwrap(),
        );
        Lab {
            pve: Arc::new(lab_pve()),
            store,
            settings,
            cluster_id,
            root: principal_of(&root),
            _dir: dir,
        }
    }

    fn service(&self, ttl: Duration) -> LaunchOptionsService {
        LaunchOptionsService::new(
            self.store.clone(),
            Arc::new(FakeConnector(self.pve.clone())),
            self.settings.clone(),
        )
        .with_cache_ttl(ttl)
    }

    fn calls(&self) -> usize {
        self.pve.recorded().len()
    }
}

#[tokio::test]
async fn the_cluster_is_described_for_the_wizard() {
    let lab = Lab::new().await;
    let options = lab
        .service(Duration::from_secs(30))
        .options(&principal_with_role(Role::Operator), None)
        .await
        .unwrap();
    assert_eq!(
        options.clusters,
        [ClusterChoice {
            id: lab.cluster_id,
            name: "lab".into()
        }]
    );
    let cluster = &options.cluster;
    assert_eq!(
        (cluster.cluster_id, cluster.cluster_name.as_str()),
        (lab.cluster_id, "lab")
    );

    let names: Vec<_> = cluster
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.online))
        .collect();
    assert_eq!(names, [("pve1", true), ("pve2", true), ("pve3", false)]);
    let pve1 = &cluster.nodes[0];
    assert_eq!((pve1.cores, pve1.memory_free), (16, 4 * GIB));
    assert_eq!(pve1.bridges, ["vmbr0", "vmbr1"]);
    // Disk storages only (not `local`, which holds no disks; not the inactive one).
    let disks: Vec<_> = pve1
        .storages
        .iter()
        .map(|s| (s.storage.as_str(), s.containers, s.vms, s.avail / GIB))
        .collect();
    assert_eq!(
        disks,
        [("local-lvm", true, true, 100), ("nfs", false, true, 900)]
    );
    assert!(cluster.nodes[2].storages.is_empty() && cluster.nodes[2].bridges.is_empty());

    // Sorted by file name; a local template is attributed to the nodes that have it.
    let templates: Vec<_> = cluster
        .lxc_templates
        .iter()
        .map(|t| (t.name.as_str(), t.nodes.clone()))
        .collect();
    assert_eq!(
        templates,
        [
            (
                "alpine-3.20-default_20240908_amd64.tar.xz",
                vec!["pve1".to_owned()]
            ),
            (
                "debian-12-standard_12.7-1_amd64.tar.zst",
                vec!["pve1".to_owned(), "pve2".to_owned()]
            ),
        ]
    );
    // The shared storage's ISO is one entry seen by both nodes.
    assert_eq!(cluster.isos.len(), 1);
    assert_eq!(
        (cluster.isos[0].volid.as_str(), cluster.isos[0].nodes.len()),
        ("nfs:iso/debian-12.iso", 2)
    );
    let templates: Vec<_> = cluster
        .vm_templates
        .iter()
        .map(|t| (t.vmid, t.name.as_str()))
        .collect();
    assert_eq!(templates, [(9000, "debian-cloud")]);

    let presets: Vec<_> = options.presets.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(presets, ["nano", "small", "medium", "large"]);
    assert_eq!(
        (
            options.defaults.cores,
            options.defaults.memory_mib,
            options.defaults.disk_gib,
            options.defaults.bridge.as_str()
        ),
        (1, 1024, 8, "vmbr0")
    );
    assert_asked_like_the_wizard(&lab.pve);
}

#[tokio::test]
async fn a_second_look_within_the_cache_lifetime_does_not_ask_proxmox() {
    let lab = Lab::new().await;
    let operator = principal_with_role(Role::Operator);
    let cached = lab.service(Duration::from_secs(30));
    cached.options(&operator, None).await.unwrap();
    let first_round = lab.calls();
    assert!(first_round > 0);
    cached
        .options(&operator, Some(lab.cluster_id))
        .await
        .unwrap();
    assert_eq!(lab.calls(), first_round);

    let uncached = lab.service(Duration::ZERO);
    uncached.options(&operator, None).await.unwrap();
    uncached.options(&operator, None).await.unwrap();
    assert_eq!(lab.calls(), 3 * first_round);
    assert_asked_like_the_wizard(&lab.pve);
}

#[tokio::test]
async fn defaults_follow_the_settings_even_while_the_cluster_is_cached() {
    let lab = Lab::new().await;
    let admin = &lab.root;
    let service = lab.service(Duration::from_secs(30));
    service.options(admin, None).await.unwrap();
    let mut settings = lab.settings.current();
    settings.resources = ResourceDefaults {
        cores: 2,
        memory_mib: 2048,
        disk_gib: 20,
    };
    lab.settings.update(admin, settings).await.unwrap();
    let options = service.options(admin, None).await.unwrap();
    assert_eq!((options.defaults.cores, options.defaults.disk_gib), (2, 20));
    assert_asked_like_the_wizard(&lab.pve);
}

#[tokio::test]
async fn an_unreachable_cluster_is_unavailable_and_not_cached() {
    let lab = Lab::new().await;
    let operator = principal_with_role(Role::Operator);
    let service = lab.service(Duration::from_secs(30));
    lab.pve.fail_calls(None, Failure::Unreachable);
    let admin = principal_with_role(Role::Admin);
    match service.options(&admin, None).await {
        Err(DomainError::Unavailable { code, message }) => {
            assert_eq!(code, "cluster_unavailable");
            assert!(
                message.contains("'lab'") && message.contains("connection refused"),
                "{message}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    // An operator may not see cluster details: no node URL, no OS error.
    match service.options(&operator, None).await {
        Err(DomainError::Unavailable { code, message }) => {
            assert_eq!(code, "cluster_unavailable");
            assert_eq!(
                message,
                "the Proxmox VE cluster is unreachable; try again later"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    lab.pve.heal();
    assert!(service.options(&operator, None).await.is_ok());
    assert_asked_like_the_wizard(&lab.pve);
}

#[tokio::test]
async fn readonly_callers_and_unknown_clusters_are_refused() {
    let lab = Lab::new().await;
    let service = lab.service(Duration::from_secs(30));
    let refused = service
        .options(&principal_with_role(Role::Readonly), None)
        .await;
    assert!(matches!(refused, Err(DomainError::Forbidden(_))));
    let unknown = service
        .options(&principal_with_role(Role::Admin), Some(Uuid::now_v7()))
        .await;
    assert!(matches!(
        unknown,
        Err(DomainError::NotFound {
            resource: "cluster"
        })
    ));
    assert_eq!(lab.calls(), 0);
}

#[tokio::test]
async fn without_a_cluster_the_wizard_is_told_to_register_one() {
    let (store, _dir) = sqlite_store().await;
    let settings = Arc::new(SettingsService::new(store.clone(), Settings::default()));
    let service = LaunchOptionsService::new(
        store,
        Arc::new(FakeConnector(Arc::new(FakePve::default()))),
        settings,
    );
    let result = service
        .options(&principal_with_role(Role::Admin), None)
        .await;
    assert!(matches!(
        result,
        Err(DomainError::Conflict {
            code: "no_cluster",
            ..
        })
    ));
}

#[tokio::test]
async fn a_node_that_cannot_be_asked_is_reported_not_offered() {
    let lab = Lab::new().await;
    lab.pve.cut_off_node("pve2");
    let options = lab
        .service(Duration::from_secs(30))
        .options(&principal_with_role(Role::Operator), None)
        .await
        .expect("one node failing does not fail the wizard");
    let pve2 = &options.cluster.nodes[1];
    assert_eq!(pve2.name, "pve2");
    assert!(
        pve2.problem
            .as_deref()
            .is_some_and(|p| p.contains("No route to host"))
    );
    assert!(pve2.storages.is_empty() && pve2.bridges.is_empty());
    assert!(options.cluster.nodes[0].problem.is_none());
    // What only pve2 had is not offered; what pve1 has still is.
    let debian = &options.cluster.lxc_templates[1];
    assert_eq!(debian.nodes, ["pve1"]);
    assert_asked_like_the_wizard(&lab.pve);
}
