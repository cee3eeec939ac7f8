//! TLS for PVE's API: system roots, SHA-256 fingerprint pinning for self-signed node
//! certificates, trust in the cluster's own CA (`pve-root-ca.pem`), or (only when
//! asked) no verification at all.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::config::{ClusterConfig, TlsMode};
use crate::error::PveError;

/// A SHA-256 certificate fingerprint. Parses the `AA:BB:…` form PVE shows under
/// "Certificates" (also lower case, with or without colons); displays that form.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of_der(certificate_der: &[u8]) -> Self {
        Self(Sha256::digest(certificate_der).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl FromStr for Fingerprint {
    type Err = PveError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact: String = s
            .trim()
            .chars()
            .filter(|c| *c != ':' && !c.is_whitespace())
            .collect();
        let bytes = hex::decode(&compact)
            .map_err(|e| PveError::Config(format!("invalid certificate fingerprint '{s}': {e}")))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            PveError::Config(format!(
                "certificate fingerprint '{s}' has {} bytes; SHA-256 needs 32",
                b.len()
            ))
        })?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Why a pinned connection was refused; carries what the server presented so the
/// user can compare it with the node's certificate page.
#[derive(Debug)]
struct FingerprintMismatch {
    presented: Fingerprint,
}

impl fmt::Display for FingerprintMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "server certificate fingerprint {} does not match any pinned fingerprint",
            self.presented
        )
    }
}

impl std::error::Error for FingerprintMismatch {}

/// Accepts an end-entity certificate by its hash alone. Chain, name and validity
/// dates are deliberately ignored: PVE node certificates are self-signed (or signed
/// by the cluster's private CA) and often name an address other than the one used.
/// Handshake signatures are still verified, so the peer must hold the private key.
#[derive(Debug)]
struct FingerprintVerifier {
    accepted: Vec<Fingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for FingerprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of_der(end_entity.as_ref());
        if self.accepted.contains(&presented) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(FingerprintMismatch { presented })),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// [`TlsMode::Trust`]: a certificate of the bundle itself, or one that chains to a
/// certificate of the bundle for the name connected to (full WebPKI checks).
#[derive(Debug)]
struct TrustVerifier {
    bundle: FingerprintVerifier,
    /// `None` when no certificate of the bundle can serve as a trust anchor.
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for TrustVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of_der(end_entity.as_ref());
        if self.bundle.accepted.contains(&presented) {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.chain {
            Some(chain) => {
                chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.bundle.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.bundle.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.bundle.supported_verify_schemes()
    }
}

fn trusted_tls_config(bundle: &[Vec<u8>]) -> Result<rustls::ClientConfig, PveError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    let (added, _unusable) =
        roots.add_parsable_certificates(bundle.iter().map(|der| CertificateDer::from(der.clone())));
    let chain = if added > 0 {
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| PveError::Config(format!("unusable CA certificates: {e}")))?;
        Some(verifier)
    } else {
        None
    };
    let verifier = TrustVerifier {
        bundle: FingerprintVerifier {
            accepted: bundle.iter().map(|der| Fingerprint::of_der(der)).collect(),
            algorithms: provider.signature_verification_algorithms,
        },
        chain,
    };
    client_config(provider, verifier)
}

fn pinned_tls_config(accepted: &[Fingerprint]) -> Result<rustls::ClientConfig, PveError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = FingerprintVerifier {
        accepted: accepted.to_vec(),
        algorithms: provider.signature_verification_algorithms,
    };
    client_config(provider, verifier)
}

