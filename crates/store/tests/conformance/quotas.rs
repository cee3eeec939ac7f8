use std::sync::Arc;

use proxicloud_store::{Quota, Role, Store, StoreError};
use uuid::Uuid;

use crate::fixtures::user;
use crate::objects::object;

fn exceeded<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::QuotaExceeded))
}

pub async fn quotas_limit_an_owners_bytes_and_objects(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.objects();
    assert_eq!(repo.quota(alice.id).await.unwrap(), Quota::default());
    let limited = Quota {
        max_bytes: Some(100),
        max_objects: None,
    };
    repo.set_quota(alice.id, limited).await.unwrap();
    assert_eq!(repo.quota(alice.id).await.unwrap(), limited);
    // Every bucket of the owner counts together.
    let one = repo.create_bucket("one", alice.id).await.unwrap();
    let two = repo.create_bucket("two", alice.id).await.unwrap();
    repo.put_object(object(one.id, "a", "b1", 40))
        .await
        .unwrap();
    repo.put_object(object(two.id, "b", "b2", 40))
        .await
        .unwrap();
    assert!(exceeded(
        repo.put_object(object(two.id, "c", "b3", 21)).await
    ));
    // A replaced object's bytes are given back: 40 + 60 is exactly the limit.
    repo.put_object(object(one.id, "a", "b4", 60))
        .await
        .unwrap();
    assert!(exceeded(
        repo.put_object(object(two.id, "c", "b5", 1)).await
    ));
    assert_eq!(repo.find_object(two.id, "c").await.unwrap(), None);
    assert_eq!(repo.owner_usage(alice.id).await.unwrap().bytes, 100);
    // Other owners are not limited by it.
    let bobs = repo.create_bucket("bobs", bob.id).await.unwrap();
    repo.put_object(object(bobs.id, "x", "b6", 1000))
        .await
        .unwrap();

    let counted = Quota {
        max_bytes: None,
        max_objects: Some(3),
    };
    repo.set_quota(alice.id, counted).await.unwrap();
    assert_eq!(repo.quota(alice.id).await.unwrap(), counted);
    repo.put_object(object(two.id, "c", "b7", 500))
        .await
        .unwrap();
    assert!(exceeded(
        repo.put_object(object(two.id, "d", "b8", 1)).await
    ));
    repo.put_object(object(two.id, "c", "b9", 5)).await.unwrap();

    // Completing a multipart upload is checked too, and a refused one stays open.
    let upload = repo.create_upload(two.id, "d", "{}").await.unwrap();
    assert!(exceeded(
        repo.complete_upload(upload.id, object(two.id, "d", "b10", 1))
            .await
    ));
    assert!(repo.find_upload(upload.id).await.unwrap().is_some());
    repo.set_quota(alice.id, Quota::default()).await.unwrap();
    repo.complete_upload(upload.id, object(two.id, "d", "b10", 1))
        .await
        .unwrap();

    assert!(matches!(
        repo.set_quota(Uuid::now_v7(), limited).await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn concurrent_writers_cannot_both_pass_the_last_byte(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.objects();
    let bucket = repo.create_bucket("race", alice.id).await.unwrap();
    repo.set_quota(
        alice.id,
        Quota {
            max_bytes: Some(10),
            max_objects: None,
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
                    .put_object(object(bucket.id, &format!("k{i}"), &format!("w{i}"), 10))
                    .await
            })
        })
        .collect();
    let mut written = 0;
    for writer in writers {
        match writer.await.unwrap() {
            Ok(_) => written += 1,
            Err(StoreError::QuotaExceeded) => {}
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(written, 1, "exactly one writer fits");
    assert_eq!(repo.owner_usage(alice.id).await.unwrap().bytes, 10);
}
