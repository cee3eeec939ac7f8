//! Generated root passwords, for containers launched without an SSH key.
//!
//! Made from the operating system's random generator, returned once in the launch's
//! answer and kept nowhere in clear: the create job carries it sealed (AES-256-GCM
//! under the master key, bound to the instance id) in its parameters under
//! [`SEALED_PARAMS`](proxicloud_store::SEALED_PARAMS), so a create resumed after a
//! crash can still send it, and drops it once Proxmox has it (the store also drops it
//! when the job ends).

use aes_gcm::aead::OsRng;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proxicloud_store::Uuid;
use rand_core::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::jobs::StepError;
use crate::secrets::MasterKey;

/// Characters of a generated password: letters and digits without the ones people
/// confuse when reading or typing them (`0 O o 1 l I`).
const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// 24 characters of 56: about 139 bits.
pub const LENGTH: usize = 24;

/// A fresh password from the OS's random generator (rejection sampling, so every
/// character is equally likely).
pub fn generate() -> SecretString {
    // The largest multiple of the alphabet's size that fits a byte: bytes above it
    // would favour the first characters.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut password = String::with_capacity(LENGTH);
    let mut bytes = [0u8; 64];
    while password.len() < LENGTH {
        OsRng.fill_bytes(&mut bytes);
        for &byte in bytes.iter().filter(|&&byte| byte < limit) {
            if password.len() == LENGTH {
                break;
            }
            password.push(ALPHABET[usize::from(byte) % ALPHABET.len()] as char);
        }
    }
    SecretString::from(password)
}

/// The secrets a create job carries sealed: its parameters' `sealed` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSecrets {
    /// The root password, sealed for the instance (base64).
    pub root_password: String,
}

/// Where a sealed root password belongs: a copy moved to another instance's job
/// does not open.
fn context(instance_id: Uuid) -> String {
    format!("instance:{instance_id}:root-password")
}

impl SealedSecrets {
    pub fn seal(key: &MasterKey, instance_id: Uuid, password: &SecretString) -> Self {
        let sealed = key.seal(password.expose_secret().as_bytes(), &context(instance_id));
        Self {
            root_password: STANDARD.encode(sealed),
        }
    }

    pub fn root_password(
        &self,
        key: &MasterKey,
        instance_id: Uuid,
    ) -> Result<SecretString, StepError> {
        let unreadable =
            || StepError::failed("the generated root password cannot be read; launch again");
        let sealed = STANDARD
            .decode(&self.root_password)
            .map_err(|_| unreadable())?;
        key.open(&sealed, &context(instance_id))
            .map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn passwords_are_long_unambiguous_and_different() {
        let passwords: Vec<String> = (0..200)
            .map(|_| generate().expose_secret().to_owned())
            .collect();
        for password in &passwords {
            assert_eq!(password.len(), LENGTH);
            assert!(
                password.bytes().all(|b| ALPHABET.contains(&b)),
                "{password}"
            );
            assert!(!password.contains(['0', 'O', 'o', '1', 'l', 'I']));
        }
        assert_eq!(passwords.iter().collect::<HashSet<_>>().len(), 200);
        // Every character of the alphabet turns up (4,800 draws of 56).
        let seen: HashSet<u8> = passwords.iter().flat_map(|p| p.bytes()).collect();
        assert_eq!(seen.len(), ALPHABET.len());
    }

    #[test]
    fn a_sealed_password_opens_only_for_its_instance() {
        let key = MasterKey::generate();
        let instance = Uuid::now_v7();
        let password = generate();
        let sealed = SealedSecrets::seal(&key, instance, &password);
        assert!(!sealed.root_password.contains(password.expose_secret()));
        let opened = sealed.root_password(&key, instance).unwrap();
        assert_eq!(opened.expose_secret(), password.expose_secret());
        assert!(sealed.root_password(&key, Uuid::now_v7()).is_err());
        assert!(
            sealed
                .root_password(&MasterKey::generate(), instance)
                .is_err()
        );
    }
}
