use std::sync::Arc;

use proxicloud_store::{NewAccessKey, Role, Store, StoreError, constraints};
use uuid::Uuid;

use crate::fixtures::user;

fn key(owner_id: Uuid, access_key_id: &str) -> NewAccessKey {
    NewAccessKey {
        owner_id,
        access_key_id: access_key_id.into(),
        secret_sealed: vec![1, 2, 3, access_key_id.len() as u8],
    }
}

pub async fn access_keys_round_trip_list_per_owner_and_disable(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.access_keys();
    let first = repo.insert(key(alice.id, "PCAK1")).await.unwrap();
    let second = repo.insert(key(alice.id, "PCAK2")).await.unwrap();
    let bobs = repo.insert(key(bob.id, "PCAK3")).await.unwrap();
    assert!(!first.disabled);
    assert_eq!(first.secret_sealed, vec![1, 2, 3, 5]);
    assert_eq!(repo.get(first.id).await.unwrap(), first);
    assert_eq!(
        repo.find_by_access_key_id("PCAK3").await.unwrap(),
        Some(bobs.clone())
    );
    assert_eq!(repo.find_by_access_key_id("PCAK9").await.unwrap(), None);
    assert_eq!(
        repo.list(Some(alice.id)).await.unwrap(),
        [first.clone(), second.clone()]
    );
    assert_eq!(repo.list(None).await.unwrap().len(), 3);

    let disabled = repo.set_disabled(first.id, true).await.unwrap();
    assert!(disabled.disabled);
    assert!(repo.get(first.id).await.unwrap().disabled);
    assert!(!repo.set_disabled(first.id, false).await.unwrap().disabled);
    assert!(matches!(
        repo.set_disabled(Uuid::now_v7(), true).await,
        Err(StoreError::NotFound)
    ));

    repo.delete(second.id).await.unwrap();
    assert!(matches!(
        repo.delete(second.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.get(second.id).await,
        Err(StoreError::NotFound)
    ));
    store.users().delete(bob.id).await.unwrap();
    assert_eq!(repo.find_by_access_key_id("PCAK3").await.unwrap(), None);
}

pub async fn access_key_ids_are_unique_system_wide(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.access_keys();
    repo.insert(key(alice.id, "PCAKSAME")).await.unwrap();
    match repo.insert(key(bob.id, "PCAKSAME")).await {
        Err(StoreError::Conflict { constraint }) => {
            assert_eq!(constraint, constraints::ACCESS_KEY_ID)
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        repo.insert(key(Uuid::now_v7(), "PCAKNEW")).await,
        Err(StoreError::MissingReference)
    ));
}
