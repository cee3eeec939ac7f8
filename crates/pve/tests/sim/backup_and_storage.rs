use proxicloud_pve::{
    AllocateVolume, BackupMode, ContentFilter, DeleteOptions, GuestType, Pve, RestoreRequest,
    StorageFilter, UploadFile, VzdumpRequest,
};

use crate::common::{finish, node, start_default, token_client, wait};
use crate::lxc::container;
use crate::qemu::virtual_machine;

#[tokio::test]
async fn storage_content_allocation_and_appliances() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");

    let storages = pve
        .storages(&pve1, &StorageFilter::default())
        .await
        .expect("storages");
    let ids: Vec<&str> = storages.iter().map(|s| s.storage.as_str()).collect();
    assert!(
        ids.contains(&"local") && ids.contains(&"local-lvm"),
        "{ids:?}"
    );
    let images = StorageFilter {
        content: Some("images".to_string()),
        enabled: true,
    };
    let image_stores = pve
        .storages(&pve1, &images)
        .await
        .expect("filtered storages");
    assert!(image_stores.iter().all(|s| s.storage != "local"));

    let status = pve
        .storage_status(&pve1, "local-lvm")
        .await
        .expect("status");
    assert_eq!(status.storage, "local-lvm");
    assert!(status.total.unwrap_or(0) > 0);

    let templates = ContentFilter {
        content: Some("vztmpl".to_string()),
        vmid: None,
    };
    let volumes = pve
        .storage_content(&pve1, "local", &templates)
        .await
        .expect("content");
    assert!(volumes.iter().all(|v| v.content == "vztmpl"));
    assert!(
        volumes
            .iter()
            .any(|v| v.volid.contains("debian-12-standard"))
    );

    let owner = pve.next_id(None).await.unwrap();
    let request = AllocateVolume {
        vmid: owner,
        filename: format!("vm-{owner}-disk-0"),
        size: "1G".to_string(),
        format: Some("raw".to_string()),
    };
    let volid = pve
        .allocate_volume(&pve1, "local-lvm", &request)
        .await
        .expect("allocate");
    assert_eq!(volid, format!("local-lvm:vm-{owner}-disk-0"));
    let owned = ContentFilter {
        content: None,
        vmid: Some(owner),
    };
    let listed = pve
        .storage_content(&pve1, "local-lvm", &owned)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, Some(1024 * 1024 * 1024));
    if let Some(upid) = pve
        .delete_volume(&pve1, "local-lvm", &volid)
        .await
        .expect("delete")
    {
        pve.wait_task(&upid, &wait()).await.expect("delete task");
    }
    assert!(
        pve.storage_content(&pve1, "local-lvm", &owned)
            .await
            .unwrap()
            .is_empty()
    );

    let appliances = pve.appliances(&pve1).await.expect("aplinfo");
    let wanted = appliances
        .iter()
        .find(|a| !volumes.iter().any(|v| v.volid.ends_with(&a.template)))
        .expect("the catalogue offers a template not yet downloaded");
    let upid = pve
        .download_appliance(&pve1, "local", &wanted.template)
        .await
        .expect("download");
    pve.wait_task(&upid, &wait()).await.expect("download task");
    let after = pve
        .storage_content(&pve1, "local", &templates)
        .await
        .unwrap();
    assert!(after.iter().any(|v| v.volid.ends_with(&wanted.template)));
    finish(sim).await;
}

