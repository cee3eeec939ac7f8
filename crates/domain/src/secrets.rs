//! Secrets at rest: a 256-bit master key kept in a `0600` file, and AES-256-GCM
//! for every stored secret (Proxmox tokens, S3 keys, vault entries).
//!
//! Sealed format: `version (1 byte) || nonce (12 bytes) || ciphertext+tag`. Each
//! secret is sealed with associated data naming where it lives (for example
//! `cluster:<id>:secret`), so a ciphertext copied into another row fails to open.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

const SEALED_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("master key file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("master key file {path} is malformed: expected 64 hexadecimal characters")]
    MalformedKey { path: String },
    #[error(
        "master key file {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`"
    )]
    InsecurePermissions { path: String, mode: u32 },
    #[error("a stored secret could not be decrypted (wrong master key or tampered data)")]
    Undecryptable,
}

/// The key every stored secret is encrypted with. `Debug` never shows it.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

/// Services that seal secrets each keep a copy (zeroised on drop like the original).
impl Clone for MasterKey {
    fn clone(&self) -> Self {
        Self(SecretBox::new(Box::new(*self.0.expose_secret())))
    }
}

impl MasterKey {
    /// A fresh random key (tests, and the first start of a server).
    pub fn generate() -> Self {
        let key = Aes256Gcm::generate_key(&mut OsRng);
        Self(SecretBox::new(Box::new(key.into())))
    }

    /// Read the key file, or create it (mode `0600`, never readable by others)
    /// when it does not exist yet. A key file other users can read is refused.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretsError> {
        let io = |source| SecretsError::Io {
            path: path.display().to_string(),
            source,
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(mut file) => {
                let key = Self::generate();
                let mut text = hex::encode(key.0.expose_secret());
                text.push('\n');
                file.write_all(text.as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(io(e)),
        }
    }

    fn load(path: &Path) -> Result<Self, SecretsError> {
        let shown = path.display().to_string();
        let meta = fs::metadata(path).map_err(|source| SecretsError::Io {
            path: shown.clone(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SecretsError::InsecurePermissions { path: shown, mode });
        }
        let text =
            SecretString::from(fs::read_to_string(path).map_err(|source| SecretsError::Io {
                path: shown.clone(),
                source,
            })?);
        let mut key = [0u8; 32];
        hex::decode_to_slice(text.expose_secret().trim(), &mut key)
            .map_err(|_| SecretsError::MalformedKey { path: shown })?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// A separate 256-bit key for one purpose (e.g. `"access-token-signing"`),
    /// derived with HMAC-SHA256 so the master key itself is only used for sealing.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .expect("HMAC accepts any key length");
        mac.update(b"proxicloud/v1/");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.0.expose_secret()))
    }

    /// Encrypt `plaintext`, bound to `context` (where the secret is stored).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .cipher()
            .encrypt(&nonce, payload)
            .expect("AES-GCM encryption cannot fail for in-memory buffers");
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(SEALED_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypt what [`MasterKey::seal`] produced for the same `context`.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<SecretString, SecretsError> {
        let (version, rest) = sealed.split_first().ok_or(SecretsError::Undecryptable)?;
        if *version != SEALED_VERSION || rest.len() < NONCE_LEN {
            return Err(SecretsError::Undecryptable);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = self
            .cipher()
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| SecretsError::Undecryptable)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| SecretsError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_with_same_key_and_context() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"pve-token-secret", "cluster:1:secret");
        assert!(!sealed.windows(16).any(|w| w == b"pve-token-secret"));
        let opened = key.open(&sealed, "cluster:1:secret").unwrap();
        assert_eq!(opened.expose_secret(), "pve-token-secret");

        assert!(key.open(&sealed, "cluster:2:secret").is_err());
        assert!(
            MasterKey::generate()
                .open(&sealed, "cluster:1:secret")
                .is_err()
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(&tampered, "cluster:1:secret").is_err());
    }

    #[test]
    fn derived_keys_are_stable_per_purpose_and_distinct() {
        let key = MasterKey::generate();
        assert_eq!(key.derive("a"), key.derive("a"));
        assert_ne!(key.derive("a"), key.derive("b"));
        assert_ne!(key.derive("a"), MasterKey::generate().derive("a"));
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let key = MasterKey::generate();
        assert_ne!(key.seal(b"same", "ctx"), key.seal(b"same", "ctx"));
    }

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let first = MasterKey::load_or_create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let sealed = first.seal(b"kept across restarts", "ctx");
        let second = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(
            second.open(&sealed, "ctx").unwrap().expose_secret(),
            "kept across restarts"
        );
        assert_eq!(format!("{second:?}"), "MasterKey([REDACTED])");
    }

    #[test]
    fn key_file_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            MasterKey::load_or_create(&path),
            Err(SecretsError::InsecurePermissions { .. })
        ));
    }
}
