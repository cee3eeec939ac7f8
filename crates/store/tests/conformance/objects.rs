use std::collections::BTreeSet;
use std::sync::Arc;

use proxicloud_store::{ObjectRange, ObjectRow, Role, Store, StoreError, Timestamp, constraints};
use uuid::Uuid;

use crate::fixtures::user;

pub fn object(bucket_id: Uuid, key: &str, blob: &str, size: u64) -> ObjectRow {
    ObjectRow {
        bucket_id,
        key: key.into(),
        blob: blob.into(),
        size,
        etag: format!("\"etag-{blob}\""),
        headers: r#"{"content_type":"text/plain"}"#.into(),
        modified_at: Timestamp::now(),
    }
}

pub async fn bucket_names_are_unique_and_buckets_list_per_owner(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.objects();
    let photos = repo.create_bucket("photos", alice.id).await.unwrap();
    let backups = repo.create_bucket("backups", alice.id).await.unwrap();
    let bobs = repo.create_bucket("bobs", bob.id).await.unwrap();
    assert_eq!(photos.owner_id, alice.id);
    match repo.create_bucket("photos", bob.id).await {
        Err(StoreError::Conflict { constraint }) => {
            assert_eq!(constraint, constraints::BUCKET_NAME)
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        repo.list_buckets(Some(alice.id)).await.unwrap(),
        [backups.clone(), photos.clone()],
        "by name"
    );
    assert_eq!(
        repo.list_buckets(None).await.unwrap(),
        [backups, bobs, photos.clone()]
    );
    assert_eq!(repo.find_bucket("photos").await.unwrap(), Some(photos));
    assert_eq!(repo.find_bucket("nope").await.unwrap(), None);
    assert!(matches!(
        repo.create_bucket("orphan", Uuid::now_v7()).await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn objects_are_replaced_deleted_and_counted(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("data", alice.id).await.unwrap();
    let other = repo.create_bucket("other", alice.id).await.unwrap();
    assert_eq!(
        repo.put_object(object(bucket.id, "a.txt", "b1", 10))
            .await
            .unwrap(),
        None
    );
    let first = repo.find_object(bucket.id, "a.txt").await.unwrap().unwrap();
    assert_eq!((first.blob.as_str(), first.size), ("b1", 10));
    assert_eq!(
        repo.put_object(object(bucket.id, "a.txt", "b2", 20))
            .await
            .unwrap(),
        Some("b1".into()),
        "the replaced blob is handed back"
    );
    repo.put_object(object(bucket.id, "b.txt", "b3", 5))
        .await
        .unwrap();
    repo.put_object(object(other.id, "c.txt", "b4", 7))
        .await
        .unwrap();
    let usage = repo.bucket_usage(bucket.id).await.unwrap();
    assert_eq!((usage.objects, usage.bytes), (2, 25));
    let usage = repo.owner_usage(alice.id).await.unwrap();
    assert_eq!((usage.objects, usage.bytes), (3, 32));

    assert!(matches!(
        repo.delete_bucket(bucket.id).await,
        Err(StoreError::Stale(_))
    ));
    assert_eq!(
        repo.delete_object(bucket.id, "a.txt").await.unwrap(),
        Some("b2".into())
    );
    assert_eq!(repo.delete_object(bucket.id, "a.txt").await.unwrap(), None);
    assert_eq!(repo.find_object(bucket.id, "a.txt").await.unwrap(), None);
    assert_eq!(
        repo.delete_object(bucket.id, "b.txt").await.unwrap(),
        Some("b3".into())
    );
    assert_eq!(repo.bucket_usage(bucket.id).await.unwrap().objects, 0);
    assert_eq!(
        repo.delete_bucket(bucket.id).await.unwrap(),
        Vec::<String>::new()
    );
    assert!(matches!(
        repo.delete_bucket(bucket.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.put_object(object(bucket.id, "late", "b5", 1)).await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn listings_are_in_byte_order_within_the_prefix(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("list", alice.id).await.unwrap();
    let keys = [
        "Zebra",
        "a/1",
        "a/2",
        "a/b/3",
        "a0",
        "aa",
        "é",
        "\u{10FFFF}x",
        "a/é",
    ];
    for (i, key) in keys.iter().enumerate() {
        repo.put_object(object(bucket.id, key, &format!("blob{i}"), 1))
            .await
            .unwrap();
    }
    let list = |prefix: &'static str, after: Option<&'static str>, limit| {
        let repo = store.clone();
        async move {
            repo.objects()
                .list_objects(
                    bucket.id,
                    ObjectRange {
                        prefix,
                        after,
                        limit,
                    },
                )
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.key)
                .collect::<Vec<_>>()
        }
    };
    let mut sorted: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    sorted.sort();
    assert_eq!(list("", None, 100).await, sorted, "UTF-8 byte order");
    assert_eq!(list("a/", None, 100).await, ["a/1", "a/2", "a/b/3", "a/é"]);
    assert_eq!(list("a/", Some("a/1"), 2).await, ["a/2", "a/b/3"]);
    assert_eq!(list("a/", Some("a/é"), 2).await, Vec::<String>::new());
    assert_eq!(list("", Some("aa"), 100).await, ["é", "\u{10FFFF}x"]);
    assert_eq!(list("\u{10FFFF}", None, 100).await, ["\u{10FFFF}x"]);
    assert_eq!(
        list("A", None, 100).await,
        Vec::<String>::new(),
        "case matters"
    );
}

pub async fn concurrent_writers_of_one_key_each_get_their_replaced_blob_once(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bucket = store
        .objects()
        .create_bucket("race", alice.id)
        .await
        .unwrap();
    let writers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .objects()
                    .put_object(object(bucket.id, "hot", &format!("w{i}"), 1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for writer in writers {
        if let Some(replaced) = writer.await.unwrap() {
            assert!(seen.insert(replaced), "a blob was handed back twice");
        }
    }
    let last = store
        .objects()
        .find_object(bucket.id, "hot")
        .await
        .unwrap()
        .unwrap();
    assert!(seen.insert(last.blob), "the live blob was also handed back");
    assert_eq!(
        seen.len(),
        8,
        "every blob is either live or handed back: {seen:?}"
    );
}

pub async fn multipart_uploads_complete_into_one_object(store: Arc<dyn Store>) {
    use proxicloud_store::Part;
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("multi", alice.id).await.unwrap();
    let part = |upload_id, part_number, blob: &str| Part {
        upload_id,
        part_number,
        blob: blob.into(),
        size: 100,
        etag: format!("\"{blob}\""),
        modified_at: Timestamp::now(),
    };
    let upload = repo.create_upload(bucket.id, "big", "{}").await.unwrap();
    let second = repo.create_upload(bucket.id, "big", "{}").await.unwrap();
    let other = repo
        .create_upload(bucket.id, "zz/other", "{}")
        .await
        .unwrap();
    assert_eq!(
        repo.find_upload(upload.id).await.unwrap(),
        Some(upload.clone())
    );
    let ids = |uploads: Vec<proxicloud_store::MultipartUpload>| {
        uploads.into_iter().map(|u| u.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(repo.list_uploads(bucket.id, "", None, 10).await.unwrap()),
        [upload.id, second.id, other.id]
    );
    assert_eq!(
        ids(repo
            .list_uploads(bucket.id, "", Some(("big", upload.id)), 10)
            .await
            .unwrap()),
        [second.id, other.id]
    );
    assert_eq!(
        ids(repo.list_uploads(bucket.id, "zz/", None, 10).await.unwrap()),
        [other.id]
    );

    assert_eq!(repo.put_part(part(upload.id, 1, "p1")).await.unwrap(), None);
    assert_eq!(repo.put_part(part(upload.id, 2, "p2")).await.unwrap(), None);
    assert_eq!(
        repo.put_part(part(upload.id, 1, "p1b")).await.unwrap(),
        Some("p1".into()),
        "a part uploaded again replaces the first"
    );
    repo.put_part(part(upload.id, 3, "p3")).await.unwrap();
    let numbers = |parts: Vec<Part>| parts.into_iter().map(|p| p.part_number).collect::<Vec<_>>();
    assert_eq!(
        numbers(repo.list_parts(upload.id, 0, 10).await.unwrap()),
        [1, 2, 3]
    );
    assert_eq!(
        numbers(repo.list_parts(upload.id, 1, 1).await.unwrap()),
        [2]
    );
    assert_eq!(
        repo.referenced_blobs(&["p1".into(), "p1b".into(), "nope".into()])
            .await
            .unwrap(),
        ["p1b"]
    );

    repo.put_object(object(bucket.id, "big", "old", 1))
        .await
        .unwrap();
    let mut freed = repo
        .complete_upload(upload.id, object(bucket.id, "big", "whole", 300))
        .await
        .unwrap();
    freed.sort();
    assert_eq!(freed, ["old", "p1b", "p2", "p3"]);
    assert_eq!(
        repo.find_object(bucket.id, "big")
            .await
            .unwrap()
            .unwrap()
            .blob,
        "whole"
    );
    assert_eq!(repo.find_upload(upload.id).await.unwrap(), None);
    assert!(matches!(
        repo.complete_upload(upload.id, object(bucket.id, "big", "again", 1))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.put_part(part(upload.id, 4, "late")).await,
        Err(StoreError::MissingReference)
    ));

    repo.put_part(part(second.id, 1, "s1")).await.unwrap();
    assert_eq!(repo.abort_upload(second.id).await.unwrap(), ["s1"]);
    assert!(matches!(
        repo.abort_upload(second.id).await,
        Err(StoreError::NotFound)
    ));

    let later = Timestamp::now();
    assert_eq!(
        ids(repo.stale_uploads(later, 10).await.unwrap()),
        [other.id]
    );
    repo.put_part(part(other.id, 1, "o1")).await.unwrap();
    repo.delete_object(bucket.id, "big").await.unwrap();
    assert_eq!(
        repo.delete_bucket(bucket.id).await.unwrap(),
        ["o1"],
        "an empty bucket's unfinished uploads go with it"
    );
    assert_eq!(repo.find_upload(other.id).await.unwrap(), None);
}

pub async fn conditional_puts_are_checked_with_the_row_locked(store: Arc<dyn Store>) {
    use proxicloud_store::PutCondition;
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("cond", alice.id).await.unwrap();
    let stale =
        |r: proxicloud_store::Result<Option<String>>| matches!(r, Err(StoreError::Stale(_)));
    assert!(stale(
        repo.put_object_if(
            object(bucket.id, "k", "b0", 1),
            PutCondition::ETag("\"etag-b1\"")
        )
        .await
    ));
    repo.put_object_if(object(bucket.id, "k", "b1", 1), PutCondition::Absent)
        .await
        .unwrap();
    assert!(stale(
        repo.put_object_if(object(bucket.id, "k", "b2", 1), PutCondition::Absent)
            .await
    ));
    let replaced = repo
        .put_object_if(
            object(bucket.id, "k", "b3", 1),
            PutCondition::ETag("\"etag-b1\""),
        )
        .await
        .unwrap();
    assert_eq!(replaced.as_deref(), Some("b1"));
    assert!(stale(
        repo.put_object_if(
            object(bucket.id, "k", "b4", 1),
            PutCondition::ETag("\"etag-b1\"")
        )
        .await
    ));
    // Racing creators: exactly one.
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .objects()
                    .put_object_if(
                        object(bucket.id, "new", &format!("r{i}"), 1),
                        PutCondition::Absent,
                    )
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Stale(_)) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(created, 1);
}

/// A part stored while its upload is aborted (or its bucket deleted) is either among
/// the blobs handed back or refused: never dropped with its blob unnamed (a leak).
pub async fn parts_racing_an_abort_or_a_bucket_delete_are_never_leaked(store: Arc<dyn Store>) {
    use proxicloud_store::Part;
    let alice = user(&*store, "alice", Role::Operator).await;
    for round in 0..20 {
        let repo = store.objects();
        let bucket = repo
            .create_bucket(&format!("leak-{round}"), alice.id)
            .await
            .unwrap();
        let upload = repo.create_upload(bucket.id, "k", "{}").await.unwrap();
        let writers: Vec<_> = (0..4u32)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let blob = format!("r{round}p{n}");
                    let part = Part {
                        upload_id: upload.id,
                        part_number: n + 1,
                        blob: blob.clone(),
                        size: 1,
                        etag: "e".into(),
                        modified_at: Timestamp::now(),
                    };
                    store.objects().put_part(part).await.map(|_| blob)
                })
            })
            .collect();
        let freed = if round % 2 == 0 {
            repo.abort_upload(upload.id).await.unwrap()
        } else {
            repo.delete_bucket(bucket.id).await.unwrap()
        };
        for writer in writers {
            match writer.await.unwrap() {
                Ok(blob) => assert!(freed.contains(&blob), "{blob} stored but not freed"),
                Err(StoreError::MissingReference) => {}
                Err(other) => panic!("{other}"),
            }
        }
    }
}
