//! Short-lived access tokens: HS256 JWTs (15 minutes) naming the user and role.
//! The signing key is derived from the master key, so it survives restarts and
//! never sits in the database.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;
const ISSUER: &str = "proxicloud";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    /// The refresh-token family this access token came from, so logout can end it.
    pub sid: String,
}

#[derive(Debug, thiserror::Error)]
#[error("access token is invalid or expired")]
pub struct InvalidAccessToken;

pub struct AccessTokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl AccessTokenKeys {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
        }
    }

    pub fn issue(&self, user_id: &str, role: &str, session: &str, now: i64) -> String {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            role: role.to_string(),
            iat: now,
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iss: ISSUER.to_string(),
            sid: session.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// Verify signature, algorithm, issuer and expiry (no leeway: 15 minutes is the contract).
    pub fn verify(&self, token: &str) -> Result<AccessClaims, InvalidAccessToken> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| InvalidAccessToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    #[test]
    fn issued_token_verifies_and_carries_user_role_and_session() {
        let keys = AccessTokenKeys::new(&[7; 32]);
        let token = keys.issue("u1", "operator", "fam1", now());
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.role.as_str()),
            ("u1", "operator")
        );
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!(claims.sid, "fam1");
    }

    #[test]
    fn expired_forged_or_foreign_tokens_are_rejected() {
        let keys = AccessTokenKeys::new(&[7; 32]);
        let expired = keys.issue("u1", "admin", "f", now() - ACCESS_TOKEN_TTL_SECS - 5);
        assert!(keys.verify(&expired).is_err());
        let other = AccessTokenKeys::new(&[8; 32]).issue("u1", "admin", "f", now());
        assert!(keys.verify(&other).is_err());
        let good = keys.issue("u1", "readonly", "f", now());
        let (head, rest) = good.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let elevated = format!(
            "{head}.{}.{sig}",
            base64_url(
                &serde_json::json!({"sub":"u1","role":"admin","iat":now(),"exp":now()+900,"iss":"proxicloud","sid":"f"})
            )
        );
        assert!(keys.verify(&elevated).is_err());
        let unsigned = format!("eyJhbGciOiJub25lIn0.{}.", good.split('.').nth(1).unwrap());
        assert!(keys.verify(&unsigned).is_err());
    }

    fn base64_url(value: &serde_json::Value) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    }
}
