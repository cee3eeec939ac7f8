use std::sync::Arc;

use proxicloud_store::{GuestReservation, NewJob, Role, Store, StoreError, constraints};
use proxicloud_types::{GuestType, VmId};
use uuid::Uuid;

use crate::fixtures::{cluster, guest, snapshot, user};

async fn reservation(
    store: &dyn Store,
    cluster_id: Uuid,
    vmid: u32,
    owner_id: Uuid,
) -> GuestReservation {
    let job = store
        .jobs()
        .create(NewJob {
            kind: "instance.create".into(),
            owner_id,
            resource_kind: None,
            resource_id: None,
            params: serde_json::json!({}),
            steps: vec![],
            idempotency_key: None,
        })
        .await
        .unwrap()
        .job;
    GuestReservation {
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

pub async fn reserving_a_taken_vmid_conflicts(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![guest(100, GuestType::Qemu, "found", "running")]),
        )
        .await
        .unwrap();
    let taken = store
        .guests()
        .reserve(reservation(&*store, lab.id, 100, olga.id).await)
        .await;
    assert!(
        matches!(&taken, Err(StoreError::Conflict { constraint }) if constraint == constraints::GUEST_VMID),
        "{taken:?}"
    );
    let first = store
        .guests()
        .reserve(reservation(&*store, lab.id, 101, olga.id).await)
        .await
        .unwrap();
    let twice = store
        .guests()
        .reserve(reservation(&*store, lab.id, 101, olga.id).await)
        .await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
    let other_cluster = cluster(&*store, "edge").await;
    store
        .guests()
        .reserve(reservation(&*store, other_cluster.id, 101, olga.id).await)
        .await
        .expect("vmids are per cluster");
    let unknown_cluster = store
        .guests()
        .reserve(reservation(&*store, Uuid::now_v7(), 102, olga.id).await)
        .await;
    assert!(
        matches!(unknown_cluster, Err(StoreError::MissingReference)),
        "{unknown_cluster:?}"
    );
    assert_eq!(
        store
            .guests()
            .find_by_vmid(lab.id, VmId::new(101).unwrap())
            .await
            .unwrap(),
        Some(first)
    );
    assert_eq!(
        store
            .guests()
            .find_by_vmid(lab.id, VmId::new(999).unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn owners_can_be_assigned_and_guests_deleted(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    let id = store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![guest(100, GuestType::Qemu, "vm", "running")]),
        )
        .await
        .unwrap()
        .appeared[0];
    let owned = store.guests().set_owner(id, Some(olga.id)).await.unwrap();
    assert_eq!(owned.owner_id, Some(olga.id));
    assert!(
        !owned.managed,
        "assigning an owner does not make it ProxiCloud-created"
    );
    assert_eq!(
        store.guests().set_owner(id, None).await.unwrap().owner_id,
        None
    );
    let bad_owner = store.guests().set_owner(id, Some(Uuid::now_v7())).await;
    assert!(
        matches!(bad_owner, Err(StoreError::MissingReference)),
        "{bad_owner:?}"
    );
    assert!(matches!(
        store.guests().set_owner(Uuid::now_v7(), None).await,
        Err(StoreError::NotFound)
    ));

    let reserved = store
        .guests()
        .reserve(reservation(&*store, lab.id, 101, olga.id).await)
        .await
        .unwrap();
    store.guests().delete(reserved.id).await.unwrap();
    assert!(matches!(
        store.guests().get(reserved.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.guests().delete(reserved.id).await,
        Err(StoreError::NotFound)
    ));
    store
        .guests()
        .reserve(reservation(&*store, lab.id, 101, olga.id).await)
        .await
        .expect("the vmid is free again");
}
