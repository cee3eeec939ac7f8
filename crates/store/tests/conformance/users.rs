use std::sync::Arc;

use proxicloud_store::{
    GuestReservation, NewApiToken, NewRefreshToken, NewUser, PageRequest, Role, Store, StoreError,
    Timestamp, UserChanges, constraints,
};
use proxicloud_types::{GuestType, VmId};
use uuid::Uuid;

use crate::fixtures::{cluster, later, user};

pub async fn created_users_are_found_by_id_and_by_username_in_any_case(store: Arc<dyn Store>) {
    let created = user(&*store, "Alice", Role::Operator).await;
    assert_eq!(created.username, "Alice");
    assert_eq!(created.role, Role::Operator);
    assert!(!created.disabled);
    assert_eq!(created.created_at, created.updated_at);

    assert_eq!(store.users().get(created.id).await.unwrap(), created);
    for spelling in ["Alice", "alice", "ALICE"] {
        let found = store.users().find_by_username(spelling).await.unwrap();
        assert_eq!(found.as_ref(), Some(&created), "lookup by {spelling}");
    }
    assert_eq!(store.users().find_by_username("bob").await.unwrap(), None);
}

pub async fn usernames_are_unique_ignoring_case(store: Arc<dyn Store>) {
    user(&*store, "alice", Role::Admin).await;
    let duplicate = store
        .users()
        .create(NewUser {
            username: "ALICE".into(),
            password_hash: "x".into(),
            role: Role::Readonly,
            disabled: false,
        })
        .await;
    assert!(
        matches!(&duplicate, Err(StoreError::Conflict { constraint }) if constraint == constraints::USERNAME),
        "{duplicate:?}"
    );

    let bob = user(&*store, "bob", Role::Readonly).await;
    let renamed = store
        .users()
        .update(
            bob.id,
            UserChanges {
                username: Some("Alice".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(&renamed, Err(StoreError::Conflict { constraint }) if constraint == constraints::USERNAME),
        "{renamed:?}"
    );
    assert_eq!(
        store.users().get(bob.id).await.unwrap().username,
        "bob",
        "a refused rename changes nothing"
    );
}

pub async fn updates_change_only_the_given_fields(store: Arc<dyn Store>) {
    let original = user(&*store, "carol", Role::Readonly).await;
    let promoted = store
        .users()
        .update(
            original.id,
            UserChanges {
                role: Some(Role::Admin),
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);
    assert!(promoted.disabled);
    assert_eq!(promoted.username, original.username);
    assert_eq!(promoted.password_hash, original.password_hash);
    assert_eq!(promoted.created_at, original.created_at);
    assert!(promoted.updated_at >= original.updated_at);

    let rehashed = store
        .users()
        .update(
            original.id,
            UserChanges {
                password_hash: Some("$argon2id$new".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rehashed.password_hash, "$argon2id$new");
    assert_eq!(rehashed.role, Role::Admin, "earlier changes persist");
    assert_eq!(store.users().get(original.id).await.unwrap(), rehashed);

    let missing = store
        .users()
        .update(Uuid::now_v7(), UserChanges::default())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

pub async fn listing_pages_through_every_user_in_name_order(store: Arc<dyn Store>) {
    for name in [
        "delta", "Alpha", "echo", "charlie", "Bravo", "golf", "foxtrot",
    ] {
        user(&*store, name, Role::Readonly).await;
    }
    let mut seen = Vec::new();
    let mut page = store.users().list(PageRequest::first(3)).await.unwrap();
    loop {
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|u| u.username.clone()));
        let Some(next) = page.next else { break };
        if seen.len() == 3 {
            // Rows inserted behind or ahead of the cursor neither shift nor repeat pages.
            user(&*store, "aardvark", Role::Readonly).await;
            user(&*store, "hotel", Role::Readonly).await;
        }
        page = store
            .users()
            .list(PageRequest::after(next, 3))
            .await
            .unwrap();
    }
    assert_eq!(
        seen,
        [
            "Alpha", "Bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"
        ]
    );

    let everyone = store.users().list(PageRequest::first(100)).await.unwrap();
    assert_eq!(everyone.items.len(), 9);
    assert_eq!(everyone.next, None);
}

pub async fn only_enabled_admins_count_as_active_admins(store: Arc<dyn Store>) {
    assert_eq!(store.users().count_active_admins().await.unwrap(), 0);
    let root = user(&*store, "root", Role::Admin).await;
    user(&*store, "second", Role::Admin).await;
    user(&*store, "op", Role::Operator).await;
    assert_eq!(store.users().count_active_admins().await.unwrap(), 2);
    store
        .users()
        .update(
            root.id,
            UserChanges {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.users().count_active_admins().await.unwrap(), 1);
}

pub async fn deleting_a_user_removes_their_tokens_and_unowns_their_guests(store: Arc<dyn Store>) {
    let dave = user(&*store, "dave", Role::Operator).await;
    let now = Timestamp::now();
    let refresh = store
        .refresh_tokens()
        .insert(NewRefreshToken {
            user_id: dave.id,
            token_hash: "r1".into(),
            expires_at: later(now, 3600),
        })
        .await
        .unwrap();
    let api = store
        .api_tokens()
        .insert(NewApiToken {
            user_id: dave.id,
            name: "ci".into(),
            prefix: "pc_ab".into(),
            token_hash: "a1".into(),
            expires_at: None,
        })
        .await
        .unwrap();
    let cluster = cluster(&*store, "lab").await;
    let job = store
        .jobs()
        .create(proxicloud_store::NewJob::new(
            "instance.create",
            proxicloud_store::JobActor::User(dave.id),
            vec![],
        ))
        .await
        .unwrap()
        .job;
    let guest = store
        .guests()
        .reserve(GuestReservation {
            id: Uuid::now_v7(),
            cluster_id: cluster.id,
            vmid: VmId::new(100).unwrap(),
            node: "pve1".into(),
            kind: GuestType::Lxc,
            name: "dave-ct".into(),
            owner_id: dave.id,
            job_id: job.id,
            cpus: 1.0,
            maxmem: 512 << 20,
            maxdisk: 4 << 30,
        })
        .await
        .unwrap();

    store.users().delete(dave.id).await.unwrap();
    assert!(matches!(
        store.users().get(dave.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .refresh_tokens()
            .find_by_hash(&refresh.token_hash)
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.api_tokens().get(api.id).await,
        Err(StoreError::NotFound)
    ));
    let orphan = store.guests().get(guest.id).await.unwrap();
    assert_eq!(
        orphan.owner_id, None,
        "the guest stays, visible to admins as unowned"
    );
    assert_eq!(
        orphan.created_by_job,
        Some(job.id),
        "the user's jobs stay as history"
    );
    let kept = store.jobs().get(job.id).await.unwrap();
    assert!(kept.actor_deleted());
    assert_eq!(
        (kept.owner_id, kept.actor, kept.actor_name.as_str()),
        (None, proxicloud_store::JobActor::User(dave.id), "dave")
    );
    assert!(matches!(
        store.users().delete(dave.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn missing_users_are_not_found(store: Arc<dyn Store>) {
    assert!(matches!(
        store.users().get(Uuid::now_v7()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.users().delete(Uuid::now_v7()).await,
        Err(StoreError::NotFound)
    ));
}
