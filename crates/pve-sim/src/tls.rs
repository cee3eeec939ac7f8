//! The simulator's HTTPS identity: a self-signed certificate generated at start,
//! like the one every fresh PVE node serves, and its SHA-256 fingerprint in the
//! notation PVE shows (`AB:CD:…`), which clients pin.

use std::sync::Arc;

use anyhow::Context;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// A generated certificate with its key, ready for rustls.
pub struct SelfSigned {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
}

impl SelfSigned {
    /// A certificate valid for `localhost`, `127.0.0.1`, `::1` and every node name, so a
    /// client may address the simulator by any of them.
    pub fn generate(node_names: &[String]) -> anyhow::Result<Self> {
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        names.extend(node_names.iter().cloned());
        let certified =
            rcgen::generate_simple_self_signed(names).context("generating certificate")?;
        Ok(Self {
            cert_der: certified.cert.der().to_vec(),
            key_der: certified.signing_key.serialize_der(),
            cert_pem: certified.cert.pem(),
        })
    }

    /// `AB:CD:…` — SHA-256 of the DER certificate, as `pvenode cert info` prints it.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.cert_der)
    }

    /// rustls server config on the ring provider. ALPN offers only HTTP/1.1 because
    /// pveproxy speaks nothing else; a client that would negotiate h2 must not pass here
    /// and then fail against real PVE.
    pub fn server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cert = CertificateDer::from(self.cert_der.clone());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .context("loading the generated certificate")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Upper-case hex bytes joined by colons.
pub fn fingerprint_of(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_colon_separated_upper_hex_sha256() {
        let fp = fingerprint_of(b"abc");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.starts_with("BA:78:16:BF:8F:01:CF:EA"));
    }

    #[test]
    fn generated_certificate_loads_into_rustls() {
        let cert = SelfSigned::generate(&["pve1".to_string()]).unwrap();
        assert!(cert.server_config().is_ok());
        assert_eq!(cert.fingerprint(), fingerprint_of(&cert.cert_der));
    }
}
