use std::sync::Arc;

use proxicloud_store::repo::backups::status;
use proxicloud_store::{
    BackupArchive, BackupFilter, NewBackup, PageRequest, Role, Store, StoreError, Timestamp,
};
use proxicloud_types::{GuestType, VmId};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::{cluster, later, user};

fn new_backup(cluster_id: Uuid, guest: Uuid, owner: Option<Uuid>) -> NewBackup {
    NewBackup {
        cluster_id,
        owner_id: owner,
        guest_id: Some(guest),
        guest_name: "web".into(),
        guest_kind: GuestType::Lxc,
        vmid: VmId::new(101).unwrap(),
        node: "pve1".into(),
        storage: "local".into(),
        mode: "snapshot".into(),
        notes: "before upgrade".into(),
        protected: false,
    }
}

pub async fn backups_go_from_creating_to_available_and_list_newest_first_per_owner(
    store: Arc<dyn Store>,
) {
    let lab = cluster(&*store, "lab").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    let ivan = user(&*store, "ivan", Role::Operator).await;
    let (web, db) = (Uuid::now_v7(), Uuid::now_v7());
    let first_id = Uuid::now_v7();
    let first = store
        .backups()
        .insert_as(first_id, new_backup(lab.id, web, Some(olga.id)))
        .await
        .unwrap();
    assert_eq!(
        (first.id, first.status.as_str()),
        (first_id, status::CREATING)
    );
    assert_eq!((first.volid.as_ref(), first.size_bytes), (None, None));
    assert_eq!(first.guest_kind, GuestType::Lxc);
    let again = store
        .backups()
        .insert_as(first_id, new_backup(lab.id, web, Some(olga.id)))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );

    let started = Timestamp::now();
    let archive = BackupArchive {
        volid: "local:backup/vzdump-lxc-101-2026_12_07-23_10_00.tar.zst".into(),
        size_bytes: 123 << 20,
        config: json!({"hostname": "web", "tags": "prod"}),
        started_at: started,
        finished_at: later(started, 20),
    };
    store
        .backups()
        .record_archive(first_id, &archive, later(started, 21))
        .await
        .unwrap();
    let done = store.backups().get(first_id).await.unwrap();
    assert_eq!(done.status, status::AVAILABLE);
    assert_eq!(done.volid.as_deref(), Some(archive.volid.as_str()));
    assert_eq!(done.size_bytes, Some(123 << 20));
    assert_eq!(done.config, Some(archive.config.clone()));
    assert_eq!(done.notes, "before upgrade");
    assert_eq!(
        (done.started_at, done.finished_at),
        (Some(started), Some(later(started, 20)))
    );

    let mut ids = vec![first_id];
    for (guest, owner) in [(web, olga.id), (db, olga.id), (web, ivan.id)] {
        let id = Uuid::now_v7();
        store
            .backups()
            .insert_as(id, new_backup(lab.id, guest, Some(owner)))
            .await
            .unwrap();
        ids.push(id);
    }
    // Newest first, two at a time, every backup once.
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    loop {
        let listed = store
            .backups()
            .list(&BackupFilter::default(), page)
            .await
            .unwrap();
        seen.extend(listed.items.iter().map(|b| b.id));
        match listed.next {
            Some(next) => page = PageRequest::after(next, 2),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let olgas = BackupFilter {
        owner_id: Some(olga.id),
        ..BackupFilter::default()
    };
    let listed = store
        .backups()
        .list(&olgas, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 3);
    let of_web = BackupFilter {
        owner_id: Some(olga.id),
        guest_id: Some(web),
        status: Some(status::AVAILABLE.into()),
    };
    let listed = store
        .backups()
        .list(&of_web, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![first_id]
    );
}

pub async fn backups_outlive_their_owner_and_change_status_and_protection(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    let id = Uuid::now_v7();
    store
        .backups()
        .insert_as(id, new_backup(lab.id, Uuid::now_v7(), Some(olga.id)))
        .await
        .unwrap();
    let now = Timestamp::now();
    store.backups().set_protected(id, true, now).await.unwrap();
    assert!(store.backups().get(id).await.unwrap().protected);
    store
        .backups()
        .set_status(id, status::ERROR, Some("job errors"), later(now, 1))
        .await
        .unwrap();
    let failed = store.backups().get(id).await.unwrap();
    assert_eq!(failed.status, status::ERROR);
    assert_eq!(failed.error.as_deref(), Some("job errors"));
    assert_eq!(failed.updated_at, later(now, 1));

    store.users().delete(olga.id).await.unwrap();
    let orphan = store.backups().get(id).await.unwrap();
    assert_eq!(orphan.owner_id, None, "the archive stays for admins");

    store.backups().delete(id).await.unwrap();
    assert!(matches!(
        store.backups().get(id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.backups().delete(id).await,
        Err(StoreError::NotFound)
    ));
    let missing = store
        .backups()
        .set_protected(id, false, Timestamp::now())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}
