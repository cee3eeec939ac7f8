//! The per-owner usage row: kept with every write in the write's transaction, parts of
//! unfinished uploads counted toward the byte quota, and overwrites racing a first
//! write of the same key counted once.

use std::sync::Arc;

use proxicloud_store::{BucketUsage, Part, Quota, Role, Store, StoreError, Timestamp};
use uuid::Uuid;

use crate::fixtures::user;
use crate::objects::object;

fn exceeded<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::QuotaExceeded))
}

fn part(upload_id: Uuid, part_number: u32, blob: &str, size: u64) -> Part {
    Part {
        upload_id,
        part_number,
        blob: blob.into(),
        size,
        etag: format!("\"{blob}\""),
        modified_at: Timestamp::now(),
    }
}

fn bytes(max: u64) -> Quota {
    Quota {
        max_bytes: Some(max),
        max_objects: None,
    }
}

pub async fn parts_count_toward_the_quota_until_completed_or_aborted(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("parts", alice.id).await.unwrap();
    repo.set_quota(alice.id, bytes(100)).await.unwrap();
    let upload = repo.create_upload(bucket.id, "big", "{}").await.unwrap();
    repo.put_part(part(upload.id, 1, "p1", 60)).await.unwrap();
    // 60 bytes in flight: a second part of 50 does not fit, nor an object of 41.
    assert!(exceeded(repo.put_part(part(upload.id, 2, "p2", 50)).await));
    assert!(exceeded(
        repo.put_object(object(bucket.id, "small", "o1", 41)).await
    ));
    assert!(!repo.has_room(bucket.id, 41, 1).await.unwrap());
    assert!(repo.has_room(bucket.id, 40, 1).await.unwrap());
    repo.put_object(object(bucket.id, "small", "o1", 40))
        .await
        .unwrap();
    // A part uploaded again replaces the first one's bytes: 40 + 60 is the limit.
    repo.put_part(part(upload.id, 1, "p1b", 60)).await.unwrap();
    assert!(exceeded(repo.put_part(part(upload.id, 2, "p2", 1)).await));
    // Completing moves the parts' bytes to the object: still 100, still fits.
    repo.complete_upload(upload.id, object(bucket.id, "big", "whole", 60))
        .await
        .unwrap();
    assert_eq!(
        repo.owner_usage(alice.id).await.unwrap(),
        BucketUsage {
            objects: 2,
            bytes: 100
        }
    );
    // Aborting gives the parts' bytes back.
    repo.delete_object(bucket.id, "big").await.unwrap();
    let second = repo.create_upload(bucket.id, "next", "{}").await.unwrap();
    repo.put_part(part(second.id, 1, "q1", 60)).await.unwrap();
    assert!(exceeded(
        repo.put_object(object(bucket.id, "more", "o2", 1)).await
    ));
    repo.abort_upload(second.id).await.unwrap();
    repo.put_object(object(bucket.id, "more", "o2", 60))
        .await
        .unwrap();
    // And so does deleting a bucket with unfinished uploads.
    let other = repo.create_bucket("other", alice.id).await.unwrap();
    repo.delete_object(bucket.id, "more").await.unwrap();
    let third = repo.create_upload(other.id, "x", "{}").await.unwrap();
    repo.put_part(part(third.id, 1, "r1", 60)).await.unwrap();
    assert!(!repo.has_room(bucket.id, 1, 1).await.unwrap());
    assert_eq!(repo.delete_bucket(other.id).await.unwrap(), ["r1"]);
    assert!(repo.has_room(bucket.id, 60, 1).await.unwrap());
    assert!(!repo.has_room(bucket.id, 61, 1).await.unwrap());
}

