//! Passwords are hashed with Argon2id (PHC string format, parameters embedded so
//! they can be raised later without breaking stored hashes).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// Shortest password we accept; long passphrases beat complexity rules.
pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 1024;

/// OWASP's recommended Argon2id settings: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("password must be at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("password must be at most {MAX_PASSWORD_LEN} characters")]
    TooLong,
}

pub fn check_policy(password: &SecretString) -> Result<(), PasswordPolicyError> {
    let len = password.expose_secret().chars().count();
    if len < MIN_PASSWORD_LEN {
        Err(PasswordPolicyError::TooShort)
    } else if len > MAX_PASSWORD_LEN {
        Err(PasswordPolicyError::TooLong)
    } else {
        Ok(())
    }
}

/// Hash a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_password(password: &SecretString) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .expect("Argon2 hashing with valid parameters cannot fail")
        .to_string()
}

/// Check a password against a stored PHC hash. A malformed hash never matches.
pub fn verify_password(password: &SecretString, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    hasher()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

/// Spend the time a real verification takes, so a login for an unknown user
/// answers as slowly as one with a wrong password (no user enumeration by timing).
pub fn burn_verification_time(password: &SecretString) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password(&SecretString::from("not-a-real-password")));
    let _ = verify_password(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hash_verifies_only_the_right_password() {
        let hash = hash_password(&SecretString::from("correct horse battery"));
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(
            &SecretString::from("correct horse battery"),
            &hash
        ));
        assert!(!verify_password(
            &SecretString::from("correct horse batter"),
            &hash
        ));
        assert!(!verify_password(
            &SecretString::from("x"),
            "not a phc string"
        ));
    }

    #[test]
    fn same_password_gets_different_salts() {
        let pw = SecretString::from("correct horse battery");
        assert_ne!(hash_password(&pw), hash_password(&pw));
    }

    #[test]
    fn policy_rejects_short_passwords() {
        assert_eq!(
            check_policy(&SecretString::from("short")),
            Err(PasswordPolicyError::TooShort)
        );
        assert!(check_policy(&SecretString::from("long enough pass")).is_ok());
    }
}
