//! How a stored cluster's certificate settings become the client's `TlsMode`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proxicloud_pve::{Fingerprint, TlsMode};

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";
const MAX_CERTIFICATES: usize = 16;

/// The DER bytes of every certificate in a PEM bundle; an error names what is wrong.
pub(super) fn parse_certificates(pem: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut certificates = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let body_and_more = &rest[start + BEGIN.len()..];
        let end = body_and_more
            .find(END)
            .ok_or("a certificate has no END CERTIFICATE line")?;
        let body: String = body_and_more[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = STANDARD
            .decode(body)
            .map_err(|_| "a certificate is not valid base64")?;
        // Every X.509 certificate is a DER SEQUENCE; anything else was pasted by mistake.
        if der.first() != Some(&0x30) || der.len() < 64 {
            return Err("a PEM block does not hold an X.509 certificate".into());
        }
        certificates.push(der);
        if certificates.len() > MAX_CERTIFICATES {
            return Err(format!("at most {MAX_CERTIFICATES} certificates"));
        }
        rest = &body_and_more[end + END.len()..];
    }
    if certificates.is_empty() {
        return Err("must contain a PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certificates)
}

/// The certificate check for a stored cluster:
/// - `verify_tls: false` — anything (a lab without certificates; the admin chose it);
/// - a fingerprint — exactly that certificate;
/// - a PEM bundle — certificates chaining to one in it (the cluster's
///   `pve-root-ca.pem`, for every node at once), or one in it exactly (a node's own
///   certificate pasted in);
/// - neither — the system trust store.
pub(super) fn tls_mode(
    verify_tls: bool,
    fingerprint: Option<&str>,
    ca_pem: Option<&str>,
) -> Result<TlsMode, String> {
    if !verify_tls {
        return Ok(TlsMode::Insecure);
    }
    if let Some(fingerprint) = fingerprint {
        let fingerprint: Fingerprint = fingerprint
            .parse()
            .map_err(|_| "the stored TLS fingerprint is malformed".to_owned())?;
        return Ok(TlsMode::Fingerprint(vec![fingerprint]));
    }
    if let Some(pem) = ca_pem {
        return Ok(TlsMode::Trust(parse_certificates(pem)?));
    }
    Ok(TlsMode::System)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_of(der: &[u8]) -> String {
        format!("{BEGIN}\n{}\n{END}\n", STANDARD.encode(der))
    }

    fn fake_der(tag: u8) -> Vec<u8> {
        let mut der = vec![0x30, 0x82, 0x01, 0x00];
        der.extend(std::iter::repeat_n(tag, 100));
        der
    }

    #[test]
    fn bundles_are_trusted_certificate_by_certificate() {
        let bundle = format!("{}{}", pem_of(&fake_der(1)), pem_of(&fake_der(2)));
        let TlsMode::Trust(trusted) = tls_mode(true, None, Some(&bundle)).expect("valid") else {
            panic!("expected trust in the bundle");
        };
        assert_eq!(trusted, [fake_der(1), fake_der(2)]);
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(parse_certificates("hello").is_err());
        assert!(parse_certificates(&format!("{BEGIN}\n!!!\n{END}")).is_err());
        assert!(parse_certificates(&pem_of(b"not der at all")).is_err());
        assert!(parse_certificates(&format!("{BEGIN}\nMIIB")).is_err());
    }

    #[test]
    fn verification_off_wins_and_nothing_given_means_system_roots() {
        assert!(matches!(
            tls_mode(false, Some("AA"), None),
            Ok(TlsMode::Insecure)
        ));
        assert!(matches!(tls_mode(true, None, None), Ok(TlsMode::System)));
    }
}
