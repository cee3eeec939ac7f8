use std::sync::Arc;

use proxicloud_store::{NewApiToken, Role, Store, StoreError, Timestamp, constraints};

use crate::fixtures::{later, user};
use crate::refresh_tokens::refresh;

fn api(user_id: uuid::Uuid, name: &str, hash: &str, expires_at: Option<Timestamp>) -> NewApiToken {
    NewApiToken {
        user_id,
        name: name.into(),
        prefix: format!("pc_{name}"),
        token_hash: hash.into(),
        expires_at,
    }
}

pub async fn only_active_api_tokens_are_found_by_hash(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let now = Timestamp::now();
    let forever = store
        .api_tokens()
        .insert(api(alice.id, "forever", "hf", None))
        .await
        .unwrap();
    let expiring = store
        .api_tokens()
        .insert(api(alice.id, "expiring", "he", Some(later(now, 60))))
        .await
        .unwrap();
    let revoked = store
        .api_tokens()
        .insert(api(alice.id, "revoked", "hr", None))
        .await
        .unwrap();
    store.api_tokens().revoke(revoked.id, now).await.unwrap();

    assert_eq!(
        store
            .api_tokens()
            .find_active_by_hash("hf", now)
            .await
            .unwrap(),
        Some(forever)
    );
    assert_eq!(
        store
            .api_tokens()
            .find_active_by_hash("he", now)
            .await
            .unwrap(),
        Some(expiring)
    );
    assert_eq!(
        store
            .api_tokens()
            .find_active_by_hash("he", later(now, 60))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .api_tokens()
            .find_active_by_hash("hr", now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .api_tokens()
            .find_active_by_hash("unknown", now)
            .await
            .unwrap(),
        None
    );
}

pub async fn api_tokens_are_listed_per_user_and_record_their_last_use(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let older = store
        .api_tokens()
        .insert(api(alice.id, "older", "h1", None))
        .await
        .unwrap();
    let newer = store
        .api_tokens()
        .insert(api(alice.id, "newer", "h2", None))
        .await
        .unwrap();
    store
        .api_tokens()
        .insert(api(bob.id, "bobs", "h3", None))
        .await
        .unwrap();

    let names: Vec<_> = store
        .api_tokens()
        .list_by_user(alice.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["newer", "older"]);
    assert_eq!(older.last_used_at, None);
    assert_eq!(newer.prefix, "pc_newer");

    let used_at = Timestamp::now();
    store.api_tokens().touch(older.id, used_at).await.unwrap();
    assert_eq!(
        store.api_tokens().get(older.id).await.unwrap().last_used_at,
        Some(used_at)
    );
    assert!(matches!(
        store
            .api_tokens()
            .touch(uuid::Uuid::now_v7(), used_at)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .api_tokens()
            .revoke(uuid::Uuid::now_v7(), used_at)
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn token_hashes_are_unique(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let now = Timestamp::now();
    store
        .refresh_tokens()
        .insert(refresh(alice.id, "same", later(now, 60)))
        .await
        .unwrap();
    let duplicate = store
        .refresh_tokens()
        .insert(refresh(alice.id, "same", later(now, 60)))
        .await;
    assert!(
        matches!(&duplicate, Err(StoreError::Conflict { constraint }) if constraint == constraints::REFRESH_TOKEN_HASH),
        "{duplicate:?}"
    );
    store
        .api_tokens()
        .insert(api(alice.id, "a", "same", None))
        .await
        .unwrap();
    let duplicate = store
        .api_tokens()
        .insert(api(alice.id, "b", "same", None))
        .await;
    assert!(
        matches!(&duplicate, Err(StoreError::Conflict { constraint }) if constraint == constraints::API_TOKEN_HASH),
        "{duplicate:?}"
    );
    let orphan = store
        .api_tokens()
        .insert(api(uuid::Uuid::now_v7(), "c", "fresh", None))
        .await;
    assert!(
        matches!(orphan, Err(StoreError::MissingReference)),
        "{orphan:?}"
    );
}
