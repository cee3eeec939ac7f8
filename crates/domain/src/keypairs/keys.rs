//! The cryptography of key pairs, through RustCrypto's `ssh-key`: generating a pair,
//! reading a public key someone imports, and fingerprints exactly as
//! `ssh-keygen -lf` prints them (`SHA256:` + unpadded base64 of the key blob's hash).
//!
//! To accept a new algorithm on import, add it to [`accepted`]; generation offers
//! only what [`KeyAlgorithm`] lists.

use rand_core::OsRng;
use secrecy::SecretString;
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};

/// Smallest RSA modulus accepted on import (OpenSSH refuses less since 8.8's defaults).
pub const MIN_RSA_BITS: usize = 2048;
/// RSA keys we generate.
pub const GENERATED_RSA_BITS: usize = 4096;
/// Longest comment accepted on import.
pub const MAX_COMMENT_LEN: usize = 255;

/// What `POST /keypairs` can generate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyAlgorithm {
    #[default]
    Ed25519,
    /// RSA with a [`GENERATED_RSA_BITS`] modulus.
    Rsa,
}

/// The public half as we store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicHalf {
    /// `ssh-ed25519`, `ssh-rsa`, …
    pub key_type: String,
    /// One `authorized_keys` line: `<type> <base64> [comment]`.
    pub line: String,
    pub fingerprint: String,
}

/// A new pair: the public half to store and the private key in OpenSSH format, which
/// is handed out once and never kept.
pub struct GeneratedPair {
    pub public: PublicHalf,
    pub private_openssh: SecretString,
}

/// Generates a pair whose public key carries `comment`. RSA takes seconds: call it
/// from a blocking thread.
pub fn generate(algorithm: KeyAlgorithm, comment: &str) -> Result<GeneratedPair, String> {
    let mut rng = OsRng;
    let mut private = match algorithm {
        KeyAlgorithm::Ed25519 => PrivateKey::random(&mut rng, Algorithm::Ed25519),
        KeyAlgorithm::Rsa => ssh_key::private::RsaKeypair::random(&mut rng, GENERATED_RSA_BITS)
            .and_then(|pair| PrivateKey::new(pair.into(), comment)),
    }
    .map_err(|error| format!("key generation failed: {error}"))?;
    private.set_comment(comment);
    let public = describe(private.public_key())?;
    let pem = private
        .to_openssh(LineEnding::LF)
        .map_err(|error| format!("cannot encode the private key: {error}"))?;
    Ok(GeneratedPair {
        public,
        private_openssh: SecretString::from(pem.as_str()),
    })
}

/// Reads an imported public key: one `authorized_keys` line of an accepted type and
/// size. `Err` says what is wrong, for the `public_key` field.
pub fn parse_public(line: &str) -> Result<PublicHalf, String> {
    let line = line.trim();
    if line.contains(['\n', '\r']) {
        return Err("must be a single public key on one line".into());
    }
    if line.starts_with("-----BEGIN") {
        return Err(
            "this is a private key; give the public key (the .pub file, 'ssh-ed25519 AAAA… comment')"
                .into(),
        );
    }
    let key = PublicKey::from_openssh(line).map_err(|_| {
        "is not an OpenSSH public key (expected 'ssh-ed25519 AAAA… comment')".to_owned()
    })?;
    accepted(key.key_data())?;
    let comment = key.comment();
    if comment.chars().count() > MAX_COMMENT_LEN {
        return Err(format!(
            "the comment is longer than {MAX_COMMENT_LEN} characters"
        ));
    }
    if comment.chars().any(char::is_control) {
        return Err("the comment must not contain control characters".into());
    }
    describe(&key)
}

/// The algorithms and sizes we accept: what current OpenSSH accepts by default (no
/// DSA, RSA of at least [`MIN_RSA_BITS`]).
fn accepted(data: &KeyData) -> Result<(), String> {
    match data {
        KeyData::Ed25519(_) | KeyData::SkEd25519(_) => Ok(()),
        KeyData::Ecdsa(_) | KeyData::SkEcdsaSha2NistP256(_) => Ok(()),
        KeyData::Rsa(rsa) => {
            let bits = rsa.n.as_positive_bytes().map_or(0, bit_length);
            if bits >= MIN_RSA_BITS {
                Ok(())
            } else {
                Err(format!(
                    "RSA keys must have at least {MIN_RSA_BITS} bits (this one has {bits})"
                ))
            }
        }
        KeyData::Dsa(_) => Err("DSA keys are not accepted (OpenSSH disabled them)".into()),
        other => Err(format!(
            "unsupported key type '{}'",
            other.algorithm().as_str()
        )),
    }
}

/// Bits of a big-endian unsigned integer without leading zero bytes.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

fn describe(key: &PublicKey) -> Result<PublicHalf, String> {
    Ok(PublicHalf {
        key_type: key.algorithm().as_str().to_owned(),
        line: key
            .to_openssh()
            .map_err(|error| format!("cannot encode the public key: {error}"))?,
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
    })
}

#[cfg(test)]
mod tests;
