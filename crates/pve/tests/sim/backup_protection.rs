//! Protected backups through the client: vzdump's `protected` and `remove=0`, the
//! listing's `protected` flag, `PUT …/content/{volume}` and a refused delete.

use proxicloud_pve::{BackupMode, ContentFilter, Pve, PveError, VolumeAttributes, VzdumpRequest};

use crate::common::{finish, node, start_default, token_client, wait};
use crate::lxc::container;

#[tokio::test]
async fn a_protected_backup_survives_a_delete_until_unprotected() {
    let sim = start_default().await;
    let pve = token_client(&sim);
    let pve1 = node("pve1");
    let ct = pve.create_lxc(&pve1, &container("ct-keep")).await.unwrap();
    pve.wait_task(&ct.upid, &wait()).await.unwrap();

    let request = VzdumpRequest {
        vmids: vec![ct.vmid],
        storage: Some("local".to_string()),
        mode: Some(BackupMode::Suspend),
        compress: Some("zstd".to_string()),
        notes_template: Some("before upgrade".to_string()),
        protected: Some(true),
        remove: Some(false),
        ..VzdumpRequest::default()
    };
    let upid = pve.vzdump(&pve1, &request).await.expect("vzdump");
    pve.wait_task(&upid, &wait()).await.expect("backup task");
    let log = pve.task_log(&upid, 0, 0).await.unwrap();
    let text: Vec<&str> = log.lines.iter().map(|l| l.t.as_str()).collect();
    assert!(
        text.contains(&"INFO: marking backup as protected"),
        "{text:?}"
    );

    let filter = ContentFilter {
        content: Some("backup".to_string()),
        vmid: Some(ct.vmid),
    };
    let listed = pve.storage_content(&pve1, "local", &filter).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let archive = &listed[0];
    assert_eq!(archive.protected, Some(true));
    assert_eq!(archive.notes.as_deref(), Some("before upgrade"));
    assert_eq!(archive.format.as_deref(), Some("tar.zst"));

    let upid = pve
        .delete_volume(&pve1, "local", &archive.volid)
        .await
        .unwrap()
        .expect("a dir storage deletes in a task");
    let refused = pve.wait_task(&upid, &wait()).await.unwrap_err();
    assert!(
        matches!(&refused, PveError::TaskFailed { exitstatus, .. } if exitstatus.starts_with("cannot remove protected volume")),
        "{refused}"
    );

    let unprotect = VolumeAttributes {
        protected: Some(false),
        ..VolumeAttributes::default()
    };
    pve.update_volume_attributes(&pve1, "local", &archive.volid, &unprotect)
        .await
        .expect("unprotect");
    let listed = pve.storage_content(&pve1, "local", &filter).await.unwrap();
    assert_eq!(listed[0].protected, None);
    if let Some(upid) = pve
        .delete_volume(&pve1, "local", &archive.volid)
        .await
        .unwrap()
    {
        pve.wait_task(&upid, &wait()).await.expect("delete");
    }
    assert!(
        pve.storage_content(&pve1, "local", &filter)
            .await
            .unwrap()
            .is_empty()
    );
    finish(sim).await;
}
