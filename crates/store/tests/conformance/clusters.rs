use std::sync::Arc;

use proxicloud_store::{
    ClusterCredentials, ClusterHealth, ClusterStatus, InventorySnapshot, NodeObservation, Store,
    StoreError, Timestamp, constraints,
};
use proxicloud_types::GuestType;
use uuid::Uuid;

use crate::fixtures::{cluster, cluster_config, guest};

pub async fn clusters_round_trip_with_their_credentials(store: Arc<dyn Store>) {
    let created = cluster(&*store, "lab").await;
    assert_eq!(created.config, cluster_config("lab"));
    assert_eq!(created.health, ClusterHealth::default());
    assert_eq!(store.clusters().get(created.id).await.unwrap(), created);

    let mut changed = cluster_config("lab-renamed");
    changed.credentials = ClusterCredentials::Password {
        username: "root@pam".into(),
    };
    changed.secret_ciphertext = vec![9; 64];
    changed.tls_fingerprint = None;
    changed.ca_pem = Some("-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n".into());
    changed.verify_tls = false;
    changed.addresses = vec!["pve.example".into()];
    let updated = store
        .clusters()
        .update(created.id, changed.clone())
        .await
        .unwrap();
    assert_eq!(updated.config, changed);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(store.clusters().get(created.id).await.unwrap(), updated);

    let other = cluster(&*store, "alpha").await;
    let names: Vec<_> = store
        .clusters()
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.config.name)
        .collect();
    assert_eq!(names, ["alpha", "lab-renamed"]);
    store.clusters().delete(other.id).await.unwrap();
    assert!(matches!(
        store.clusters().get(other.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.clusters().delete(other.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.clusters().update(other.id, changed).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn cluster_names_are_unique(store: Arc<dyn Store>) {
    cluster(&*store, "lab").await;
    let duplicate = store.clusters().create(cluster_config("lab")).await;
    assert!(
        matches!(&duplicate, Err(StoreError::Conflict { constraint }) if constraint == constraints::CLUSTER_NAME),
        "{duplicate:?}"
    );
}

pub async fn health_is_recorded_separately_from_the_configuration(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let since = Timestamp::now();
    let offline = ClusterHealth {
        status: ClusterStatus::Offline,
        offline_since: Some(since),
        last_seen_at: Some(since),
        last_error: Some("connection refused".into()),
    };
    store
        .clusters()
        .set_health(lab.id, offline.clone())
        .await
        .unwrap();
    let stored = store.clusters().get(lab.id).await.unwrap();
    assert_eq!(stored.health, offline);
    assert_eq!(stored.config, lab.config);

    let updated = store
        .clusters()
        .update(lab.id, cluster_config("lab2"))
        .await
        .unwrap();
    assert_eq!(
        updated.health, offline,
        "a configuration update keeps the health"
    );
    let missing = store.clusters().set_health(Uuid::now_v7(), offline).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

pub async fn deleting_a_cluster_deletes_its_inventory(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let snapshot = InventorySnapshot {
        observed_at: Timestamp::now(),
        nodes: vec![NodeObservation {
            name: "pve1".into(),
            status: "online".into(),
            cpu: 0.1,
            maxcpu: 8,
            mem: 1,
            maxmem: 2,
            uptime: 3,
        }],
        storages: Vec::new(),
        guests: vec![guest(100, GuestType::Qemu, "vm", "running")],
    };
    let report = store.inventory().sync(lab.id, &snapshot).await.unwrap();
    store.clusters().delete(lab.id).await.unwrap();
    assert!(store.inventory().list_nodes(None).await.unwrap().is_empty());
    assert!(matches!(
        store.guests().get(report.appeared[0]).await,
        Err(StoreError::NotFound)
    ));
}
