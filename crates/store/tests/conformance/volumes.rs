use std::sync::Arc;

use proxicloud_store::repo::volumes::status;
use proxicloud_store::{
    Attachment, NewVolume, PageRequest, Role, Store, StoreError, Timestamp, VolumeFilter,
    constraints,
};
use proxicloud_types::GuestType;

use crate::fixtures::{Lab, cluster, guest, lab_with, reservation, snapshot, user};

fn new_volume(cluster_id: uuid::Uuid, name: &str, owner: Option<uuid::Uuid>) -> NewVolume {
    NewVolume {
        cluster_id,
        node: "pve1".into(),
        storage: "local-lvm".into(),
        class: None,
        name: name.into(),
        size_bytes: 10 << 30,
        owner_id: owner,
    }
}

pub async fn volumes_go_from_creating_to_available_and_list_per_owner(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    let ivan = user(&*store, "ivan", Role::Operator).await;
    let data = store
        .volumes()
        .insert(new_volume(lab.id, "data", Some(olga.id)))
        .await
        .unwrap();
    assert_eq!(data.status, status::CREATING);
    assert_eq!(data.size_bytes, 10 << 30);
    assert!(data.attachment.is_none() && data.holder_vmid.is_none());
    store
        .volumes()
        .insert(new_volume(lab.id, "logs", Some(ivan.id)))
        .await
        .unwrap();
    // An id chosen beforehand (a launch's volume) is kept, and taken only once.
    let chosen = uuid::Uuid::now_v7();
    let planned = store
        .volumes()
        .insert_as(chosen, new_volume(lab.id, "planned", Some(olga.id)))
        .await
        .unwrap();
    assert_eq!(planned.id, chosen);
    let again = store
        .volumes()
        .insert_as(chosen, new_volume(lab.id, "planned", Some(olga.id)))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    store.volumes().delete(chosen).await.unwrap();

    let now = Timestamp::now();
    store
        .volumes()
        .set_holder(data.id, 5000, now)
        .await
        .unwrap();
    store
        .volumes()
        .set_ready(data.id, "local-lvm:vm-5000-disk-1", now)
        .await
        .unwrap();
    store
        .volumes()
        .set_size(data.id, 20 << 30, now)
        .await
        .unwrap();
    let ready = store.volumes().get(data.id).await.unwrap();
    assert_eq!(ready.status, status::AVAILABLE);
    assert_eq!(ready.holder_vmid, Some(5000));
    assert_eq!(ready.volid.as_deref(), Some("local-lvm:vm-5000-disk-1"));
    assert_eq!(ready.size_bytes, 20 << 30);

    let mine = VolumeFilter {
        owner_id: Some(olga.id),
        ..VolumeFilter::default()
    };
    let mine: Vec<String> = store
        .volumes()
        .list(&mine, PageRequest::first(50))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(mine, ["data"]);
    let all = store
        .volumes()
        .list(&VolumeFilter::default(), PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);

    // One holder vmid per cluster.
    let other = store
        .volumes()
        .insert(new_volume(lab.id, "other", None))
        .await
        .unwrap();
    let clash = store.volumes().set_holder(other.id, 5000, now).await;
    assert!(
        matches!(&clash, Err(StoreError::Conflict { constraint }) if constraint == constraints::VOLUME_HOLDER),
        "{clash:?}"
    );
    store
        .volumes()
        .set_status(other.id, status::ERROR, Some("no space"), now)
        .await
        .unwrap();
    assert_eq!(
        store
            .volumes()
            .get(other.id)
            .await
            .unwrap()
            .error
            .as_deref(),
        Some("no space")
    );
    store.volumes().delete(other.id).await.unwrap();
    assert!(matches!(
        store.volumes().get(other.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn attachments_are_exclusive_and_end_with_the_guest_row(store: Arc<dyn Store>) {
    let web = vec![guest(100, GuestType::Lxc, "web", "running")];
    let Lab {
        cluster: lab, olga, ..
    } = lab_with(&*store, web).await;
    let web = store
        .guests()
        .reserve(reservation(&*store, lab.id, 101, olga.id).await)
        .await
        .unwrap();
    let a = store
        .volumes()
        .insert(new_volume(lab.id, "a", Some(olga.id)))
        .await
        .unwrap();
    let b = store
        .volumes()
        .insert(new_volume(lab.id, "b", Some(olga.id)))
        .await
        .unwrap();
    let now = Timestamp::now();
    let at_data = Attachment {
        guest_id: web.id,
        key: "mp0".into(),
        mount_path: Some("/data".into()),
    };
    store.volumes().attach(a.id, &at_data, now).await.unwrap();
    assert_eq!(
        store.volumes().get(a.id).await.unwrap().attachment,
        Some(at_data.clone())
    );
    // Attached already: stale; the guest's key taken by another volume: conflict.
    assert!(matches!(
        store.volumes().attach(a.id, &at_data, now).await,
        Err(StoreError::Stale(_))
    ));
    let taken = store.volumes().attach(b.id, &at_data, now).await;
    assert!(
        matches!(&taken, Err(StoreError::Conflict { constraint }) if constraint == constraints::VOLUME_ATTACHMENT),
        "{taken:?}"
    );
    let attached: Vec<_> = store
        .volumes()
        .list_attached_to(web.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(attached, [a.id]);

    store.volumes().detach(a.id, now).await.unwrap();
    store.volumes().detach(a.id, now).await.unwrap();
    assert!(
        store
            .volumes()
            .get(a.id)
            .await
            .unwrap()
            .attachment
            .is_none()
    );

    // Forgetting the guest (termination) leaves the volume, detached.
    store.volumes().attach(b.id, &at_data, now).await.unwrap();
    store.guests().delete(web.id).await.unwrap();
    let kept = store.volumes().get(b.id).await.unwrap();
    assert!(kept.attachment.is_none());
}

pub async fn snapshots_have_unique_names_per_volume(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let data = store
        .volumes()
        .insert(new_volume(lab.id, "data", None))
        .await
        .unwrap();
    let logs = store
        .volumes()
        .insert(new_volume(lab.id, "logs", None))
        .await
        .unwrap();
    let first = store
        .volumes()
        .insert_snapshot(data.id, "before-upgrade", "kernel 6.8", 10 << 30)
        .await
        .unwrap();
    assert_eq!(first.status, status::CREATING);
    let twice = store
        .volumes()
        .insert_snapshot(data.id, "before-upgrade", "", 1)
        .await;
    assert!(
        matches!(&twice, Err(StoreError::Conflict { constraint }) if constraint == constraints::VOLUME_SNAPSHOT_NAME),
        "{twice:?}"
    );
    store
        .volumes()
        .insert_snapshot(logs.id, "before-upgrade", "", 1)
        .await
        .unwrap();
    store
        .volumes()
        .set_snapshot_status(first.id, status::AVAILABLE)
        .await
        .unwrap();
    let listed = store.volumes().list_snapshots(data.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, status::AVAILABLE);
    assert_eq!(listed[0].description, "kernel 6.8");
    assert_eq!(
        store.volumes().get_snapshot(first.id).await.unwrap().name,
        "before-upgrade"
    );
    store.volumes().delete_snapshot(first.id).await.unwrap();
    assert!(
        store
            .volumes()
            .list_snapshots(data.id)
            .await
            .unwrap()
            .is_empty()
    );
    // Deleting a volume deletes its snapshots.
    store.volumes().delete(logs.id).await.unwrap();
    assert!(
        store
            .volumes()
            .list_snapshots(logs.id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// An attachment ends with its guest, whether Proxmox no longer has it (the mirror
/// marks it removed) or its row is forgotten (termination).
pub async fn a_guest_gone_or_forgotten_leaves_its_volumes_detached(store: Arc<dyn Store>) {
    let web = guest(100, GuestType::Lxc, "web", "running");
    let db = guest(101, GuestType::Lxc, "db", "running");
    let cache = guest(102, GuestType::Lxc, "cache", "running");
    let Lab {
        cluster: lab,
        olga,
        guests: ids,
    } = lab_with(&*store, vec![web, db.clone(), cache.clone()]).await;
    let id_of = |name: &str| {
        ids[["web", "db", "cache"]
            .iter()
            .position(|n| *n == name)
            .unwrap()]
    };
    let now = Timestamp::now();
    let mut volumes = Vec::new();
    for (volume, guest_id) in [("a", id_of("web")), ("b", id_of("db"))] {
        let volume = store
            .volumes()
            .insert(new_volume(lab.id, volume, Some(olga.id)))
            .await
            .unwrap();
        let attachment = Attachment {
            guest_id,
            key: "mp0".into(),
            mount_path: Some("/data".into()),
        };
        store
            .volumes()
            .attach(volume.id, &attachment, now)
            .await
            .unwrap();
        volumes.push(volume.id);
    }
    // `web` is gone from Proxmox.
    store
        .inventory()
        .sync(lab.id, &snapshot(vec![db, cache]))
        .await
        .unwrap();
    let a = store.volumes().get(volumes[0]).await.unwrap();
    assert_eq!(a.attachment, None, "detached with its removed guest");
    assert!(a.updated_at >= now);
    let b = store.volumes().get(volumes[1]).await.unwrap();
    assert!(b.attachment.is_some(), "the other guest keeps its volume");
    // `db` is forgotten: the foreign key (`ON DELETE SET NULL`) ends the attachment,
    // and the volume can be attached elsewhere at once, in the same slot.
    store.guests().delete(id_of("db")).await.unwrap();
    assert_eq!(
        store.volumes().get(volumes[1]).await.unwrap().attachment,
        None
    );
    assert!(
        store
            .volumes()
            .list_attached_to(id_of("db"))
            .await
            .unwrap()
            .is_empty()
    );
    let elsewhere = Attachment {
        guest_id: id_of("cache"),
        key: "mp0".into(),
        mount_path: Some("/srv".into()),
    };
    store
        .volumes()
        .attach(volumes[1], &elsewhere, now)
        .await
        .unwrap();
    assert_eq!(
        store.volumes().get(volumes[1]).await.unwrap().attachment,
        Some(elsewhere)
    );
}

/// Instances' guest reservations and volumes' holder containers take their vmids
/// from one range: a vmid either holds is refused to the other, in its cluster.
pub async fn a_vmid_goes_to_a_guest_reservation_or_a_holder_not_both(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let olga = user(&*store, "olga", Role::Operator).await;
    let now = Timestamp::now();
    store
        .guests()
        .reserve(reservation(&*store, lab.id, 5000, olga.id).await)
        .await
        .unwrap();
    let data = store
        .volumes()
        .insert(new_volume(lab.id, "data", None))
        .await
        .unwrap();
    let clash = store.volumes().set_holder(data.id, 5000, now).await;
    assert!(
        matches!(&clash, Err(StoreError::Conflict { constraint }) if constraint == constraints::VOLUME_HOLDER),
        "{clash:?}"
    );
    store
        .volumes()
        .set_holder(data.id, 5001, now)
        .await
        .unwrap();
    let clash = store
        .guests()
        .reserve(reservation(&*store, lab.id, 5001, olga.id).await)
        .await;
    assert!(
        matches!(&clash, Err(StoreError::Conflict { constraint }) if constraint == constraints::GUEST_VMID),
        "{clash:?}"
    );
    // Another cluster's vmids are its own.
    let other = cluster(&*store, "other").await;
    store
        .guests()
        .reserve(reservation(&*store, other.id, 5001, olga.id).await)
        .await
        .unwrap();
    assert!(matches!(
        store
            .volumes()
            .set_holder(uuid::Uuid::now_v7(), 5002, now)
            .await,
        Err(StoreError::NotFound)
    ));
}
