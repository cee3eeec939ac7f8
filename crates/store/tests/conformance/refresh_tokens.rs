use std::sync::Arc;

use proxicloud_store::{NewRefreshToken, Role, Store, StoreError, Timestamp};

use crate::fixtures::{later, user};

pub fn refresh(user_id: uuid::Uuid, hash: &str, expires_at: Timestamp) -> NewRefreshToken {
    NewRefreshToken {
        user_id,
        token_hash: hash.into(),
        expires_at,
    }
}

pub async fn rotation_links_the_new_token_into_the_family(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let now = Timestamp::now();
    let first = store
        .refresh_tokens()
        .insert(refresh(alice.id, "h1", later(now, 60)))
        .await
        .unwrap();
    assert_eq!(first.family_id, first.id, "a login starts a family");
    assert!(first.is_usable(now));

    let second = store
        .refresh_tokens()
        .rotate(first.id, "h2", later(now, 120), now)
        .await
        .unwrap();
    assert_eq!(second.family_id, first.family_id);
    assert_eq!(second.user_id, alice.id);
    assert_eq!(second.expires_at, later(now, 120));
    assert!(second.is_usable(now));

    let old = store
        .refresh_tokens()
        .find_by_hash("h1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.replaced_by, Some(second.id));
    assert!(!old.is_usable(now));
    assert_eq!(
        store.refresh_tokens().find_by_hash("h2").await.unwrap(),
        Some(second)
    );
}

pub async fn reusing_a_rotated_token_is_refused_and_the_family_can_be_revoked(
    store: Arc<dyn Store>,
) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let now = Timestamp::now();
    let first = store
        .refresh_tokens()
        .insert(refresh(alice.id, "h1", later(now, 60)))
        .await
        .unwrap();
    let second = store
        .refresh_tokens()
        .rotate(first.id, "h2", later(now, 60), now)
        .await
        .unwrap();
    let other_login = store
        .refresh_tokens()
        .insert(refresh(alice.id, "other", later(now, 60)))
        .await
        .unwrap();

    // A thief replays the first token after the legitimate client rotated it.
    let reuse = store
        .refresh_tokens()
        .rotate(first.id, "h3", later(now, 60), now)
        .await;
    assert!(matches!(reuse, Err(StoreError::Stale(_))), "{reuse:?}");
    assert_eq!(
        store.refresh_tokens().find_by_hash("h3").await.unwrap(),
        None,
        "no successor was issued"
    );

    let revoked = store
        .refresh_tokens()
        .revoke_family(first.family_id, now)
        .await
        .unwrap();
    assert_eq!(revoked, 2);
    let second = store
        .refresh_tokens()
        .find_by_hash(&second.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.revoked_at, Some(now));
    let untouched = store
        .refresh_tokens()
        .find_by_hash(&other_login.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(
        untouched.is_usable(now),
        "other sessions of the user survive"
    );
    let after = store
        .refresh_tokens()
        .rotate(second.id, "h4", later(now, 60), now)
        .await;
    assert!(matches!(after, Err(StoreError::Stale(_))), "{after:?}");
}

pub async fn concurrent_rotations_of_one_token_let_exactly_one_win(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let now = Timestamp::now();
    let token = store
        .refresh_tokens()
        .insert(refresh(alice.id, "h", later(now, 60)))
        .await
        .unwrap();
    let attempts: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .refresh_tokens()
                    .rotate(token.id, &format!("next-{i}"), later(now, 60), now)
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => winners += 1,
            Err(StoreError::Stale(_)) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(winners, 1);
}

pub async fn revoked_and_expired_refresh_tokens_cannot_rotate(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let now = Timestamp::now();
    let revoked = store
        .refresh_tokens()
        .insert(refresh(alice.id, "revoked", later(now, 60)))
        .await
        .unwrap();
    store
        .refresh_tokens()
        .revoke(revoked.id, now)
        .await
        .unwrap();
    store
        .refresh_tokens()
        .revoke(revoked.id, later(now, 5))
        .await
        .unwrap();
    let stored = store
        .refresh_tokens()
        .find_by_hash("revoked")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.revoked_at,
        Some(now),
        "revoking again keeps the first time"
    );
    let rotated = store
        .refresh_tokens()
        .rotate(revoked.id, "x", later(now, 60), now)
        .await;
    assert!(matches!(rotated, Err(StoreError::Stale(_))), "{rotated:?}");

    let expiring = store
        .refresh_tokens()
        .insert(refresh(alice.id, "expiring", later(now, 60)))
        .await
        .unwrap();
    let rotated = store
        .refresh_tokens()
        .rotate(expiring.id, "y", later(now, 120), later(now, 61))
        .await;
    assert!(matches!(rotated, Err(StoreError::Stale(_))), "{rotated:?}");

    let missing = store
        .refresh_tokens()
        .rotate(uuid::Uuid::now_v7(), "z", later(now, 60), now)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

pub async fn revoking_everything_of_a_user_and_purging_expired_tokens(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let now = Timestamp::now();
    for hash in ["a1", "a2"] {
        store
            .refresh_tokens()
            .insert(refresh(alice.id, hash, later(now, 60)))
            .await
            .unwrap();
    }
    store
        .refresh_tokens()
        .insert(refresh(bob.id, "b1", later(now, 60)))
        .await
        .unwrap();
    store
        .refresh_tokens()
        .insert(refresh(bob.id, "b-old", now))
        .await
        .unwrap();

    assert_eq!(
        store
            .refresh_tokens()
            .revoke_all_for_user(alice.id, now)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .refresh_tokens()
            .revoke_all_for_user(alice.id, now)
            .await
            .unwrap(),
        0
    );
    assert!(
        !store
            .refresh_tokens()
            .find_by_hash("a2")
            .await
            .unwrap()
            .unwrap()
            .is_usable(now)
    );
    assert!(
        store
            .refresh_tokens()
            .find_by_hash("b1")
            .await
            .unwrap()
            .unwrap()
            .is_usable(now)
    );

    assert_eq!(
        store
            .refresh_tokens()
            .delete_expired(later(now, 1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.refresh_tokens().find_by_hash("b-old").await.unwrap(),
        None
    );
    assert!(
        store
            .refresh_tokens()
            .find_by_hash("b1")
            .await
            .unwrap()
            .is_some()
    );
}
