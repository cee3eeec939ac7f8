//! Small builders shared by the tests.

use std::time::Duration;

use proxicloud_store::{
    Cluster, ClusterConfig, ClusterCredentials, GuestObservation, GuestReservation,
    InventorySnapshot, NewUser, Role, Store, Timestamp, User,
};
use proxicloud_types::{GuestType, VmId};
use uuid::Uuid;

pub async fn user(store: &dyn Store, username: &str, role: Role) -> User {
    store
        .users()
        .create(NewUser {
            username: username.into(),
            password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${username}"),
            role,
            disabled: false,
        })
        .await
        .expect("create user")
}

pub fn cluster_config(name: &str) -> ClusterConfig {
    ClusterConfig {
        name: name.into(),
        addresses: vec!["10.0.0.1:8006".into(), "10.0.0.2".into()],
        credentials: ClusterCredentials::ApiToken {
            token_id: "root@pam!proxicloud".into(),
        },
        secret_ciphertext: vec![0, 1, 2, 250, 255],
        tls_fingerprint: Some("AB:CD".into()),
        ca_pem: None,
        verify_tls: true,
    }
}

pub async fn cluster(store: &dyn Store, name: &str) -> Cluster {
    store
        .clusters()
        .create(cluster_config(name))
        .await
        .expect("create cluster")
}

pub fn guest(vmid: u32, kind: GuestType, name: &str, status: &str) -> GuestObservation {
    GuestObservation {
        vmid: VmId::new(vmid).expect("valid vmid"),
        node: "pve1".into(),
        kind,
        name: name.into(),
        status: status.into(),
        cpus: 2.0,
        maxmem: 2 << 30,
        mem: 1 << 28,
        maxdisk: 8 << 30,
        disk: 1 << 30,
        uptime: 100,
        template: false,
        lock: None,
        tags: Some("web;prod".into()),
        activity: Default::default(),
    }
}

pub fn snapshot(guests: Vec<GuestObservation>) -> InventorySnapshot {
    InventorySnapshot {
        observed_at: Timestamp::now(),
        nodes: Vec::new(),
        storages: Vec::new(),
        guests,
    }
}

/// Where most guest tests start: cluster `lab`, operator `olga`, and the mirror's
/// first sync of `guests` (their new ids, `appeared`, in the order given).
pub struct Lab {
    pub cluster: Cluster,
    pub olga: User,
    pub guests: Vec<Uuid>,
}

pub async fn lab_with(store: &dyn Store, guests: Vec<GuestObservation>) -> Lab {
    let cluster = cluster(store, "lab").await;
    let olga = user(store, "olga", Role::Operator).await;
    let guests = store
        .inventory()
        .sync(cluster.id, &snapshot(guests))
        .await
        .expect("first sync")
        .appeared;
    Lab {
        cluster,
        olga,
        guests,
    }
}

/// A moment clearly after `t`.
pub fn later(t: Timestamp, seconds: u64) -> Timestamp {
    t + Duration::from_secs(seconds)
}

/// A reservation of `vmid` named `reserved-<vmid>`, with the create job it needs.
pub async fn reservation(
    store: &dyn Store,
    cluster_id: Uuid,
    vmid: u32,
    owner_id: Uuid,
) -> GuestReservation {
    let job = store
        .jobs()
        .create(proxicloud_store::NewJob::new(
            "instance.create",
            proxicloud_store::JobActor::User(owner_id),
            vec![],
        ))
        .await
        .unwrap()
        .job;
    GuestReservation {
        id: Uuid::now_v7(),
        cluster_id,
        vmid: VmId::new(vmid).unwrap(),
        node: "pve1".into(),
        kind: GuestType::Lxc,
        name: format!("reserved-{vmid}"),
        owner_id,
        job_id: job.id,
        cpus: 1.0,
        maxmem: 1 << 29,
        maxdisk: 1 << 32,
    }
}