fn client_config(
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: impl ServerCertVerifier + 'static,
) -> Result<rustls::ClientConfig, PveError> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| PveError::Tls {
            message: format!("cannot set up TLS: {e}"),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// The HTTP client for one cluster: HTTP/1.1 only (pveproxy speaks nothing else, and
/// PVE's error text lives in the HTTP/1 reason phrase), timeouts, and the TLS mode.
pub(crate) fn build_http_client(config: &ClusterConfig) -> Result<reqwest::Client, PveError> {
    let builder = reqwest::Client::builder()
        .http1_only()
        .connect_timeout(config.timeouts.connect)
        .timeout(config.timeouts.request)
        .user_agent(concat!("proxicloud-pve/", env!("CARGO_PKG_VERSION")));
    let builder = match &config.tls {
        TlsMode::System => builder.use_rustls_tls().tls_built_in_native_certs(true),
        TlsMode::Fingerprint(accepted) => {
            if accepted.is_empty() {
                return Err(PveError::Config(
                    "fingerprint pinning needs at least one fingerprint".to_string(),
                ));
            }
            builder.use_preconfigured_tls(pinned_tls_config(accepted)?)
        }
        TlsMode::Trust(bundle) => {
            if bundle.is_empty() {
                return Err(PveError::Config(
                    "trusting certificates needs at least one certificate".to_string(),
                ));
            }
            builder.use_preconfigured_tls(trusted_tls_config(bundle)?)
        }
        TlsMode::Insecure => builder.use_rustls_tls().danger_accept_invalid_certs(true),
    };
    builder
        .build()
        .map_err(|e| PveError::Config(format!("cannot build HTTP client: {e}")))
}

/// The rustls configuration for connections reqwest does not make (console websockets):
/// the same trust decision as [`build_http_client`] for each mode.
pub(crate) fn websocket_tls_config(tls: &TlsMode) -> Result<Arc<rustls::ClientConfig>, PveError> {
    let config = match tls {
        TlsMode::Fingerprint(accepted) => pinned_tls_config(accepted)?,
        TlsMode::Trust(bundle) => trusted_tls_config(bundle)?,
        TlsMode::System => {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| PveError::Tls {
                    message: format!("cannot set up TLS: {e}"),
                })?
                .with_root_certificates(roots)
                .with_no_client_auth()
        }
        TlsMode::Insecure => {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = AnyCertificate {
                algorithms: provider.signature_verification_algorithms,
            };
            client_config(provider, verifier)?
        }
    };
    Ok(Arc::new(config))
}

/// `TlsMode::Insecure` for websockets: any certificate, signatures still checked.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls error behind a failed request, if TLS is what failed. `io::Error`
/// hides its payload from `source()`, so it is unwrapped explicitly.
pub(crate) fn tls_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls.to_string());
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let inner: &(dyn std::error::Error + 'static) = inner;
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls.to_string());
            }
            current = Some(inner);
            continue;
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PVE_STYLE: &str = "B3:69:8C:5A:92:1E:0F:44:AD:7C:31:EE:12:90:6B:4F:\
                             D8:2A:55:01:C3:7E:9B:66:F0:18:24:A9:3D:BC:E7:70";

    #[test]
    fn fingerprints_parse_in_every_common_notation() {
        let upper: Fingerprint = PVE_STYLE.parse().expect("PVE notation");
        let lower: Fingerprint = PVE_STYLE.to_lowercase().parse().expect("lower case");
        let bare: Fingerprint = PVE_STYLE.replace(':', "").parse().expect("no colons");
        assert_eq!(upper, lower);
        assert_eq!(upper, bare);
        assert_eq!(upper.to_string(), PVE_STYLE);
    }

    #[test]
    fn malformed_fingerprints_are_rejected() {
        assert!("AA:BB".parse::<Fingerprint>().is_err());
        assert!("ZZ".repeat(32).parse::<Fingerprint>().is_err());
        let too_long = format!("{PVE_STYLE}:00");
        assert!(too_long.parse::<Fingerprint>().is_err());
    }

    #[test]
    fn fingerprint_is_the_sha256_of_the_der_bytes() {
        let fp = Fingerprint::of_der(b"abc");
        assert_eq!(
            fp.to_string().replace(':', "").to_lowercase(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verifier_accepts_only_pinned_certificates() {
        let cert = CertificateDer::from(b"not really DER, hashing does not care".to_vec());
        let good = Fingerprint::of_der(cert.as_ref());
        let other: Fingerprint = PVE_STYLE.parse().expect("valid");
        let provider = rustls::crypto::ring::default_provider();
        let verifier = FingerprintVerifier {
            accepted: vec![other, good],
            algorithms: provider.signature_verification_algorithms,
        };
        let name = ServerName::try_from("pve1").expect("valid name");
        assert!(
            verifier
                .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
                .is_ok()
        );
        let pinned_elsewhere = FingerprintVerifier {
            accepted: vec![other],
            algorithms: provider.signature_verification_algorithms,
        };
        let err = pinned_elsewhere
            .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
            .expect_err("wrong fingerprint must be refused");
        assert!(err.to_string().contains(&good.to_string()), "{err}");
    }
}
