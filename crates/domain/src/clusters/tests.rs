//! Administration and sealing; connection behaviour against the simulator is tested
//! in `tests/sim`.

use proxicloud_store::Role;
use secrecy::SecretString;

use super::*;
use crate::jobs::tests::support::principal_with_role;

const SECRET: &str = "6b1e9f4c-planted-secret-2d7a";

fn admin() -> Principal {
    principal_with_role(Role::Admin)
}

async fn service() -> (ClusterService, Arc<dyn Store>, Arc<MasterKey>) {
    let store = proxicloud_store::connect("sqlite::memory:")
        .await
        .expect("in-memory store");
    let key = Arc::new(MasterKey::generate());
    let service = ClusterService::new(store.clone(), key.clone(), ConnectOptions::default());
    (service, store, key)
}

fn input(name: &str) -> ClusterInput {
    ClusterInput {
        name: name.into(),
        addresses: vec!["pve1.example.com".into()],
        auth: AuthInput::ApiToken {
            token_id: "root@pam!proxicloud".into(),
            secret: Some(SecretString::from(SECRET)),
        },
        tls_fingerprint: None,
        ca_pem: None,
        verify_tls: true,
    }
}

#[tokio::test]
async fn created_clusters_store_only_the_sealed_secret() {
    let (service, store, key) = service().await;
    let info = service
        .create(&admin(), input("lab"))
        .await
        .expect("created");
    assert!(info.secret_set);
    assert_eq!(info.addresses, ["https://pve1.example.com:8006"]);
    assert!(!format!("{info:?}").contains(SECRET));

    let stored = store.clusters().get(info.id).await.expect("stored");
    let ciphertext = &stored.config.secret_ciphertext;
    assert!(
        !ciphertext
            .windows(SECRET.len())
            .any(|w| w == SECRET.as_bytes())
    );
    let opened = key
        .open(ciphertext, &format!("cluster:{}:secret", info.id))
        .expect("sealed for this cluster");
    assert_eq!(opened.expose_secret(), SECRET);
}

#[tokio::test]
async fn cluster_administration_is_for_admins_only() {
    let (service, _, _) = service().await;
    let created = service
        .create(&admin(), input("lab"))
        .await
        .expect("created");
    for role in [Role::Operator, Role::Readonly] {
        let caller = principal_with_role(role);
        assert!(matches!(
            service.list(&caller).await,
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            service.create(&caller, input("x")).await,
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            service.get(&caller, created.id).await,
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            service.delete(&caller, created.id, Some("x")).await,
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            service.test(&caller, created.id).await,
            Err(DomainError::Forbidden(_))
        ));
    }
}

#[tokio::test]
async fn updates_keep_the_secret_unless_a_new_one_is_given() {
    let (service, store, key) = service().await;
    let created = service
        .create(&admin(), input("lab"))
        .await
        .expect("created");
    let before = store.clusters().get(created.id).await.expect("stored");

    let mut renamed = input("lab-2");
    renamed.auth = AuthInput::ApiToken {
        token_id: "root@pam!other".into(),
        secret: None,
    };
    let updated = service
        .update(&admin(), created.id, renamed)
        .await
        .expect("updated");
    assert_eq!(updated.name, "lab-2");
    let after = store.clusters().get(created.id).await.expect("stored");
    assert_eq!(
        after.config.secret_ciphertext,
        before.config.secret_ciphertext
    );

    let mut rotated = input("lab-2");
    rotated.auth = AuthInput::ApiToken {
        token_id: "root@pam!other".into(),
        secret: Some(SecretString::from("new-secret")),
    };
    service
        .update(&admin(), created.id, rotated)
        .await
        .expect("rotated");
    let after = store.clusters().get(created.id).await.expect("stored");
    let context = format!("cluster:{}:secret", created.id);
    let opened = key
        .open(&after.config.secret_ciphertext, &context)
        .expect("opens");
    assert_eq!(opened.expose_secret(), "new-secret");
}

