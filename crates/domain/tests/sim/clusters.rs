//! Connection tests give the version, nodes and latency, or the precise mistake.

use std::time::Duration;

use proxicloud_domain::clusters::{AuthInput, ClusterInput, ConnectionTest, FailureKind};
use proxicloud_domain::iam::Principal;
use proxicloud_store::Role;
use secrecy::SecretString;

use crate::common::{assert_schema_valid, control, harness, sim_input, user};

async fn register_and_test(
    h: &crate::common::Harness,
    admin: &Principal,
    input: ClusterInput,
) -> ConnectionTest {
    let cluster = h.clusters.create(admin, input).await.expect("created");
    h.clusters.test(admin, cluster.id).await.expect("test runs")
}

fn failure(outcome: ConnectionTest) -> (FailureKind, String) {
    match outcome {
        ConnectionTest::Failed(failure) => (failure.kind, failure.message),
        ok => panic!("expected a failed test, got {ok:?}"),
    }
}

#[tokio::test]
async fn a_working_cluster_reports_version_nodes_and_latency() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = h.register_sim(&admin).await;
    match h
        .clusters
        .test(&admin, cluster.id)
        .await
        .expect("test runs")
    {
        ConnectionTest::Ok {
            version,
            nodes,
            latency_ms,
        } => {
            assert_eq!(version, "9.1.1");
            assert_eq!(nodes.len(), 3, "{nodes:?}");
            assert!(nodes.iter().all(|n| n.starts_with("pve")), "{nodes:?}");
            assert!(latency_ms < 5_000);
        }
        failed => panic!("expected success, got {failed:?}"),
    }
    assert_schema_valid(&h.sim);
    h.sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_secret_is_reported_as_unauthorized() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let cluster = h.register_sim(&admin).await;
    let mut broken = sim_input(&h.sim);
    broken.auth = AuthInput::ApiToken {
        token_id: crate::common::TOKEN_ID.into(),
        secret: Some(SecretString::from("00000000-wrong-secret")),
    };
    h.clusters
        .update(&admin, cluster.id, broken)
        .await
        .expect("updated");
    let (kind, message) = failure(
        h.clusters
            .test(&admin, cluster.id)
            .await
            .expect("test runs"),
    );
    assert_eq!(kind, FailureKind::Unauthorized, "{message}");
    assert!(!message.contains("wrong-secret"), "{message}");
    h.sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_fingerprint_is_reported_as_a_tls_failure() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let mut input = sim_input(&h.sim);
    input.tls_fingerprint = Some("AB".repeat(32));
    let (kind, message) = failure(register_and_test(&h, &admin, input).await);
    assert_eq!(kind, FailureKind::Tls, "{message}");
    let presented = h.sim.fingerprint.clone().expect("https");
    assert!(
        message.contains(&presented),
        "names what the server presented: {message}"
    );
    h.sim.shutdown().await;
}

/// Registering with the cluster's CA (`pve-root-ca.pem`) instead of a fingerprint
/// works; another cluster's CA is refused as a TLS failure.
#[tokio::test]
async fn the_cluster_ca_can_be_trusted_instead_of_a_fingerprint() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let mut input = sim_input(&h.sim);
    input.tls_fingerprint = None;
    input.ca_pem = h.sim.ca_pem.clone();
    let outcome = register_and_test(&h, &admin, input).await;
    assert!(matches!(outcome, ConnectionTest::Ok { .. }), "{outcome:?}");

    let other = crate::common::start_sim().await;
    let mut foreign = sim_input(&h.sim);
    foreign.name = "foreign-ca".into();
    foreign.tls_fingerprint = None;
    foreign.ca_pem = other.ca_pem.clone();
    let (kind, message) = failure(register_and_test(&h, &admin, foreign).await);
    assert_eq!(kind, FailureKind::Tls, "{message}");
    other.shutdown().await;
    h.sim.shutdown().await;
}

#[tokio::test]
async fn nothing_listening_is_unreachable_and_a_slow_cluster_times_out() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;

    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut nowhere = sim_input(&h.sim);
    nowhere.name = "nowhere".into();
    nowhere.addresses = vec![format!("https://127.0.0.1:{closed_port}")];
    let nowhere = h.clusters.create(&admin, nowhere).await.expect("created");
    let (kind, message) = failure(
        h.clusters
            .test(&admin, nowhere.id)
            .await
            .expect("test runs"),
    );
    assert_eq!(kind, FailureKind::Unreachable, "{message}");

    let slow = h.register_sim(&admin).await;
    control(&h.sim, reqwest::Method::POST, "api/latency?ms=1500").await;
    let started = std::time::Instant::now();
    let (kind, message) = failure(h.clusters.test(&admin, slow.id).await.expect("test runs"));
    assert_eq!(kind, FailureKind::Timeout, "{message}");
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "gave up at the test limit"
    );
    h.sim.shutdown().await;
}

#[tokio::test]
async fn a_password_login_works_too() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let mut input = sim_input(&h.sim);
    input.auth = AuthInput::Password {
        username: crate::common::USER.into(),
        password: Some(SecretString::from(crate::common::PASSWORD)),
    };
    let outcome = register_and_test(&h, &admin, input).await;
    assert!(matches!(outcome, ConnectionTest::Ok { .. }), "{outcome:?}");
    assert_schema_valid(&h.sim);
    h.sim.shutdown().await;
}
