//! Generated pairs work as SSH keys (a signature made with the private key verifies
//! with the public key we inject), and agree with OpenSSH's `ssh-keygen` (installed
//! by scripts/install-test-deps.sh) on the public key and the fingerprint.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use secrecy::ExposeSecret;
use ssh_key::public::{KeyData, RsaPublicKey};
use ssh_key::{Mpint, PrivateKey, PublicKey, SshSig};

use super::*;

/// `ssh-keygen -lf` of this key printed
/// `256 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU user@host (ED25519)`.
const REAL_ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";

fn ssh_keygen(args: &[&str]) -> String {
    let output = Command::new("ssh-keygen")
        .args(args)
        .output()
        .expect("ssh-keygen runs (scripts/install-test-deps.sh installs openssh-client)");
    assert!(
        output.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The generated private key signs; the public line we store (and inject into
/// guests) verifies it; OpenSSH derives the same public key from the private key
/// file we hand out and prints the same fingerprint.
fn check_pair(algorithm: KeyAlgorithm, expected_type: &str, bits: &str) {
    let pair = generate(algorithm, "alice-laptop").unwrap();
    assert_eq!(pair.public.key_type, expected_type);
    assert!(pair.public.line.starts_with(expected_type));
    assert!(pair.public.line.ends_with(" alice-laptop"));
    let pem = pair.private_openssh.expose_secret();
    assert!(pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));

    PrivateKey::from_openssh(pem).expect("the private key reads back");

    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("id");
    std::fs::write(&key_file, pem).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();

    // OpenSSH signs with the private key file we hand out…
    let message = b"proxicloud proves possession";
    std::fs::write(path("message"), message).unwrap();
    ssh_keygen(&[
        "-Y",
        "sign",
        "-f",
        &path("id"),
        "-n",
        "proxicloud",
        &path("message"),
    ]);
    let signature = std::fs::read_to_string(path("message.sig")).unwrap();
    // …and the public line we store and inject into guests verifies it, both for
    // OpenSSH (an allowed_signers file, as sshd's authorized_keys) and for ssh-key.
    std::fs::write(path("allowed"), format!("alice {}\n", pair.public.line)).unwrap();
    let verified = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-f",
            &path("allowed"),
            "-I",
            "alice",
            "-n",
            "proxicloud",
        ])
        .args(["-s", &path("message.sig")])
        .stdin(std::fs::File::open(path("message")).unwrap())
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let signature = SshSig::from_pem(signature).unwrap();
    let injected = PublicKey::from_openssh(&pair.public.line).unwrap();
    injected
        .verify("proxicloud", message, &signature)
        .expect("the injected public key verifies the private key's signature");
    let stranger = generate(KeyAlgorithm::Ed25519, "stranger").unwrap();
    let stranger = PublicKey::from_openssh(&stranger.public.line).unwrap();
    assert!(stranger.verify("proxicloud", message, &signature).is_err());

    let derived = ssh_keygen(&["-y", "-f", key_file.to_str().unwrap()]);
    let blob = |line: &str| {
        line.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(blob(&derived), blob(&pair.public.line));
    let pub_file = dir.path().join("id.pub");
    std::fs::write(&pub_file, &pair.public.line).unwrap();
    let listed = ssh_keygen(&["-lf", pub_file.to_str().unwrap()]);
    let mut fields = listed.split_whitespace();
    assert_eq!(fields.next(), Some(bits), "{listed}");
    assert_eq!(fields.next(), Some(pair.public.fingerprint.as_str()));
}

#[test]
fn generated_ed25519_pairs_authenticate_and_match_ssh_keygen() {
    check_pair(KeyAlgorithm::Ed25519, "ssh-ed25519", "256");
}

#[test]
fn generated_rsa_pairs_are_4096_bits_authenticate_and_match_ssh_keygen() {
    check_pair(KeyAlgorithm::Rsa, "ssh-rsa", "4096");
}

#[test]
fn imported_keys_keep_their_comment_and_get_ssh_keygens_fingerprint() {
    let half = parse_public(&format!("  {REAL_ED25519}\n")).unwrap();
    assert_eq!(half.key_type, "ssh-ed25519");
    assert_eq!(half.line, REAL_ED25519);
    assert_eq!(
        half.fingerprint,
        "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"
    );
}

fn rsa_line(modulus_bytes: usize) -> String {
    let mut n = vec![0xC5; modulus_bytes];
    n[modulus_bytes - 1] |= 1;
    let data = KeyData::Rsa(RsaPublicKey {
        e: Mpint::from_positive_bytes(&[1, 0, 1]).unwrap(),
        n: Mpint::from_positive_bytes(&n).unwrap(),
    });
    PublicKey::new(data, "small").to_openssh().unwrap()
}

#[test]
fn bad_public_keys_say_what_is_wrong() {
    let cases = [
        ("not a key".to_owned(), "is not an OpenSSH public key"),
        (
            "ssh-ed25519 AAAA%%%".to_owned(),
            "is not an OpenSSH public key",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----".to_owned(),
            "this is a private key",
        ),
        (
            format!("{REAL_ED25519}\n{REAL_ED25519}"),
            "single public key",
        ),
        (rsa_line(128), "at least 2048 bits (this one has 1024)"),
        (
            format!("{REAL_ED25519}{}", "x".repeat(300)),
            "longer than 255",
        ),
    ];
    for (line, expected) in cases {
        let problem = parse_public(&line).unwrap_err();
        assert!(problem.contains(expected), "{line}: {problem}");
    }
    assert!(parse_public(&rsa_line(256)).is_ok(), "2048 bits are enough");
}
