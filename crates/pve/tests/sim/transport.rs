use std::time::Duration;

use proxicloud_pve::{
    AllocateVolume, Auth, ClusterConfig, ContentFilter, Fingerprint, HttpPve, Pve, PveError,
    Timeouts, TlsMode, VmId,
};
use reqwest::Method;

use crate::common::{
    TOKEN_ID, TOKEN_SECRET, control, fast_retry, finish, node, start_default, token_config,
};

fn disk(owner: VmId) -> AllocateVolume {
    AllocateVolume {
        vmid: owner,
        filename: format!("vm-{owner}-disk-0"),
        size: "1G".to_string(),
        format: None,
    }
}

/// An address nothing listens on: bind a port, then free it.
fn refused_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("https://127.0.0.1:{port}")
}

fn version_requests(sim: &proxicloud_pve_sim::RunningSim) -> usize {
    sim.recorded_entries()
        .iter()
        .filter(|e| e.request.path == "/version")
        .count()
}

#[tokio::test]
async fn pinned_fingerprint_is_required_and_checked() {
    let sim = start_default().await;
    let pinned = HttpPve::new(token_config(&sim)).unwrap();
    pinned
        .version()
        .await
        .expect("the right fingerprint connects");

    let other: Fingerprint = "00".repeat(32).parse().unwrap();
    let wrong = token_config(&sim).with_tls(TlsMode::Fingerprint(vec![other]));
    let err = HttpPve::new(wrong)
        .unwrap()
        .version()
        .await
        .expect_err("refused");
    let PveError::Tls { message } = &err else {
        panic!("expected a TLS error, got {err:?}");
    };
    let presented = sim.fingerprint.clone().unwrap();
    assert!(
        message.contains(&presented),
        "names the presented fingerprint: {message}"
    );

    let system = token_config(&sim).with_tls(TlsMode::System);
    let err = HttpPve::new(system)
        .unwrap()
        .version()
        .await
        .expect_err("self-signed");
    assert!(matches!(err, PveError::Tls { .. }), "{err:?}");

    let insecure = token_config(&sim).with_tls(TlsMode::Insecure);
    HttpPve::new(insecure)
        .unwrap()
        .version()
        .await
        .expect("explicitly insecure");
    finish(sim).await;
}

fn der_of(pem: &str) -> Vec<u8> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes())
        .expect("a PEM certificate")
        .to_vec()
}

/// The usual set-up for a cluster with PVE's own CA: trust `pve-root-ca.pem`, and
/// every node certificate it signed is accepted — a foreign CA's are not.
#[tokio::test]
async fn trusting_the_cluster_ca_accepts_its_node_certificates_only() {
    let sim = start_default().await;
    let other = start_default().await;
    let own_ca = der_of(sim.ca_pem.as_deref().expect("the simulator has a CA"));
    let node_certificate = der_of(sim.certificate_pem.as_deref().unwrap());

    for bundle in [vec![own_ca.clone()], vec![node_certificate]] {
        let trusted = token_config(&sim).with_tls(TlsMode::Trust(bundle));
        HttpPve::new(trusted)
            .unwrap()
            .version()
            .await
            .expect("its CA, or the node certificate itself, is trusted");
    }

    let foreign_ca = der_of(other.ca_pem.as_deref().unwrap());
    let foreign = token_config(&sim).with_tls(TlsMode::Trust(vec![foreign_ca]));
    let err = HttpPve::new(foreign)
        .unwrap()
        .version()
        .await
        .expect_err("another cluster's CA did not sign this node");
    let PveError::Tls { message } = &err else {
        panic!("expected a TLS error, got {err:?}");
    };
    assert!(message.contains("UnknownIssuer"), "{message}");

    let empty = token_config(&sim).with_tls(TlsMode::Trust(Vec::new()));
    assert!(matches!(HttpPve::new(empty), Err(PveError::Config(_))));
    finish(other).await;
    finish(sim).await;
}

#[tokio::test]
async fn fails_over_to_the_next_address_and_stays_there() {
    let sim = start_default().await;
    let dead = refused_address();
    let mut config = ClusterConfig::new(
        [dead.as_str(), sim.base_url.as_str()],
        Auth::token(TOKEN_ID, TOKEN_SECRET),
    )
    .unwrap()
    .with_retry(fast_retry());
    config.tls = token_config(&sim).tls;
    let pve = HttpPve::new(config.clone()).unwrap();
    assert!(pve.current_address().as_str().starts_with(&dead));
    pve.version().await.expect("second address answers");
    assert_eq!(pve.current_address().as_str(), format!("{}/", sim.base_url));
    // Writes fail over too: a refused connection means nothing was sent.
    let owner = pve.next_id(None).await.unwrap();
    let volid = pve
        .allocate_volume(&node("pve1"), "local-lvm", &disk(owner))
        .await
        .expect("write via second address");
    pve.delete_volume(&node("pve1"), "local-lvm", &volid)
        .await
        .unwrap();
    assert_eq!(pve.current_address().as_str(), format!("{}/", sim.base_url));

    config.addresses.truncate(1);
    config
        .addresses
        .push(proxicloud_pve::parse_address(&refused_address()).unwrap());
    let err = HttpPve::new(config)
        .unwrap()
        .version()
        .await
        .expect_err("nobody listens");
    let PveError::Unreachable { attempts } = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    finish(sim).await;
}

