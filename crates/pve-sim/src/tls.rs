//! The simulator's HTTPS identity, made like a fresh PVE cluster's: a private
//! cluster CA (`pve-root-ca.pem`) and a node certificate it signed (`pve-ssl.pem`),
//! generated at start. Clients either pin the node certificate's SHA-256
//! fingerprint (the notation PVE shows, `AB:CD:…`) or trust the CA.

use std::sync::Arc;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// A generated node certificate with its key, ready for rustls, and its CA.
pub struct NodeCertificate {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
    /// The cluster CA that signed the node certificate.
    pub ca_pem: String,
}

impl NodeCertificate {
    /// A certificate valid for `localhost`, `127.0.0.1`, `::1` and every node name, so a
    /// client may address the simulator by any of them, signed by a new cluster CA.
    pub fn generate(node_names: &[String]) -> anyhow::Result<Self> {
        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        // Like PVE's: a unique unit per cluster, so two clusters' CAs never share a name.
        let mut ca_name = DistinguishedName::new();
        ca_name.push(DnType::CommonName, "Proxmox Virtual Environment");
        ca_name.push(DnType::OrganizationName, "PVE Cluster Manager CA");
        ca_name.push(
            DnType::OrganizationalUnitName,
            format!("{:032x}", rand::random::<u128>()),
        );
        ca_params.distinguished_name = ca_name;
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)
            .context("generating the cluster CA")?;

        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        names.extend(node_names.iter().cloned());
        let mut params = CertificateParams::new(names).context("node certificate parameters")?;
        let mut node_name = DistinguishedName::new();
        node_name.push(
            DnType::CommonName,
            node_names.first().map_or("pve-sim", String::as_str),
        );
        node_name.push(DnType::OrganizationName, "PVE Cluster Node");
        params.distinguished_name = node_name;
        let key = KeyPair::generate()?;
        let cert = params
            .signed_by(&key, &ca)
            .context("signing the node certificate")?;
        Ok(Self {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            cert_pem: cert.pem(),
            ca_pem: ca.pem(),
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
        let cert = NodeCertificate::generate(&["pve1".to_string()]).unwrap();
        assert!(cert.server_config().is_ok());
        assert_eq!(cert.fingerprint(), fingerprint_of(&cert.cert_der));
    }

    /// Like a PVE node: the node certificate verifies for its names against the
    /// cluster CA, and for nothing else.
    #[test]
    fn the_node_certificate_chains_to_the_cluster_ca() {
        use rustls::client::WebPkiServerVerifier;
        use rustls::client::danger::ServerCertVerifier;
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{ServerName, UnixTime};

        let cert = NodeCertificate::generate(&["pve1".to_string()]).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(cert.ca_pem.as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        let leaf = CertificateDer::from(cert.cert_der.clone());
        let verify = |name: &'static str| {
            verifier.verify_server_cert(
                &leaf,
                &[],
                &ServerName::try_from(name).unwrap(),
                &[],
                UnixTime::now(),
            )
        };
        assert!(verify("pve1").is_ok());
        assert!(verify("127.0.0.1").is_ok());
        assert!(verify("pve2.example.com").is_err());
    }
}
