//! Opaque bearer secrets: API tokens (`pc_…`) and refresh tokens (`pcr_…`).
//!
//! They carry 256 random bits, so a single SHA-256 is the right storage hash:
//! slow hashes defend guessable secrets, and these are not guessable. Only the
//! hash is stored; the token is shown once.

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

pub const API_TOKEN_PREFIX: &str = "pc_";
pub const REFRESH_TOKEN_PREFIX: &str = "pcr_";
/// How many leading characters of an API token are kept to recognise it in lists.
const DISPLAY_PREFIX_LEN: usize = 10;

/// A newly minted secret: the value to hand out once, and what to store.
pub struct MintedToken {
    pub secret: SecretString,
    pub hash: String,
    /// Non-secret leading characters (`pc_3fA9x…`) for listings.
    pub display_prefix: String,
}

fn mint(prefix: &str) -> MintedToken {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", hex::encode(bytes));
    MintedToken {
        hash: hash_token(&secret),
        display_prefix: secret[..DISPLAY_PREFIX_LEN].to_string(),
        secret: SecretString::from(secret),
    }
}

pub fn mint_api_token() -> MintedToken {
    mint(API_TOKEN_PREFIX)
}

pub fn mint_refresh_token() -> MintedToken {
    mint(REFRESH_TOKEN_PREFIX)
}

/// The storage form of a token: lower-case hex SHA-256.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Does this bearer value look like one of our API tokens (as opposed to a JWT)?
pub fn is_api_token(bearer: &SecretString) -> bool {
    bearer.expose_secret().starts_with(API_TOKEN_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_unique_prefixed_and_stored_only_as_hash() {
        let a = mint_api_token();
        let b = mint_api_token();
        assert_ne!(a.secret.expose_secret(), b.secret.expose_secret());
        assert!(a.secret.expose_secret().starts_with("pc_"));
        assert_eq!(a.secret.expose_secret().len(), 3 + 64);
        assert_eq!(a.hash, hash_token(a.secret.expose_secret()));
        assert!(!a.hash.contains(&a.secret.expose_secret()[3..]));
        assert!(a.secret.expose_secret().starts_with(&a.display_prefix));
        assert!(is_api_token(&a.secret));
        assert!(!is_api_token(&mint_refresh_token().secret));
    }
}
