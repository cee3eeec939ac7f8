//! Storage content edge cases decided by pve-storage: volume names an LVM storage
//! cannot hold, and the volume copy endpoint.

use reqwest::Method;

use crate::common::{Harness, body, encode, reason};

/// `DELETE …/content/{volume}` calls `PVE::Storage::path` before forking its worker;
/// the LVM plugins' `parse_volname` starts with `PVE::Storage::Plugin::parse_lvm_name`,
/// which dies "lvm name '…' contains illegal characters" (src/PVE/Storage/Plugin.pm).
#[tokio::test]
async fn lvm_refuses_names_it_cannot_hold_with_its_own_error() {
    let harness = Harness::default().await;
    let path = format!(
        "/nodes/pve1/storage/local-lvm/content/{}",
        encode("local-lvm:vm-100-disk-0;rm")
    );
    let response = harness.api(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        reason(&response),
        "lvm name 'vm-100-disk-0;rm' contains illegal characters"
    );
    // A legal name that is not `vm-<vmid>-…`: LvmThinPlugin::parse_volname.
    let path = format!(
        "/nodes/pve1/storage/local-lvm/content/{}",
        encode("local-lvm:data")
    );
    let response = harness.api(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(reason(&response), "unable to parse lvm volume name 'data'");
}

/// `copy` (src/PVE/API2/Storage/Content.pm) resolves both ids with `real_volume_id`
/// and runs `storage_migrate` in an `imgcopy` worker: a task, not 501.
#[tokio::test]
async fn volume_copy_runs_as_an_imgcopy_task() {
    let harness = Harness::default().await;
    let allocated = harness
        .api(Method::POST, "/nodes/pve2/storage/local-lvm/content")
        .form(&[
            ("vmid", "130"),
            ("filename", "vm-130-disk-0"),
            ("size", "2G"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(allocated.status(), 200);
    let path = format!(
        "/nodes/pve2/storage/local-lvm/content/{}",
        encode("local-lvm:vm-130-disk-0")
    );
    let response = harness
        .api(Method::POST, &path)
        .form(&[("target", "vm-131-disk-0")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", reason(&response));
    let upid = body(response).await["data"].as_str().unwrap().to_string();
    assert!(upid.contains(":imgcopy::"), "{upid}");
    assert_eq!(harness.wait_task("pve2", &upid).await["exitstatus"], "OK");
    let copy = harness
        .get_data(&format!(
            "/nodes/pve2/storage/local-lvm/content/{}",
            encode("local-lvm:vm-131-disk-0")
        ))
        .await;
    assert_eq!(copy["size"], 2u64 << 30);

    // Copying onto an existing volume fails in the worker.
    let again = harness
        .api(Method::POST, &path)
        .form(&[("target", "vm-131-disk-0")])
        .send()
        .await
        .unwrap();
    let upid = body(again).await["data"].as_str().unwrap().to_string();
    let status = harness.wait_task("pve2", &upid).await;
    assert_eq!(
        status["exitstatus"],
        "volume 'local-lvm:vm-131-disk-0' already exists"
    );
}
