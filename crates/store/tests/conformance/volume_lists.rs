//! Listing volumes: keyset pages in creation order (no row skipped or repeated) and
//! the list's filters — owner, attached instance, shown status, part of the name; and
//! what the in-memory volume index relies on (`list_all`, `writes(Table::Volumes)`).

use std::sync::Arc;

use proxicloud_store::repo::volumes::status;
use proxicloud_store::{
    Attachment, Cursor, NewVolume, PageRequest, Role, Store, StoreError, Table, Timestamp, Volume,
    VolumeFilter,
};
use proxicloud_types::GuestType;
use uuid::Uuid;

use crate::fixtures::{Lab, guest, lab_with, reservation, snapshot, user};

async fn names(store: &dyn Store, filter: VolumeFilter) -> Vec<String> {
    let page = store.volumes().list(&filter, PageRequest::first(100));
    let page = page.await.unwrap();
    assert!(page.next.is_none());
    page.items.into_iter().map(|v| v.name).collect()
}

fn new_volume(cluster_id: Uuid, name: &str, owner: Option<Uuid>) -> NewVolume {
    NewVolume {
        cluster_id,
        node: "pve1".into(),
        storage: "local-lvm".into(),
        class: None,
        name: name.into(),
        size_bytes: 1 << 30,
        owner_id: owner,
    }
}

async fn insert(store: &dyn Store, cluster_id: Uuid, name: &str, owner: Option<Uuid>) -> Volume {
    let volume = new_volume(cluster_id, name, owner);
    store.volumes().insert(volume).await.unwrap()
}

pub async fn volume_lists_page_in_creation_order_and_filter(store: Arc<dyn Store>) {
    let web = vec![guest(100, GuestType::Lxc, "web", "running")];
    let Lab {
        cluster: lab, olga, ..
    } = lab_with(&*store, web).await;
    let ivan = user(&*store, "ivan", Role::Operator).await;
    let names_in_order = [
        "Data-1", "data-2", "logs", "50%_off", "cache", "scratch", "db",
    ];
    let mut made = Vec::new();
    for (n, name) in names_in_order.iter().enumerate() {
        let owner = if n % 3 == 2 { ivan.id } else { olga.id };
        made.push(insert(&*store, lab.id, name, Some(owner)).await);
    }
    let now = Timestamp::now();
    // data-2 and logs available; logs attached (in use); cache in error.
    for volume in [&made[1], &made[2]] {
        store
            .volumes()
            .set_ready(volume.id, "local-lvm:vm-1-disk-1", now)
            .await
            .unwrap();
    }
    let web = store
        .guests()
        .reserve(reservation(&*store, lab.id, 101, olga.id).await)
        .await
        .unwrap();
    let attachment = Attachment {
        guest_id: web.id,
        key: "mp0".into(),
        mount_path: Some("/data".into()),
    };
    store
        .volumes()
        .attach(made[2].id, &attachment, now)
        .await
        .unwrap();
    store
        .volumes()
        .set_status(made[4].id, status::ERROR, Some("no space"), now)
        .await
        .unwrap();

    // Pages of 3 walk every volume once, in creation order.
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let got = store
            .volumes()
            .list(&VolumeFilter::default(), page)
            .await
            .unwrap();
        assert!(got.items.len() <= 3);
        seen.extend(got.items.into_iter().map(|v| v.name));
        match got.next {
            Some(cursor) => page = PageRequest::after(cursor, 3),
            None => break,
        }
    }
    assert_eq!(seen, names_in_order);

    let olgas = VolumeFilter {
        owner_id: Some(olga.id),
        ..VolumeFilter::default()
    };
    assert_eq!(
        names(&*store, olgas).await,
        ["Data-1", "data-2", "50%_off", "cache", "db"]
    );
    let attached = VolumeFilter {
        attached_to: Some(web.id),
        ..VolumeFilter::default()
    };
    assert_eq!(names(&*store, attached).await, ["logs"]);
    let by_status = |s: &str| VolumeFilter {
        status: Some(s.to_owned()),
        ..VolumeFilter::default()
    };
    assert_eq!(names(&*store, by_status("in-use")).await, ["logs"]);
    assert_eq!(names(&*store, by_status("available")).await, ["data-2"]);
    assert_eq!(names(&*store, by_status("error")).await, ["cache"]);
    assert_eq!(
        names(&*store, by_status("creating")).await,
        ["Data-1", "50%_off", "scratch", "db"]
    );
    let search = |q: &str| VolumeFilter {
        name_contains: Some(q.to_owned()),
        ..VolumeFilter::default()
    };
    assert_eq!(names(&*store, search("DATA")).await, ["Data-1", "data-2"]);
    // LIKE's pattern characters match themselves.
    assert_eq!(names(&*store, search("%_")).await, ["50%_off"]);
    assert!(names(&*store, search("nothing")).await.is_empty());
    // Filters combine.
    let mine_available = VolumeFilter {
        owner_id: Some(ivan.id),
        status: Some("in-use".into()),
        name_contains: Some("LOG".into()),
        ..VolumeFilter::default()
    };
    assert_eq!(names(&*store, mine_available).await, ["logs"]);

    // The class a volume was created in is kept and filtered on.
    let fast = NewVolume {
        class: Some("ssd".into()),
        ..new_volume(lab.id, "fast", Some(olga.id))
    };
    let fast = store.volumes().insert(fast).await.unwrap();
    assert_eq!(
        store.volumes().get(fast.id).await.unwrap().class.as_deref(),
        Some("ssd")
    );
    let by_class = |c: &str| VolumeFilter {
        class: Some(c.to_owned()),
        ..VolumeFilter::default()
    };
    assert_eq!(names(&*store, by_class("ssd")).await, ["fast"]);
    assert!(names(&*store, by_class("hdd")).await.is_empty());

    let bad = PageRequest::after(Cursor::new("not-a-cursor"), 3);
    let refused = store.volumes().list(&VolumeFilter::default(), bad).await;
    assert!(
        matches!(refused, Err(StoreError::InvalidCursor)),
        "{refused:?}"
    );
}

