use std::sync::Arc;

use proxicloud_store::{NewUser, PageRequest, Role, Store};
use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::DomainError;
use crate::iam::Principal;
use crate::jobs::tests::support::principal_with_role;
use crate::secrets::MasterKey;

const PLANTED: &str = "vault-test-value-7f3c9e";

struct World {
    store: Arc<dyn Store>,
    vault: VaultService,
}

async fn world(keep_versions: u32) -> World {
    let store = proxicloud_store::connect("sqlite::memory:").await.unwrap();
    let vault = VaultService::new(
        store.clone(),
        Arc::new(MasterKey::generate()),
        VaultConfig { keep_versions },
    );
    World { store, vault }
}

async fn user(store: &dyn Store, name: &str, role: Role) -> Principal {
    let user = store
        .users()
        .create(NewUser {
            username: name.into(),
            password_hash: "not-used".into(),
            role,
            disabled: false,
        })
        .await
        .unwrap();
    Principal {
        user_id: user.id,
        username: name.into(),
        ..principal_with_role(role)
    }
}

fn create(name: &str, value: &str) -> CreateSecret {
    CreateSecret {
        name: name.into(),
        value: SecretString::from(value),
        description: String::new(),
        tags: vec![],
    }
}

fn value_update(value: &str) -> UpdateSecret {
    UpdateSecret {
        value: Some(SecretString::from(value)),
        ..UpdateSecret::default()
    }
}

