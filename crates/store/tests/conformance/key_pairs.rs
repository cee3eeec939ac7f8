use std::sync::Arc;

use proxicloud_store::{GuestKeyPair, NewKeyPair, Role, Store, StoreError, constraints};
use uuid::Uuid;

use crate::fixtures::{cluster, reservation, user};

fn key(owner_id: Uuid, name: &str) -> NewKeyPair {
    NewKeyPair {
        owner_id,
        name: name.into(),
        key_type: "ssh-ed25519".into(),
        public_key: format!("ssh-ed25519 AAAAC3Nza{name} {name}"),
        fingerprint: format!("SHA256:{name}"),
    }
}

pub async fn key_pairs_round_trip_and_list_per_owner_by_name(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.key_pairs();
    let work = repo.insert(key(alice.id, "work")).await.unwrap();
    let home = repo.insert(key(alice.id, "home")).await.unwrap();
    let bobs = repo.insert(key(bob.id, "laptop")).await.unwrap();
    assert_eq!(work.public_key, "ssh-ed25519 AAAAC3Nzawork work");
    assert_eq!(work.fingerprint, "SHA256:work");
    assert_eq!(repo.get(work.id).await.unwrap(), work);
    let mut many = repo
        .get_many(&[bobs.id, Uuid::now_v7(), work.id])
        .await
        .unwrap();
    many.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        many,
        [bobs.clone(), work.clone()],
        "the unknown id is left out"
    );
    assert!(repo.get_many(&[]).await.unwrap().is_empty());

    let names = |pairs: Vec<proxicloud_store::KeyPair>| {
        pairs.into_iter().map(|p| p.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(repo.list(Some(alice.id)).await.unwrap()),
        ["home", "work"]
    );
    assert_eq!(
        names(repo.list(None).await.unwrap()),
        ["home", "laptop", "work"]
    );

    repo.delete(home.id).await.unwrap();
    assert!(matches!(repo.get(home.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        repo.delete(home.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(repo.list(Some(bob.id)).await.unwrap(), vec![bobs]);
}

pub async fn key_pair_names_are_unique_per_owner(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.key_pairs();
    repo.insert(key(alice.id, "work")).await.unwrap();
    match repo.insert(key(alice.id, "work")).await {
        Err(StoreError::Conflict { constraint }) => {
            assert_eq!(constraint, constraints::KEY_PAIR_NAME)
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Another owner may use the same name.
    repo.insert(key(bob.id, "work")).await.unwrap();
    assert!(matches!(
        repo.insert(key(Uuid::now_v7(), "ghost")).await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn guests_remember_their_key_pairs_after_the_pair_is_deleted(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let lab = cluster(&*store, "lab").await;
    let guest = store
        .guests()
        .reserve(reservation(&*store, lab.id, 100, alice.id).await)
        .await
        .unwrap();
    let repo = store.key_pairs();
    let work = repo.insert(key(alice.id, "work")).await.unwrap();
    let home = repo.insert(key(alice.id, "home")).await.unwrap();
    let recorded: Vec<GuestKeyPair> = [&work, &home]
        .iter()
        .map(|pair| GuestKeyPair {
            key_pair_id: pair.id,
            name: pair.name.clone(),
            fingerprint: pair.fingerprint.clone(),
        })
        .collect();
    repo.record_for_guest(guest.id, &recorded).await.unwrap();
    // A retried job step records them again: nothing changes.
    repo.record_for_guest(guest.id, &recorded).await.unwrap();
    repo.delete(work.id).await.unwrap();
    let listed = repo.list_for_guest(guest.id).await.unwrap();
    assert_eq!(listed, vec![recorded[1].clone(), recorded[0].clone()]);
    assert!(
        repo.list_for_guest(Uuid::now_v7())
            .await
            .unwrap()
            .is_empty()
    );

    store.guests().delete(guest.id).await.unwrap();
    assert!(repo.list_for_guest(guest.id).await.unwrap().is_empty());
}
