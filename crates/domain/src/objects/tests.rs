use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use proxicloud_objects::{BlobStore, FsBlobStore, ObjectError, ObjectHeaders, ObjectStore};
use proxicloud_store::{MultipartUpload, NewUser, Role};

use super::{AbandonedUploads, ObjectsConfig};
use crate::app::{Services, ServicesConfig, Start};
use crate::secrets::MasterKey;

struct Fixture {
    services: Services,
    store: Arc<dyn proxicloud_store::Store>,
    blobs: Arc<FsBlobStore>,
    upload: MultipartUpload,
    bucket: proxicloud_store::Bucket,
    _dir: tempfile::TempDir,
}

/// Services with object storage aborting uploads after `after`, and one upload with
/// one part.
async fn fixture(after: Option<Duration>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("db").display());
    let store = proxicloud_store::connect(&url).await.unwrap();
    let blobs = Arc::new(
        FsBlobStore::open(&dir.path().join("objects"))
            .await
            .unwrap(),
    );
    let config = ServicesConfig {
        objects: ObjectsConfig {
            blobs: Some(blobs.clone()),
            abandoned_after: after,
        },
        ..ServicesConfig::default()
    };
    let services = Services::build(store.clone(), MasterKey::generate(), config)
        .await
        .unwrap();
    let owner = store
        .users()
        .create(NewUser {
            username: "alice".into(),
            password_hash: "x".into(),
            role: Role::Operator,
            disabled: false,
        })
        .await
        .unwrap();
    let objects = services.get::<ObjectStore>();
    let bucket = objects.create_bucket(owner.id, "uploads").await.unwrap();
    let upload = objects
        .create_upload(&bucket, "big.bin", &ObjectHeaders::default())
        .await
        .unwrap();
    let body = futures_util::stream::iter([Ok(Bytes::from_static(b"part one"))]);
    objects
        .upload_part(&upload, 1, Box::pin(body), None)
        .await
        .unwrap();
    Fixture {
        services,
        store,
        blobs,
        upload,
        bucket,
        _dir: dir,
    }
}

impl Fixture {
    async fn upload_exists(&self) -> bool {
        let objects = self.services.get::<ObjectStore>();
        match objects
            .upload(&self.bucket, "big.bin", &self.upload.id.to_string())
            .await
        {
            Ok(_) => true,
            Err(ObjectError::NoSuchUpload) => false,
            Err(other) => panic!("{other}"),
        }
    }
}

#[tokio::test]
async fn uploads_older_than_the_age_are_aborted_and_their_parts_freed() {
    let f = fixture(Some(Duration::from_secs(24 * 3600))).await;
    let abandoned = f.services.get::<AbandonedUploads>();
    let started = f.upload.initiated_at;
    assert_eq!(f.blobs.list().await.unwrap().len(), 1, "the part's blob");

    // A clock 23 hours on: still in progress.
    let aborted = abandoned
        .clean(started + Duration::from_secs(23 * 3600))
        .await;
    assert_eq!(aborted.unwrap(), 0);
    assert!(f.upload_exists().await);
    assert_eq!(f.blobs.list().await.unwrap().len(), 1);

    // 24 hours and a second on: abandoned, and the part's bytes are gone with it.
    let aborted = abandoned
        .clean(started + Duration::from_secs(24 * 3600 + 1))
        .await;
    assert_eq!(aborted.unwrap(), 1);
    assert!(!f.upload_exists().await);
    assert!(f.blobs.list().await.unwrap().is_empty());
    let again = abandoned
        .clean(started + Duration::from_secs(48 * 3600))
        .await;
    assert_eq!(again.unwrap(), 0);
}

#[tokio::test]
async fn the_worker_runs_the_clean_up() {
    // Every upload is abandoned after a millisecond: the worker's first round (at its
    // start, or a second later) aborts it.
    let f = fixture(Some(Duration::from_millis(1))).await;
    assert!(f.upload_exists().await);
    let running = f
        .services
        .start(Start {
            jobs: false,
            workers: true,
        })
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while f.upload_exists().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upload was not aborted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let states = f.services.worker_states();
    assert!(states.iter().any(|s| s.name == "objects.abandoned_uploads"));
    running.shutdown().await;
}

#[tokio::test]
async fn no_age_turns_the_clean_up_off() {
    // `[s3] abandoned_upload_hours = 0`: nothing is ever aborted, and no worker runs.
    let f = fixture(None).await;
    let abandoned = f.services.get::<AbandonedUploads>();
    let far = f.upload.initiated_at + Duration::from_secs(10 * 365 * 24 * 3600);
    assert_eq!(abandoned.clean(far).await.unwrap(), 0);
    assert!(f.upload_exists().await);
    assert!(
        !f.services
            .worker_states()
            .iter()
            .any(|s| s.name == "objects.abandoned_uploads")
    );
}

#[tokio::test]
async fn an_upload_still_receiving_parts_is_not_abandoned() {
    let f = fixture(Some(Duration::from_secs(24 * 3600))).await;
    let abandoned = f.services.get::<AbandonedUploads>();
    let started = f.upload.initiated_at;
    // Its second part arrives 20 hours after it started (a long upload, a slow link).
    let objects = f.services.get::<ObjectStore>();
    let mut second = objects
        .list_parts(&f.upload, 0, 10)
        .await
        .unwrap()
        .remove(0);
    second.part_number = 2;
    second.blob = "second-part".into();
    second.modified_at = started + Duration::from_secs(20 * 3600);
    f.store.objects().put_part(second).await.unwrap();
    // 30 hours after its start, 10 after its last part: alive.
    let aborted = abandoned
        .clean(started + Duration::from_secs(30 * 3600))
        .await;
    assert_eq!(aborted.unwrap(), 0);
    assert!(f.upload_exists().await);
    // 24 hours and a second after its last part: abandoned.
    let aborted = abandoned
        .clean(started + Duration::from_secs(44 * 3600 + 1))
        .await;
    assert_eq!(aborted.unwrap(), 1);
    assert!(!f.upload_exists().await);
}