#[tokio::test]
async fn values_are_sealed_under_the_secret_and_version() {
    let w = world(10).await;
    let alice = user(&*w.store, "alice", Role::Operator).await;
    let secret = w
        .vault
        .create(&alice, create("TOKEN", PLANTED))
        .await
        .unwrap();
    let sealed = w.store.secrets().get_version(secret.id, 1).await.unwrap();
    assert!(
        !sealed
            .value_sealed
            .windows(PLANTED.len())
            .any(|w| w == PLANTED.as_bytes())
    );
    let revealed = w.vault.reveal(&alice, "TOKEN").await.unwrap();
    assert_eq!(revealed.value.expose_secret(), PLANTED);
    assert_eq!(revealed.secret.id, secret.id);
    // By id too.
    let by_id = w
        .vault
        .reveal(&alice, &secret.id.to_string())
        .await
        .unwrap();
    assert_eq!(by_id.value.expose_secret(), PLANTED);

    // A sealed value moved to another version does not open.
    let other = w
        .vault
        .update(&alice, "TOKEN", value_update("second"))
        .await
        .unwrap();
    assert_eq!(other.version, 2);
    w.store
        .secrets()
        .update(
            secret.id,
            2,
            proxicloud_store::SecretChanges {
                value_sealed: Some(sealed.value_sealed.clone()),
                ..Default::default()
            },
            10,
            proxicloud_store::Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(matches!(
        w.vault.reveal(&alice, "TOKEN").await,
        Err(DomainError::Internal(_))
    ));
}

#[tokio::test]
async fn updates_keep_n_versions_and_rollback_makes_a_new_one() {
    let w = world(2).await;
    let alice = user(&*w.store, "alice", Role::Operator).await;
    w.vault.create(&alice, create("TOKEN", "v1")).await.unwrap();
    for value in ["v2", "v3", "v4"] {
        w.vault
            .update(&alice, "TOKEN", value_update(value))
            .await
            .unwrap();
    }
    let (secret, versions) = w.vault.versions(&alice, "TOKEN").await.unwrap();
    assert_eq!(secret.version, 4);
    let numbers: Vec<(u32, bool)> = versions.iter().map(|v| (v.version, v.current)).collect();
    assert_eq!(numbers, [(4, true), (3, false), (2, false)]);

    let rolled = w.vault.rollback(&alice, "TOKEN", 2).await.unwrap();
    assert_eq!(rolled.version, 5);
    let revealed = w.vault.reveal(&alice, "TOKEN").await.unwrap();
    assert_eq!(revealed.value.expose_secret(), "v2");
    for gone in [1, 2, 5] {
        let error = w.vault.rollback(&alice, "TOKEN", gone).await.unwrap_err();
        assert!(
            matches!(error, DomainError::Validation(_)),
            "{gone}: {error:?}"
        );
    }
    // Metadata alone makes no version.
    let described = UpdateSecret {
        description: Some("  rotated  ".into()),
        tags: Some(vec!["ci".into()]),
        value: None,
    };
    let updated = w.vault.update(&alice, "TOKEN", described).await.unwrap();
    assert_eq!(
        (updated.version, updated.description.as_str()),
        (5, "rotated")
    );
}

#[tokio::test]
async fn who_may_see_read_and_change_a_secret() {
    let w = world(10).await;
    let alice = user(&*w.store, "alice", Role::Operator).await;
    let bob = user(&*w.store, "bob", Role::Operator).await;
    let admin = user(&*w.store, "root", Role::Admin).await;
    let viewer = user(&*w.store, "viewer", Role::Readonly).await;
    let secret = w
        .vault
        .create(&alice, create("TOKEN", PLANTED))
        .await
        .unwrap();
    let id = secret.id.to_string();

    assert!(matches!(
        w.vault.create(&viewer, create("MINE", "x")).await,
        Err(DomainError::Forbidden(_))
    ));
    // Bob has no secret of that name, and may not know Alice's by id.
    for key in ["TOKEN", id.as_str()] {
        assert!(matches!(
            w.vault.reveal(&bob, key).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            w.vault.delete(&bob, key).await,
            Err(DomainError::NotFound { .. })
        ));
    }
    assert!(w.vault.reveal(&admin, &id).await.is_ok());
    let page = w
        .vault
        .list(&bob, None, PageRequest::first(10))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    let page = w
        .vault
        .list(&admin, None, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(page.items, std::slice::from_ref(&secret));

    // A readonly owner lists and sees versions but reads no value, unless granted.
    let demoted = w
        .vault
        .create(&bob, create("DEMOTED", "kept"))
        .await
        .unwrap();
    let bob_readonly = Principal {
        role: Role::Readonly,
        ..bob.clone()
    };
    let listed = w
        .vault
        .list(&bob_readonly, None, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items, std::slice::from_ref(&demoted));
    assert!(w.vault.versions(&bob_readonly, "DEMOTED").await.is_ok());
    assert!(matches!(
        w.vault.reveal(&bob_readonly, "DEMOTED").await,
        Err(DomainError::Forbidden(_))
    ));
    assert!(matches!(
        w.vault
            .update(&bob_readonly, "DEMOTED", value_update("x"))
            .await,
        Err(DomainError::Forbidden(_))
    ));

    // A duplicate name is a conflict; a bad one a validation error naming the field.
    assert!(matches!(
        w.vault.create(&alice, create("TOKEN", "again")).await,
        Err(DomainError::Conflict {
            code: "secret_name_taken",
            ..
        })
    ));
    match w.vault.create(&alice, create("bad-name", "")).await {
        Err(DomainError::Validation(fields)) => {
            assert!(fields.contains_key("name") && fields.contains_key("value"));
            assert!(!fields.values().any(|m| m.contains(PLANTED)));
        }
        other => panic!(
            "expected a validation error, got {:?}",
            other.map(|s| s.name)
        ),
    }
    let deleted = w.vault.delete(&alice, "TOKEN").await.unwrap();
    assert_eq!(deleted.id, secret.id);
    assert!(matches!(
        w.vault.reveal(&alice, "TOKEN").await,
        Err(DomainError::NotFound { .. })
    ));
}

#[tokio::test]
async fn racing_updates_both_become_versions_and_none_is_lost() {
    let w = world(10).await;
    let alice = user(&*w.store, "alice", Role::Operator).await;
    w.vault.create(&alice, create("TOKEN", "v1")).await.unwrap();
    // Both read version 1 before either writes: one wins, the other reseals for the
    // next version instead of overwriting it.
    let (first, second) = tokio::join!(
        w.vault.update(&alice, "TOKEN", value_update("from-a")),
        w.vault.update(&alice, "TOKEN", value_update("from-b")),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let mut made = [first.version, second.version];
    made.sort();
    assert_eq!(made, [2, 3]);
    let (secret, versions) = w.vault.versions(&alice, "TOKEN").await.unwrap();
    assert_eq!(secret.version, 3);
    let numbers: Vec<u32> = versions.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [3, 2, 1]);
    let mut values = Vec::new();
    for version in [2, 3] {
        let rolled = w.vault.rollback(&alice, "TOKEN", version).await.unwrap();
        let read = w.vault.reveal(&alice, "TOKEN").await.unwrap();
        values.push(read.value.expose_secret().to_owned());
        assert_eq!(rolled.version, read.secret.version);
    }
    values.sort();
    assert_eq!(values, ["from-a", "from-b"]);
}

#[tokio::test]
async fn grantees_read_and_list_a_shared_secret_until_revoked() {
    let w = world(10).await;
    let alice = user(&*w.store, "alice", Role::Operator).await;
    let viewer = user(&*w.store, "viewer", Role::Readonly).await;
    let bob = user(&*w.store, "bob", Role::Operator).await;
    let secret = w
        .vault
        .create(&alice, create("TOKEN", PLANTED))
        .await
        .unwrap();
    let id = secret.id.to_string();
    assert!(matches!(
        w.vault.reveal(&viewer, &id).await,
        Err(DomainError::NotFound { .. })
    ));
    // Only who may change the secret grants it; a grantee may not pass it on.
    assert!(matches!(
        w.vault.grant(&bob, &id, "viewer").await,
        Err(DomainError::NotFound { .. })
    ));
    let (_, grantee) = w.vault.grant(&alice, "TOKEN", "viewer").await.unwrap();
    assert_eq!(grantee.user_id, viewer.user_id);
    w.vault.grant(&alice, "TOKEN", "viewer").await.unwrap();
    assert!(matches!(
        w.vault.grant(&alice, "TOKEN", "alice").await,
        Err(DomainError::Validation(_))
    ));
    assert!(matches!(
        w.vault.grant(&alice, "TOKEN", "nobody").await,
        Err(DomainError::Validation(_))
    ));
    let revealed = w.vault.reveal(&viewer, &id).await.unwrap();
    assert_eq!(revealed.value.expose_secret(), PLANTED);
    let listed = w
        .vault
        .list(&viewer, None, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items, std::slice::from_ref(&secret));
    assert!(matches!(
        w.vault.grant(&viewer, &id, "bob").await,
        Err(DomainError::Forbidden(_))
    ));
    assert!(matches!(
        w.vault.update(&viewer, &id, value_update("x")).await,
        Err(DomainError::Forbidden(_))
    ));
    // Bob sees nothing of it.
    let listed = w
        .vault
        .list(&bob, None, PageRequest::first(10))
        .await
        .unwrap();
    assert!(listed.items.is_empty());
    let (_, grantees) = w.vault.grants(&alice, "TOKEN").await.unwrap();
    assert_eq!(grantees, std::slice::from_ref(&grantee));

    w.vault
        .revoke(&alice, "TOKEN", &viewer.user_id.to_string())
        .await
        .unwrap();
    assert!(matches!(
        w.vault.reveal(&viewer, &id).await,
        Err(DomainError::NotFound { .. })
    ));
    let listed = w
        .vault
        .list(&viewer, None, PageRequest::first(10))
        .await
        .unwrap();
    assert!(listed.items.is_empty());
}
