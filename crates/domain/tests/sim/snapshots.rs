//! Snapshots Proxmox cannot take are refused before anything is queued: every disk
//! of the guest must be on a storage whose plugin has the `snapshot` feature
//! (pve-container's `snapshot_create` checks each volume with
//! `PVE::Storage::volume_has_feature`).

use proxicloud_domain::DomainError;
use proxicloud_domain::instances::InstanceSnapshots;
use proxicloud_pve::GuestType;
use proxicloud_pve_sim::model::GuestStatus;
use proxicloud_store::{JobFilter, PageRequest, Role};

use crate::common::{guest, harness, prepare, register_and_mirror_once, user};

#[tokio::test]
async fn a_container_on_a_directory_storage_cannot_be_snapshotted() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = register_and_mirror_once(&h, &admin).await;
    let snapshots = h.services.get::<InstanceSnapshots>();

    let ct = prepare(
        &h,
        GuestType::Lxc,
        GuestStatus::Stopped,
        &[("rootfs", Some("local:100/vm-100-disk-0.raw,size=8G"))],
    );
    let id = guest(&h, cluster, ct).await.expect("mirrored").id;
    let refused = snapshots
        .create(&admin, id, "before", None, false)
        .await
        .expect_err("a raw file on dir cannot be snapshotted");
    match refused {
        DomainError::Conflict { code, message } => {
            assert_eq!(code, "snapshot_not_supported");
            assert!(message.contains("rootfs on local (dir)"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let jobs = h
        .store
        .jobs()
        .list(&JobFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert!(jobs.items.is_empty(), "nothing queued: {:?}", jobs.items);

    // On thin LVM it goes ahead.
    prepare(
        &h,
        GuestType::Lxc,
        GuestStatus::Stopped,
        &[("rootfs", Some("local-lvm:vm-100-disk-0,size=8G"))],
    );
    snapshots
        .create(&admin, id, "before", None, false)
        .await
        .expect("queued");
}
