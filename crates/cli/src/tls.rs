//! The server's own HTTPS identity: a certificate and key from files
//! (`--tls-cert/--tls-key`), or a self-signed certificate made on first start and kept
//! in `<data_dir>/tls/` (owner-only, like the master key) so browsers that accepted it
//! once keep accepting it. Its SHA-256 fingerprint is printed at start: the way to
//! check, on first contact, that the certificate is this server's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::config::TlsConfig;

/// What `serve` needs to speak HTTPS, and what it prints about it.
pub struct ServerIdentity {
    pub config: Arc<ServerConfig>,
    /// `AB:CD:…`, SHA-256 of the leaf certificate.
    pub fingerprint: String,
    /// Made just now (first start with `self_signed`).
    pub generated: bool,
}

/// `None` when TLS is off.
pub fn load(
    tls: &TlsConfig,
    data_dir: &Path,
    listen: SocketAddr,
) -> anyhow::Result<Option<ServerIdentity>> {
    let (cert, key, generated) = match (tls.cert.is_empty(), tls.key.is_empty()) {
        (false, false) => (PathBuf::from(&tls.cert), PathBuf::from(&tls.key), false),
        (true, true) if tls.self_signed => {
            let dir = data_dir.join("tls");
            let generated = ensure_self_signed(&dir, listen)?;
            (dir.join("cert.pem"), dir.join("key.pem"), generated)
        }
        (true, true) => return Ok(None),
        _ => bail!("TLS needs both a certificate and its key (tls.cert and tls.key)"),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .with_context(|| format!("reading the TLS certificate {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing the TLS certificate {}", cert.display()))?;
    let leaf = chain
        .first()
        .with_context(|| format!("no certificate in {}", cert.display()))?;
    let fingerprint = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_file(&key)
        .with_context(|| format!("reading the TLS key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the TLS certificate and key do not belong together")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(ServerIdentity {
        config: Arc::new(config),
        fingerprint,
        generated,
    }))
}

/// Makes `dir/cert.pem` and `dir/key.pem` unless both exist; whether it made them.
fn ensure_self_signed(dir: &Path, listen: SocketAddr) -> anyhow::Result<bool> {
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert_path.exists() && key_path.exists() {
        return Ok(false);
    }
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if let Some(host) = gethostname::gethostname()
        .to_str()
        .filter(|h| !h.is_empty())
    {
        names.push(host.to_owned());
    }
    if !listen.ip().is_unspecified() && !listen.ip().is_loopback() {
        names.push(listen.ip().to_string());
    }
    let certified =
        rcgen::generate_simple_self_signed(names).context("generating a certificate")?;
    write_private(&key_path, certified.signing_key.serialize_pem().as_bytes())?;
    write_private(&cert_path, certified.cert.pem().as_bytes())?;
    Ok(true)
}

/// Owner-only, like everything in the data directory.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// `AB:CD:…` — SHA-256 of the DER certificate, the notation browsers show.
fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