#[tokio::test]
async fn dropped_connections_fail_over_for_reads_but_not_for_writes() {
    let down = start_default().await;
    let healthy = start_default().await;
    // Two nodes, two self-signed certificates: both fingerprints are pinned.
    let both: Vec<Fingerprint> = [&down, &healthy]
        .iter()
        .map(|sim| sim.fingerprint.as_deref().unwrap().parse().unwrap())
        .collect();
    let config = ClusterConfig::new(
        [down.base_url.as_str(), healthy.base_url.as_str()],
        Auth::token(TOKEN_ID, TOKEN_SECRET),
    )
    .unwrap()
    .with_tls(TlsMode::Fingerprint(both))
    .with_retry(fast_retry());
    let pve = HttpPve::new(config).unwrap();
    control(&down, Method::POST, "api/down").await;

    // First call, so the client still starts at the dead address.
    let owner = VmId::new(4242).unwrap();
    let err = pve
        .allocate_volume(&node("pve1"), "local-lvm", &disk(owner))
        .await
        .expect_err("a write whose connection dropped is not sent elsewhere");
    assert!(matches!(err, PveError::Connection { .. }), "{err:?}");
    assert_eq!(
        pve.current_address().as_str(),
        format!("{}/", down.base_url)
    );

    pve.version()
        .await
        .expect("a read moves on to the healthy node");
    assert_eq!(
        pve.current_address().as_str(),
        format!("{}/", healthy.base_url)
    );
    let healthy_writes = healthy
        .recorded_entries()
        .iter()
        .filter(|e| e.request.path.ends_with("/storage/local-lvm/content"))
        .count();
    assert_eq!(
        healthy_writes, 0,
        "the failed write never reached the other node"
    );
    control(&down, Method::POST, "api/up").await;
    finish(down).await;
    finish(healthy).await;
}

#[tokio::test]
async fn gets_are_retried_on_server_errors_writes_never() {
    let sim = start_default().await;
    let pve = HttpPve::new(token_config(&sim)).unwrap();

    control(
        &sim,
        Method::POST,
        "api/errors?status=503&count=2&message=busy",
    )
    .await;
    pve.version().await.expect("third attempt succeeds");
    assert_eq!(version_requests(&sim), 3);

    let pve1 = node("pve1");
    let owner = pve.next_id(None).await.unwrap();
    control(
        &sim,
        Method::POST,
        "api/errors?status=500&count=1&message=boom",
    )
    .await;
    let err = pve
        .allocate_volume(&pve1, "local-lvm", &disk(owner))
        .await
        .expect_err("the injected error is returned");
    assert!(
        matches!(&err, PveError::Server { status: 500, message } if message == "boom"),
        "{err:?}"
    );
    let owned = ContentFilter {
        content: None,
        vmid: Some(owner),
    };
    let volumes = pve
        .storage_content(&pve1, "local-lvm", &owned)
        .await
        .unwrap();
    assert!(volumes.is_empty(), "the POST was not repeated: {volumes:?}");

    control(
        &sim,
        Method::POST,
        "api/errors?status=501&count=2&message=Method%20%27GET%20%2Fversion%27%20not%20implemented",
    )
    .await;
    let before = version_requests(&sim);
    let err = pve.version().await.expect_err("501 is final");
    assert!(
        matches!(err, PveError::MethodNotImplemented { .. }),
        "{err:?}"
    );
    assert_eq!(version_requests(&sim), before + 1, "501 is not retried");
    control(&sim, Method::POST, "reset").await;

    control(&sim, Method::POST, "api/down").await;
    let err = pve.version().await.expect_err("connections are dropped");
    assert!(err.is_transient(), "{err:?}");
    control(&sim, Method::POST, "api/up").await;
    pve.version().await.expect("back up");
    finish(sim).await;
}

#[tokio::test]
async fn every_call_has_a_timeout() {
    let sim = start_default().await;
    let config = token_config(&sim).with_timeouts(Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_millis(300),
    });
    let pve = HttpPve::new(config).unwrap();
    control(&sim, Method::POST, "api/latency?ms=1500").await;
    let started = std::time::Instant::now();
    let err = pve.version().await.expect_err("slower than the timeout");
    assert!(matches!(err, PveError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let err = pve
        .allocate_volume(&node("pve1"), "local-lvm", &disk(VmId::new(4242).unwrap()))
        .await
        .expect_err("timeout");
    assert!(matches!(err, PveError::Timeout { .. }), "{err:?}");
    control(&sim, Method::POST, "reset").await;
    // Give the slow requests time to land before the schema check reads the log.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    finish(sim).await;
}
