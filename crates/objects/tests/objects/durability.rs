use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use proxicloud_objects::{BlobStore, FsBlobStore, ObjectError, PutObject, sweep};

use crate::support::Lab;

#[tokio::test]
async fn a_body_that_fails_midway_leaves_nothing_and_the_old_object_stays() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("data").await;
    lab.put(&bucket, "k", b"complete").await;
    let broken = futures_util::stream::iter([
        Ok(Bytes::from_static(b"half of a")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ]);
    let result = lab
        .objects
        .put_object(
            &bucket,
            "k",
            PutObject {
                headers: Default::default(),
                body: Box::pin(broken),
                content_md5: None,
                declared_size: None,
            },
        )
        .await;
    assert!(matches!(result, Err(ObjectError::Body(_))));
    assert_eq!(lab.read(&bucket, "k").await, b"complete");
    assert_eq!(lab.files("blobs"), 1);
    assert_eq!(lab.files("tmp"), 0, "the partial write was removed");
}

/// A client that goes away mid-upload drops the request's future: the writer thread
/// then sees the body end without its end marker and removes the temporary file (no
/// fsync of a partial file, nothing left for the sweep).
#[tokio::test]
async fn an_upload_abandoned_midway_leaves_no_temporary_file() {
    let lab = Lab::new().await;
    let blobs = FsBlobStore::open(&lab.root).await.unwrap();
    let stalled = futures_util::stream::iter([Ok(Bytes::from(vec![7u8; 256 * 1024]))])
        .chain(futures_util::stream::pending());
    let write = blobs.write(Box::pin(stalled));
    let cut = tokio::time::timeout(Duration::from_millis(200), write).await;
    assert!(cut.is_err(), "the body never ends: the write waits for it");
    // The removal happens on the writer's thread once it notices; give it a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while lab.files("tmp") > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(lab.files("tmp"), 0, "the partial file was removed");
    assert_eq!(lab.files("blobs"), 0);
}

#[tokio::test]
async fn the_sweep_removes_orphans_and_temporary_files_but_not_live_blobs() {
    let lab = Lab::new().await;
    let bucket = lab.bucket("data").await;
    lab.put(&bucket, "live", b"keep me").await;
    // What a crash leaves: a blob written but never committed, and a write cut short.
    let blobs = FsBlobStore::open(&lab.root).await.unwrap();
    let orphan = blobs.write(crate::support::body(b"orphan")).await.unwrap();
    std::fs::write(lab.root.join("tmp").join("0123abcd"), b"partial").unwrap();
    assert_eq!(lab.files("blobs"), 2);

    let early = SystemTime::now() - Duration::from_secs(3600);
    let report = sweep(lab.store.as_ref(), &blobs, early).await.unwrap();
    assert_eq!(
        (report.temporary, report.orphans),
        (0, 0),
        "nothing older than the cut-off"
    );

    let later = SystemTime::now() + Duration::from_secs(1);
    let report = sweep(lab.store.as_ref(), &blobs, later).await.unwrap();
    assert_eq!((report.temporary, report.orphans), (1, 1));
    assert_eq!(lab.files("blobs"), 1);
    assert_eq!(lab.files("tmp"), 0);
    assert!(matches!(
        blobs.read(&orphan.id, None).await,
        Err(ObjectError::BlobGone)
    ));
    assert_eq!(lab.read(&bucket, "live").await, b"keep me");
}

#[tokio::test]
async fn blobs_are_private_to_the_service_user() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new().await;
    for dir in ["", "blobs", "tmp"] {
        let mode = std::fs::metadata(lab.root.join(dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{dir:?} is {mode:o}");
    }
}
