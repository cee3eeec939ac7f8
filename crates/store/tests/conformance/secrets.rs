use std::sync::Arc;

use proxicloud_store::{
    NewSecret, PageRequest, Role, SecretChanges, SecretFilter, Store, StoreError, Timestamp,
    constraints,
};
use uuid::Uuid;

use crate::fixtures::{later, user};

fn secret(owner_id: Uuid, name: &str) -> NewSecret {
    NewSecret {
        id: Uuid::now_v7(),
        owner_id,
        name: name.into(),
        description: format!("{name} description"),
        tags: vec!["prod".into(), name.into()],
        value_sealed: format!("sealed:{name}:1").into_bytes(),
    }
}

fn new_value(name: &str, version: u32) -> SecretChanges {
    SecretChanges {
        value_sealed: Some(format!("sealed:{name}:{version}").into_bytes()),
        ..SecretChanges::default()
    }
}

pub async fn secrets_round_trip_and_page_per_owner_by_name(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.secrets();
    let now = Timestamp::now();
    let db = repo
        .insert(secret(alice.id, "DB_PASSWORD"), now)
        .await
        .unwrap();
    let api = repo.insert(secret(alice.id, "API_KEY"), now).await.unwrap();
    let bobs = repo.insert(secret(bob.id, "TOKEN"), now).await.unwrap();
    assert_eq!(db.version, 1);
    assert_eq!(db.tags, ["prod", "DB_PASSWORD"]);
    assert_eq!(db.description, "DB_PASSWORD description");
    assert_eq!(db.created_at, now);
    assert_eq!(repo.get(db.id).await.unwrap(), db);
    assert_eq!(
        repo.find_by_name(alice.id, "DB_PASSWORD").await.unwrap(),
        Some(db.clone())
    );
    assert_eq!(
        repo.find_by_name(bob.id, "DB_PASSWORD").await.unwrap(),
        None
    );
    let first = repo.get_version(db.id, 1).await.unwrap();
    assert_eq!(first.value_sealed, b"sealed:DB_PASSWORD:1");

    let own = SecretFilter {
        owner_id: Some(alice.id),
        ..SecretFilter::default()
    };
    let page = repo.list(&own, PageRequest::first(1)).await.unwrap();
    assert_eq!(page.items, std::slice::from_ref(&api));
    let next = page.next.expect("a second page");
    let page = repo.list(&own, PageRequest::after(next, 1)).await.unwrap();
    assert_eq!(page.items, std::slice::from_ref(&db));
    assert_eq!(page.next, None);
    let everyone = repo
        .list(&SecretFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(everyone.items, [api.clone(), db.clone(), bobs.clone()]);
    let matching = SecretFilter {
        name_contains: Some("pass".into()),
        ..SecretFilter::default()
    };
    let found = repo.list(&matching, PageRequest::first(10)).await;
    assert_eq!(found.unwrap().items, std::slice::from_ref(&db));

    repo.delete(db.id).await.unwrap();
    assert!(matches!(repo.get(db.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        repo.get_version(db.id, 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        repo.delete(db.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn secret_names_are_unique_per_owner(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Operator).await;
    let repo = store.secrets();
    let now = Timestamp::now();
    repo.insert(secret(alice.id, "TOKEN"), now).await.unwrap();
    match repo.insert(secret(alice.id, "TOKEN"), now).await {
        Err(StoreError::Conflict { constraint }) => {
            assert_eq!(constraint, constraints::SECRET_NAME)
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    repo.insert(secret(bob.id, "TOKEN"), now).await.unwrap();
    assert!(matches!(
        repo.insert(secret(Uuid::now_v7(), "GHOST"), now).await,
        Err(StoreError::MissingReference)
    ));
}

pub async fn value_updates_add_versions_and_keep_only_the_newest(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let repo = store.secrets();
    let created = repo
        .insert(secret(alice.id, "TOKEN"), Timestamp::now())
        .await
        .unwrap();
    let id = created.id;
    // Metadata alone makes no version.
    let later = Timestamp::now();
    let changes = SecretChanges {
        description: Some("rotated monthly".into()),
        tags: Some(vec!["ci".into()]),
        value_sealed: None,
    };
    let updated = repo.update(id, 1, changes, 2, later).await.unwrap();
    assert_eq!(updated.version, 1);
    assert_eq!(updated.description, "rotated monthly");
    assert_eq!(updated.tags, ["ci"]);
    assert_eq!(updated.updated_at, later);
    assert_eq!(updated.created_at, created.created_at);

    // Keeping 2 previous versions: after versions 2, 3 and 4, version 1 is gone.
    for version in 2..=4 {
        let secret = repo
            .update(
                id,
                version - 1,
                new_value("TOKEN", version),
                2,
                Timestamp::now(),
            )
            .await
            .unwrap();
        assert_eq!(secret.version, version);
        assert_eq!(secret.description, "rotated monthly", "kept");
    }
    let versions = repo.versions(id).await.unwrap();
    let numbers: Vec<u32> = versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [4, 3, 2]);
    assert_eq!(versions[0].value_sealed, b"sealed:TOKEN:4");
    assert!(matches!(
        repo.get_version(id, 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(!format!("{:?}", versions[0]).contains("sealed:"));

    // A writer that read version 3 lost the race: nothing changes.
    assert!(matches!(
        repo.update(id, 3, new_value("TOKEN", 9), 2, Timestamp::now())
            .await,
        Err(StoreError::Stale(_))
    ));
    assert_eq!(repo.get(id).await.unwrap().version, 4);
    assert!(matches!(
        repo.update(Uuid::now_v7(), 1, new_value("X", 2), 2, Timestamp::now())
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn grants_are_idempotent_and_go_with_the_secret(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Readonly).await;
    let repo = store.secrets();
    let now = Timestamp::now();
    let token = repo.insert(secret(alice.id, "TOKEN"), now).await.unwrap();
    repo.grant(token.id, bob.id, now).await.unwrap();
    repo.grant(token.id, bob.id, now).await.unwrap();
    assert_eq!(repo.grantees(token.id).await.unwrap(), [bob.id]);
    repo.revoke(token.id, bob.id).await.unwrap();
    repo.revoke(token.id, bob.id).await.unwrap();
    assert!(repo.grantees(token.id).await.unwrap().is_empty());
    repo.grant(token.id, bob.id, now).await.unwrap();
    repo.delete(token.id).await.unwrap();
    assert!(repo.grantees(token.id).await.unwrap().is_empty());
}

pub async fn grantees_list_shared_secrets_with_their_own(store: Arc<dyn Store>) {
    let alice = user(&*store, "alice", Role::Operator).await;
    let bob = user(&*store, "bob", Role::Readonly).await;
    let repo = store.secrets();
    let now = Timestamp::now();
    let token = repo.insert(secret(alice.id, "TOKEN"), now).await.unwrap();
    repo.insert(secret(alice.id, "PRIVATE"), now).await.unwrap();
    let own = repo.insert(secret(bob.id, "BOBS"), now).await.unwrap();
    repo.grant(token.id, bob.id, now).await.unwrap();
    let shared = SecretFilter {
        owner_id: Some(bob.id),
        with_granted: true,
        ..SecretFilter::default()
    };
    let page = repo.list(&shared, PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items, [own.clone(), token.clone()]);
    let first = repo.list(&shared, PageRequest::first(1)).await.unwrap();
    let rest = repo
        .list(&shared, PageRequest::after(first.next.unwrap(), 1))
        .await
        .unwrap();
    assert_eq!((first.items, rest.items), (vec![own.clone()], vec![token]));
    let only_own = SecretFilter {
        with_granted: false,
        ..shared
    };
    let page = repo.list(&only_own, PageRequest::first(10)).await.unwrap();
    assert_eq!(page.items, [own]);
}

pub async fn instances_receive_secrets_and_keep_an_injection_state(store: Arc<dyn Store>) {
    let lab = crate::fixtures::lab_with(
        &*store,
        vec![
            crate::fixtures::guest(101, proxicloud_types::GuestType::Lxc, "web", "running"),
            crate::fixtures::guest(102, proxicloud_types::GuestType::Lxc, "db", "running"),
        ],
    )
    .await;
    let (web, db) = (lab.guests[0], lab.guests[1]);
    let repo = store.secrets();
    let now = Timestamp::now();
    let token = repo
        .insert(secret(lab.olga.id, "TOKEN"), now)
        .await
        .unwrap();
    let api = repo
        .insert(secret(lab.olga.id, "API_KEY"), now)
        .await
        .unwrap();
    repo.set_guest_secrets(web, &[token.id, api.id])
        .await
        .unwrap();
    repo.set_guest_secrets(db, &[token.id]).await.unwrap();
    assert_eq!(
        repo.guest_secrets(web).await.unwrap(),
        [api.clone(), token.clone()]
    );
    let mut users = vec![web, db];
    users.sort();
    assert_eq!(repo.guests_using(token.id).await.unwrap(), users);
    // Replacing the list drops what it no longer names.
    repo.set_guest_secrets(web, &[api.id]).await.unwrap();
    assert_eq!(repo.guests_using(token.id).await.unwrap(), [db]);
    assert!(matches!(
        repo.set_guest_secrets(web, &[Uuid::now_v7()]).await,
        Err(StoreError::MissingReference)
    ));
    assert_eq!(
        repo.guest_secrets(web).await.unwrap(),
        std::slice::from_ref(&api)
    );

    assert_eq!(repo.injection_state(web).await.unwrap(), None);
    let mut state = proxicloud_store::InjectionState {
        guest_id: web,
        status: "pending".into(),
        reason: None,
        managed: vec![],
        updated_at: now,
    };
    repo.put_injection_state(&state).await.unwrap();
    state.status = "applied".into();
    state.managed = vec!["API_KEY".into()];
    state.updated_at = later(now, 5);
    repo.put_injection_state(&state).await.unwrap();
    assert_eq!(repo.injection_state(web).await.unwrap(), Some(state));

    // A deleted secret leaves every instance's list.
    repo.delete(api.id).await.unwrap();
    assert!(repo.guest_secrets(web).await.unwrap().is_empty());
}
