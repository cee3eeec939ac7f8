//! `serve` over HTTPS: a self-signed certificate made on first start (owner-only files
//! in the data directory), printed fingerprint = the certificate the server presents,
//! kept across restarts; the same files given as `--tls-cert/--tls-key`; plain HTTP
//! to the port gets no answer; a certificate without its key is refused at start.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::ServeProcess;
use sha2::{Digest, Sha256};

const ADMIN_PASSWORD: &str = "tls-admin-password";

/// `GET /healthz` over HTTPS; the fingerprint of the certificate the server presented.
fn presented_fingerprint(url: &str) -> String {
    let client = reqwest::blocking::Client::builder()
        // The test checks the certificate itself, by its fingerprint.
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .build()
        .unwrap();
    let response = client.get(format!("{url}/healthz")).send().unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let info = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .expect("TLS info");
    let der = info.peer_certificate().expect("a server certificate");
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn https_with_a_self_signed_certificate_kept_across_restarts_or_given_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServeProcess::start(&data, ADMIN_PASSWORD, &["--tls-self-signed"]);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let printed = server
        .fingerprint
        .clone()
        .expect("a fingerprint is printed");
    assert_eq!(presented_fingerprint(&server.url), printed);
    let (cert, key) = (data.join("tls/cert.pem"), data.join("tls/key.pem"));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&cert), 0o600);
    assert_eq!(mode(&data.join("tls")), 0o700);
    // Plain HTTP to the HTTPS port gets no HTTP answer.
    let plain = reqwest::blocking::get(server.url.replace("https://", "http://") + "/healthz");
    assert!(plain.is_err(), "{plain:?}");
    assert!(server.stop().success());

    // Restarted: the same certificate (browsers that accepted it keep accepting it).
    let again = ServeProcess::start(&data, ADMIN_PASSWORD, &["--tls-self-signed"]);
    assert_eq!(again.fingerprint.as_deref(), Some(printed.as_str()));
    assert_eq!(presented_fingerprint(&again.url), printed);
    assert!(again.stop().success());

    // The same files as an operator's own certificate.
    let other = dir.path().join("other");
    let (cert_arg, key_arg) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let given = ServeProcess::start(
        &other,
        ADMIN_PASSWORD,
        &["--tls-cert", cert_arg, "--tls-key", key_arg],
    );
    assert_eq!(given.fingerprint.as_deref(), Some(printed.as_str()));
    assert_eq!(presented_fingerprint(&given.url), printed);
    assert!(given.stop().success());

    // A certificate with a key that is not a key: refused at start, saying why.
    let refused = Command::new(env!("CARGO_BIN_EXE_proxicloud"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("third"))
        .args(["--tls-cert", cert_arg, "--tls-key", cert_arg])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("TLS key"), "{stderr}");
}