#[tokio::test]
async fn backup_then_restore_both_guest_types() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");

    let ct = pve
        .create_lxc(&pve1, &container("ct-backup"))
        .await
        .unwrap();
    pve.wait_task(&ct.upid, &wait()).await.unwrap();
    let vm = pve
        .create_qemu(&pve1, &virtual_machine("vm-backup"))
        .await
        .unwrap();
    pve.wait_task(&vm.upid, &wait()).await.unwrap();

    let request = VzdumpRequest {
        vmids: vec![ct.vmid, vm.vmid],
        storage: Some("local".to_string()),
        mode: Some(BackupMode::Snapshot),
        compress: Some("zstd".to_string()),
        notes_template: Some("{{guestname}}".to_string()),
        ..VzdumpRequest::default()
    };
    let upid = pve.vzdump(&pve1, &request).await.expect("vzdump");
    pve.wait_task(&upid, &wait()).await.expect("backup task");
    let backups = ContentFilter {
        content: Some("backup".to_string()),
        vmid: None,
    };
    let listed = pve.storage_content(&pve1, "local", &backups).await.unwrap();
    let archive_of = |vmid| {
        listed
            .iter()
            .find(|v| v.vmid == Some(vmid))
            .unwrap_or_else(|| panic!("backup of {vmid} listed: {listed:?}"))
            .volid
            .clone()
    };
    let (ct_archive, vm_archive) = (archive_of(ct.vmid), archive_of(vm.vmid));
    assert!(ct_archive.starts_with(&format!("local:backup/vzdump-lxc-{}-", ct.vmid)));
    assert!(vm_archive.starts_with(&format!("local:backup/vzdump-qemu-{}-", vm.vmid)));

    for (ty, archive) in [(GuestType::Lxc, ct_archive), (GuestType::Qemu, vm_archive)] {
        let target = pve.next_id(None).await.unwrap();
        let mut restore = RestoreRequest::new(target, archive);
        restore.storage = Some("local-lvm".to_string());
        restore.unique = true;
        let upid = pve
            .restore_guest(&pve1, ty, &restore)
            .await
            .expect("restore");
        pve.wait_task(&upid, &wait()).await.expect("restore task");
        let config = pve
            .guest_config(&pve1, ty, target)
            .await
            .expect("restored config");
        assert!(
            config.name.is_some(),
            "{ty} restore keeps the name: {config:?}"
        );
        let upid = pve
            .delete_guest(&pve1, ty, target, DeleteOptions::default())
            .await
            .unwrap();
        pve.wait_task(&upid, &wait()).await.unwrap();
    }
    finish(sim).await;
}

/// A file streamed in several chunks lands on the storage; PVE's `imgcopy` task checks a
/// given checksum first and fails on a wrong one, leaving nothing behind.
#[tokio::test]
async fn uploads_stream_a_file_and_the_task_verifies_its_checksum() {
    use sha2::{Digest, Sha256};

    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    // Larger than axum's default body limit (2 MiB), which PVE does not have.
    let file: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let digest = hex::encode(Sha256::digest(&file));
    let upload = |name: &str, checksum: Option<String>| UploadFile {
        content: "iso".into(),
        filename: name.into(),
        size: file.len() as u64,
        checksum: checksum.map(|c| ("sha256".into(), c)),
        body: Box::pin(futures_util::stream::iter(
            file.chunks(64 * 1024)
                .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        )),
    };
    let isos = ContentFilter {
        content: Some("iso".to_string()),
        vmid: None,
    };

    let upid = pve
        .upload_file(&pve1, "local", upload("my disk.iso", Some(digest)))
        .await
        .expect("upload");
    assert_eq!(upid.task_type(), "imgcopy");
    pve.wait_task(&upid, &wait()).await.expect("imgcopy task");
    let listed = pve.storage_content(&pve1, "local", &isos).await.unwrap();
    let uploaded = listed
        .iter()
        .find(|v| v.volid == "local:iso/my_disk.iso")
        .unwrap_or_else(|| panic!("the upload is listed under PVE's safe name: {listed:?}"));
    assert_eq!(uploaded.size, Some(file.len() as u64));

    let upid = pve
        .upload_file(&pve1, "local", upload("bad.iso", Some("00".repeat(32))))
        .await
        .expect("the upload itself is accepted");
    let failed = pve.wait_task(&upid, &wait()).await.unwrap_err();
    assert!(failed.to_string().contains("checksum mismatch"), "{failed}");
    let listed = pve.storage_content(&pve1, "local", &isos).await.unwrap();
    assert!(!listed.iter().any(|v| v.volid == "local:iso/bad.iso"));

    let refused = pve
        .upload_file(&pve1, "local-lvm", upload("x.iso", None))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("can't upload"), "{refused}");
    finish(sim).await;
}
