use std::sync::Arc;

use proxicloud_store::{GuestAddresses, Role, Store, StoreError, Table, Timestamp, constraints};
use proxicloud_types::{GuestType, VmId};
use uuid::Uuid;

use crate::fixtures::{Lab, cluster, guest, lab_with, reservation, snapshot, user};

pub async fn reserving_a_taken_vmid_conflicts(store: Arc<dyn Store>) {
    let found = vec![guest(100, GuestType::Qemu, "found", "running")];
    let Lab {
        cluster: lab, olga, ..
    } = lab_with(&*store, found).await;
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
    let vm = vec![guest(100, GuestType::Qemu, "vm", "running")];
    let Lab {
        cluster: lab,
        olga,
        guests,
    } = lab_with(&*store, vm).await;
    let id = guests[0];
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

/// In-memory views rebuild from `list_live` whenever `writes(Table::Guests)` moved: every kind
/// of write that changes what they show must move it, and `list_live` must show
/// exactly the guests that are not removed.
pub async fn every_guest_write_is_counted_and_live_guests_are_listed(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    let mut seen = store.writes(Table::Guests);
    let mut moved = |what: &str| {
        let now = store.writes(Table::Guests);
        assert!(now > seen, "{what} did not count as a guest write");
        seen = now;
    };

    let synced = store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![
                guest(100, GuestType::Qemu, "kept", "running"),
                guest(101, GuestType::Lxc, "going", "stopped"),
            ]),
        )
        .await
        .unwrap();
    moved("a sync");
    store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![guest(100, GuestType::Qemu, "kept", "running")]),
        )
        .await
        .unwrap();
    moved("a sync that removed a guest");
    let reserved = store
        .guests()
        .reserve(reservation(&*store, lab.id, 102, olga.id).await)
        .await
        .unwrap();
    moved("a reservation");

    let mut live: Vec<(u32, String)> = store
        .guests()
        .list_live()
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.observed.vmid.get(), g.observed.name))
        .collect();
    live.sort();
    assert_eq!(
        live,
        vec![(100, "kept".to_owned()), (102, "reserved-102".to_owned())],
        "removed guests are not live"
    );

    store
        .guests()
        .set_owner(synced.appeared[0], Some(olga.id))
        .await
        .unwrap();
    moved("an owner change");
    store.guests().delete(reserved.id).await.unwrap();
    moved("a deletion");
    store.users().delete(olga.id).await.unwrap();
    moved("deleting an owner");
    store.clusters().delete(lab.id).await.unwrap();
    moved("deleting the cluster");
    assert!(store.guests().list_live().await.unwrap().is_empty());
}

/// Addresses are learned per guest, outside the inventory sync: many at once, counted
/// as a guest write, and left alone by every later sync.
pub async fn learned_addresses_are_stored_and_survive_syncs(store: Arc<dyn Store>) {
    let found = vec![
        guest(100, GuestType::Qemu, "web", "running"),
        guest(101, GuestType::Lxc, "db", "running"),
    ];
    let Lab {
        cluster: lab,
        guests,
        ..
    } = lab_with(&*store, found).await;
    let (web, db) = (guests[0], guests[1]);
    let fresh = store.guests().get(web).await.unwrap();
    assert_eq!((fresh.addresses, fresh.addresses_at), (None, None));

    let writes_before = store.writes(Table::Guests);
    let learned_at = Timestamp::now();
    let updated = store
        .guests()
        .set_addresses(
            &[
                GuestAddresses {
                    guest_id: web,
                    addresses: vec!["10.0.3.39".into(), "2001:db8::5".into()],
                },
                GuestAddresses {
                    guest_id: db,
                    addresses: vec![],
                },
                GuestAddresses {
                    guest_id: Uuid::now_v7(),
                    addresses: vec!["192.0.2.1".into()],
                },
            ],
            learned_at,
        )
        .await
        .unwrap();
    assert_eq!(updated, 2, "unknown ids are skipped");
    assert!(
        store.writes(Table::Guests) > writes_before,
        "in-memory views refresh"
    );
    let web_row = store.guests().get(web).await.unwrap();
    assert_eq!(
        web_row.addresses.as_deref(),
        Some(&["10.0.3.39".to_owned(), "2001:db8::5".to_owned()][..])
    );
    assert_eq!(web_row.addresses_at, Some(learned_at));
    let db_row = store.guests().get(db).await.unwrap();
    assert_eq!(
        db_row.addresses,
        Some(vec![]),
        "known to have none is not unknown"
    );

    // A sync that changes the guests' state keeps what was learned.
    store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![
                guest(100, GuestType::Qemu, "web-renamed", "stopped"),
                guest(101, GuestType::Lxc, "db", "running"),
            ]),
        )
        .await
        .unwrap();
    let after_sync = store.guests().get(web).await.unwrap();
    assert_eq!(after_sync.observed.status, "stopped");
    assert_eq!(after_sync.addresses, web_row.addresses);
    assert_eq!(after_sync.addresses_at, Some(learned_at));
    let listed = store.guests().list_live().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|g| g.id == web && g.addresses == web_row.addresses)
    );

    // Learning again replaces the list.
    store
        .guests()
        .set_addresses(
            &[GuestAddresses {
                guest_id: web,
                addresses: vec!["10.0.3.40".into()],
            }],
            Timestamp::now(),
        )
        .await
        .unwrap();
    let relearned = store.guests().get(web).await.unwrap();
    assert_eq!(relearned.addresses, Some(vec!["10.0.3.40".to_owned()]));
}