/// The volume index rebuilds from `list_all` whenever `writes(Table::Volumes)` moved:
/// every kind of write that changes a listed volume must move it — the volume's own
/// writes, and the guest writes that end an attachment.
pub async fn every_volume_write_is_counted_and_list_all_lists_every_volume(store: Arc<dyn Store>) {
    let web = guest(100, GuestType::Lxc, "web", "running");
    let Lab {
        cluster: lab,
        olga,
        guests,
    } = lab_with(&*store, vec![web]).await;
    let mut seen = store.writes(Table::Volumes);
    let mut moved = |what: &str| {
        let now = store.writes(Table::Volumes);
        assert!(now > seen, "{what} did not count as a volume write");
        seen = now;
    };
    let volumes = store.volumes();
    let data = insert(&*store, lab.id, "data", Some(olga.id)).await;
    moved("insert");
    let now = Timestamp::now();
    volumes
        .set_ready(data.id, "local-lvm:vm-9000-disk-0", now)
        .await
        .unwrap();
    moved("set_ready");
    volumes.set_size(data.id, 2 << 30, now).await.unwrap();
    moved("set_size");
    volumes
        .set_status(data.id, status::ERROR, Some("broken"), now)
        .await
        .unwrap();
    moved("set_status");
    volumes.set_holder(data.id, 9000, now).await.unwrap();
    moved("set_holder");
    let attachment = Attachment {
        guest_id: guests[0],
        key: "mp0".into(),
        mount_path: Some("/data".into()),
    };
    volumes.attach(data.id, &attachment, now).await.unwrap();
    moved("attach");
    volumes.detach(data.id, now).await.unwrap();
    moved("detach");
    volumes.attach(data.id, &attachment, now).await.unwrap();
    moved("attach again");
    store.guests().delete(guests[0]).await.unwrap();
    moved("deleting the guest it is attached to");
    let logs = insert(&*store, lab.id, "logs", None).await;
    moved("insert");
    volumes.delete(logs.id).await.unwrap();
    moved("delete");

    let all = volumes.list_all().await.unwrap();
    assert_eq!(all.len(), 1);
    let listed = &all[0];
    assert_eq!((listed.name.as_str(), listed.size_bytes), ("data", 2 << 30));
    assert_eq!(listed.attachment, None, "detached with its guest");
    assert_eq!(listed, &volumes.get(data.id).await.unwrap());

    // The inventory sync that finds a guest gone detaches its volumes; deleting a
    // user or a cluster takes theirs with them.
    let db = guest(101, GuestType::Lxc, "db", "running");
    store
        .inventory()
        .sync(lab.id, &snapshot(vec![db]))
        .await
        .unwrap();
    let db_id = store.guests().list_live().await.unwrap()[0].id;
    volumes
        .attach(
            data.id,
            &Attachment {
                guest_id: db_id,
                ..attachment
            },
            now,
        )
        .await
        .unwrap();
    moved("attach to db");
    store
        .inventory()
        .sync(lab.id, &snapshot(vec![]))
        .await
        .unwrap();
    moved("the sync that found db gone");
    assert_eq!(volumes.get(data.id).await.unwrap().attachment, None);
    let ivan = user(&*store, "ivan", Role::Operator).await;
    insert(&*store, lab.id, "ivans", Some(ivan.id)).await;
    moved("insert");
    store.users().delete(ivan.id).await.unwrap();
    moved("deleting a user");
    store.clusters().delete(lab.id).await.unwrap();
    moved("deleting a cluster");
    assert!(volumes.list_all().await.unwrap().is_empty());
}
