//! Access tokens are stateless JWTs; revoking a session in the store stops its refresh
//! token but not an access token already handed out. This in-memory list closes that
//! gap for the lifetime of an access token (15 minutes), so logout, password changes
//! and refresh-token reuse cut off access at once in this process.
//!
//! Several replicas would each keep their own list; they then fall back to the
//! 15-minute expiry, which is the contract of an access token anyway.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use proxicloud_store::Uuid;

use super::access_token::{ACCESS_TOKEN_TTL_SECS, AccessClaims};

const REMEMBER_FOR: Duration = Duration::from_secs(ACCESS_TOKEN_TTL_SECS as u64 + 60);

struct UserCutoff {
    /// Access tokens issued (JWT `iat`, seconds) before this are refused.
    issued_before: i64,
    recorded: Instant,
}

#[derive(Default)]
struct Revoked {
    sessions: HashMap<Uuid, Instant>,
    users: HashMap<Uuid, UserCutoff>,
}

#[derive(Default)]
pub(crate) struct SessionRevocations {
    revoked: Mutex<Revoked>,
}

impl SessionRevocations {
    pub(crate) fn revoke_session(&self, sid: Uuid) {
        let mut revoked = self.revoked.lock();
        revoked.sessions.insert(sid, Instant::now());
        Self::forget_old(&mut revoked);
    }

    /// Refuses every access token of `user` issued before `now_secs`. `iat` has whole
    /// seconds, so a token issued in the very second of the revocation survives until
    /// it expires — and one issued right after (the new session of a password change)
    /// is not affected. The refresh tokens, revoked in the store, are what really ends
    /// a session.
    pub(crate) fn revoke_user(&self, user: Uuid, now_secs: i64) {
        let mut revoked = self.revoked.lock();
        let cutoff = UserCutoff {
            issued_before: now_secs,
            recorded: Instant::now(),
        };
        revoked.users.insert(user, cutoff);
        Self::forget_old(&mut revoked);
    }

    pub(crate) fn is_revoked(&self, user: Uuid, sid: Uuid, claims: &AccessClaims) -> bool {
        let revoked = self.revoked.lock();
        if revoked.sessions.contains_key(&sid) {
            return true;
        }
        revoked
            .users
            .get(&user)
            .is_some_and(|cutoff| claims.iat < cutoff.issued_before)
    }

    /// Entries older than an access token's lifetime can no longer matter.
    fn forget_old(revoked: &mut Revoked) {
        revoked.sessions.retain(|_, at| at.elapsed() < REMEMBER_FOR);
        revoked
            .users
            .retain(|_, cutoff| cutoff.recorded.elapsed() < REMEMBER_FOR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iat: i64, sid: Uuid) -> AccessClaims {
        AccessClaims {
            sub: String::new(),
            role: "admin".into(),
            iat,
            exp: iat + 900,
            iss: "proxicloud".into(),
            sid: sid.to_string(),
        }
    }

    #[test]
    fn revoked_session_and_older_tokens_of_a_user_are_refused() {
        let list = SessionRevocations::default();
        let (user, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        list.revoke_session(a);
        assert!(list.is_revoked(user, a, &claims(100, a)));
        assert!(!list.is_revoked(user, b, &claims(100, b)));

        list.revoke_user(user, 200);
        assert!(list.is_revoked(user, b, &claims(150, b)));
        assert!(
            !list.is_revoked(user, b, &claims(200, b)),
            "issued at or after the cutoff"
        );
        assert!(
            !list.is_revoked(Uuid::now_v7(), b, &claims(150, b)),
            "other users untouched"
        );
    }
}