#[tokio::test]
async fn switching_to_a_password_login_requires_the_password() {
    let (service, _, _) = service().await;
    let created = service
        .create(&admin(), input("lab"))
        .await
        .expect("created");
    let mut switched = input("lab");
    switched.auth = AuthInput::Password {
        username: "root@pam".into(),
        password: None,
    };
    match service.update(&admin(), created.id, switched).await {
        Err(DomainError::Validation(fields)) => assert!(fields.contains_key("auth.password")),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn names_are_unique_and_unknown_ids_are_not_found() {
    let (service, _, _) = service().await;
    service
        .create(&admin(), input("lab"))
        .await
        .expect("created");
    match service.create(&admin(), input("lab")).await {
        Err(DomainError::Conflict { code, .. }) => assert_eq!(code, "cluster_name_taken"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let missing = Uuid::now_v7();
    assert!(matches!(
        service.get(&admin(), missing).await,
        Err(DomainError::NotFound {
            resource: "cluster"
        })
    ));
    assert!(matches!(
        service.update(&admin(), missing, input("x")).await,
        Err(DomainError::NotFound {
            resource: "cluster"
        })
    ));
    assert!(matches!(
        service.delete(&admin(), missing, Some("lab")).await,
        Err(DomainError::NotFound {
            resource: "cluster"
        })
    ));
}

#[tokio::test]
async fn changes_are_announced_and_clients_rebuilt_after_updates() {
    let (service, _, _) = service().await;
    let mut feed = service.subscribe_changes();
    let created = service
        .create(&admin(), input("lab"))
        .await
        .expect("created");
    assert_eq!(
        feed.recv().await.ok(),
        Some(ClusterChange::Created(created.id))
    );

    let cluster = service.load(created.id).await.expect("loads");
    let first = service.connect(&cluster).expect("client");
    let again = service.connect(&cluster).expect("client");
    assert!(
        Arc::ptr_eq(&first, &again),
        "one client per cluster version"
    );

    service
        .update(&admin(), created.id, input("lab"))
        .await
        .expect("updated");
    assert_eq!(
        feed.recv().await.ok(),
        Some(ClusterChange::Updated(created.id))
    );
    let cluster = service.load(created.id).await.expect("loads");
    let rebuilt = service.connect(&cluster).expect("client");
    assert!(!Arc::ptr_eq(&first, &rebuilt));

    let unconfirmed = service
        .delete(&admin(), created.id, Some("not-its-name"))
        .await;
    assert!(
        matches!(&unconfirmed, Err(DomainError::Validation(fields)) if fields.contains_key("confirm")),
        "{unconfirmed:?}"
    );
    let name = service
        .load(created.id)
        .await
        .expect("still there")
        .config
        .name;
    service
        .delete(&admin(), created.id, Some(&name))
        .await
        .expect("deleted");
    assert_eq!(
        feed.recv().await.ok(),
        Some(ClusterChange::Deleted(created.id))
    );
}

#[tokio::test]
async fn a_secret_sealed_for_another_cluster_is_a_configuration_failure() {
    let (service, store, _) = service().await;
    let one = service
        .create(&admin(), input("one"))
        .await
        .expect("created");
    let two = service
        .create(&admin(), input("two"))
        .await
        .expect("created");
    // Copy cluster one's ciphertext into cluster two's row: it must not open there.
    let one_row = store.clusters().get(one.id).await.expect("stored");
    let mut two_config = store.clusters().get(two.id).await.expect("stored").config;
    two_config.secret_ciphertext = one_row.config.secret_ciphertext;
    store
        .clusters()
        .update(two.id, two_config)
        .await
        .expect("tampered");

    match service
        .test(&admin(), two.id)
        .await
        .expect("the test itself runs")
    {
        ConnectionTest::Failed(failure) => {
            assert_eq!(failure.kind, FailureKind::Configuration);
            assert!(failure.message.contains("decrypted"), "{}", failure.message);
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn registering_twice_replaces_the_cluster_of_that_name() {
    let (service, store, _) = service().await;
    let first = service.register(input("demo")).await.expect("registered");
    let mut moved = input("demo");
    moved.addresses = vec!["https://127.0.0.1:40123".into()];
    let second = service.register(moved).await.expect("re-registered");
    assert_eq!(second.id, first.id);
    assert_eq!(second.addresses, ["https://127.0.0.1:40123"]);
    assert_eq!(store.clusters().list().await.expect("lists").len(), 1);
}