pub async fn the_usage_row_follows_every_write(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let one = repo.create_bucket("one", alice.id).await.unwrap();
    let two = repo.create_bucket("two", alice.id).await.unwrap();
    assert_eq!(
        repo.owner_usage(alice.id).await.unwrap(),
        BucketUsage::default()
    );
    repo.put_object(object(one.id, "a", "b1", 10))
        .await
        .unwrap();
    repo.put_object(object(two.id, "b", "b2", 20))
        .await
        .unwrap();
    repo.put_object(object(one.id, "a", "b3", 5)).await.unwrap();
    repo.delete_object(two.id, "b").await.unwrap();
    assert_eq!(repo.delete_object(two.id, "b").await.unwrap(), None);
    let upload = repo.create_upload(two.id, "m", "{}").await.unwrap();
    repo.put_part(part(upload.id, 1, "p1", 7)).await.unwrap();
    repo.complete_upload(upload.id, object(two.id, "m", "whole", 7))
        .await
        .unwrap();
    // What the row says is what a scan of the objects says.
    let mut scanned = BucketUsage::default();
    for bucket in [one.id, two.id] {
        let usage = repo.bucket_usage(bucket).await.unwrap();
        scanned.objects += usage.objects;
        scanned.bytes += usage.bytes;
    }
    assert_eq!(
        scanned,
        BucketUsage {
            objects: 2,
            bytes: 12
        }
    );
    assert_eq!(repo.owner_usage(alice.id).await.unwrap(), scanned);
}

pub async fn concurrent_first_writes_of_one_key_count_it_once(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("same", alice.id).await.unwrap();
    // Room for exactly one object of 10 bytes: every writer of the same key fits,
    // since each replaces the one before.
    repo.set_quota(
        alice.id,
        Quota {
            max_bytes: Some(10),
            max_objects: Some(1),
        },
    )
    .await
    .unwrap();
    let writers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .objects()
                    .put_object(object(bucket.id, "key", &format!("w{i}"), 10))
                    .await
            })
        })
        .collect();
    let mut replaced = Vec::new();
    for writer in writers {
        match writer.await.unwrap() {
            Ok(old) => replaced.extend(old),
            Err(other) => panic!("a write of the same key was refused: {other}"),
        }
    }
    assert_eq!(replaced.len(), 7, "each write but the first replaced one");
    assert_eq!(
        repo.owner_usage(alice.id).await.unwrap(),
        BucketUsage {
            objects: 1,
            bytes: 10
        }
    );
}

/// Objects and parts stored, then the usage rows dropped: what migration 0019's
/// backfill must rebuild.
async fn fill(store: &dyn Store) -> Uuid {
    let alice = user(store, "alice", Role::Operator).await;
    let repo = store.objects();
    let one = repo.create_bucket("one", alice.id).await.unwrap();
    let two = repo.create_bucket("two", alice.id).await.unwrap();
    repo.put_object(object(one.id, "a", "b1", 10))
        .await
        .unwrap();
    repo.put_object(object(two.id, "b", "b2", 32))
        .await
        .unwrap();
    let upload = repo.create_upload(two.id, "m", "{}").await.unwrap();
    repo.put_part(part(upload.id, 1, "p1", 5)).await.unwrap();
    repo.set_quota(alice.id, bytes(47)).await.unwrap();
    alice.id
}

/// Then, with the backfill run again: the same usage, parts included (47 bytes: full).
async fn check_backfilled(store: &dyn Store, alice: Uuid) {
    let repo = store.objects();
    assert_eq!(
        repo.owner_usage(alice).await.unwrap(),
        BucketUsage {
            objects: 2,
            bytes: 42
        }
    );
    let one = repo.find_bucket("one").await.unwrap().unwrap();
    assert!(!repo.has_room(one.id, 1, 0).await.unwrap(), "parts counted");
    assert!(repo.has_room(one.id, 0, 1).await.unwrap());
}

/// The migration's statements after its table: the backfill.
fn backfill(migration: &str) -> &str {
    let at = migration
        .find("INSERT INTO s3_usage")
        .expect("the backfill");
    &migration[at..]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backfills_the_usage_of_existing_objects() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = proxicloud_store::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    let alice = fill(&*store).await;
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql("DELETE FROM s3_usage")
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        store.objects().owner_usage(alice).await.unwrap(),
        BucketUsage::default()
    );
    let migration = include_str!("../../migrations/sqlite/0019_s3_usage.sql");
    sqlx::raw_sql(backfill(migration))
        .execute(&mut raw)
        .await
        .unwrap();
    raw.close().await.unwrap();
    check_backfilled(&*store, alice).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backfills_the_usage_of_existing_objects() {
    let mut schema = crate::harness::PgSchema::create().await;
    let store = proxicloud_store::connect(&schema.url).await.unwrap();
    let alice = fill(&*store).await;
    schema.execute("DELETE FROM s3_usage").await;
    let migration = include_str!("../../migrations/postgres/0019_s3_usage.sql");
    schema.execute(backfill(migration)).await;
    check_backfilled(&*store, alice).await;
    store.close().await;
    schema.drop().await;
}
