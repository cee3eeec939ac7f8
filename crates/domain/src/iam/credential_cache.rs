//! A short memory of the users and API tokens behind recent requests, so that
//! authenticating a request usually costs no database query.
//!
//! Changes made through this process (role change, disabling, deletion, password
//! reset, token revocation) forget the affected entries at once. Changes made by
//! another replica sharing the database take effect here within [`TTL`].

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use proxicloud_store::{ApiToken, User, Uuid};

pub(crate) const TTL: Duration = Duration::from_secs(5);
/// Past this many entries, expired ones are swept on insertion.
const SWEEP_ABOVE: usize = 1024;

struct Entry<V> {
    value: V,
    fetched: Instant,
}

struct TtlMap<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let entries = self.entries.lock();
        let entry = entries.get(key)?;
        (entry.fetched.elapsed() < TTL).then(|| entry.value.clone())
    }

    fn insert(&self, key: K, value: V) {
        let mut entries = self.entries.lock();
        if entries.len() >= SWEEP_ABOVE {
            entries.retain(|_, e| e.fetched.elapsed() < TTL);
        }
        let fetched = Instant::now();
        entries.insert(key, Entry { value, fetched });
    }

    fn forget(&self, mut which: impl FnMut(&K, &V) -> bool) {
        self.entries.lock().retain(|k, e| !which(k, &e.value));
    }
}

pub(crate) struct CredentialCache {
    users: TtlMap<Uuid, User>,
    /// By token hash; only tokens the store found active are remembered.
    api_tokens: TtlMap<String, ApiToken>,
}

impl Default for CredentialCache {
    fn default() -> Self {
        Self {
            users: TtlMap::new(),
            api_tokens: TtlMap::new(),
        }
    }
}

impl CredentialCache {
    pub(crate) fn user(&self, id: Uuid) -> Option<User> {
        self.users.get(&id)
    }

    pub(crate) fn remember_user(&self, user: User) {
        self.users.insert(user.id, user);
    }

    /// The user changed: read it (and its tokens) afresh next time.
    pub(crate) fn forget_user(&self, id: Uuid) {
        self.users.forget(|key, _| *key == id);
        self.api_tokens.forget(|_, token| token.user_id == id);
    }

    pub(crate) fn api_token(&self, hash: &str) -> Option<ApiToken> {
        self.api_tokens.get(hash)
    }

    pub(crate) fn remember_api_token(&self, token: ApiToken) {
        self.api_tokens.insert(token.token_hash.clone(), token);
    }

    pub(crate) fn forget_api_token(&self, id: Uuid) {
        self.api_tokens.forget(|_, token| token.id == id);
    }
}

#[cfg(test)]
mod tests {
    use proxicloud_store::{Role, Timestamp};

    use super::*;

    fn user() -> User {
        User {
            id: Uuid::now_v7(),
            username: "olga".into(),
            password_hash: "x".into(),
            role: Role::Operator,
            disabled: false,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        }
    }

    fn token(user_id: Uuid) -> ApiToken {
        ApiToken {
            id: Uuid::now_v7(),
            user_id,
            name: "ci".into(),
            prefix: "pc_ab12".into(),
            token_hash: format!("hash-{}", Uuid::now_v7()),
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn forgetting_a_user_forgets_their_tokens_too() {
        let cache = CredentialCache::default();
        let (olga, other) = (user(), user());
        let (olgas, others) = (token(olga.id), token(other.id));
        cache.remember_user(olga.clone());
        cache.remember_api_token(olgas.clone());
        cache.remember_api_token(others.clone());
        assert_eq!(cache.user(olga.id), Some(olga.clone()));
        cache.forget_user(olga.id);
        assert_eq!(cache.user(olga.id), None);
        assert_eq!(cache.api_token(&olgas.token_hash), None);
        assert_eq!(cache.api_token(&others.token_hash), Some(others.clone()));
        cache.forget_api_token(others.id);
        assert_eq!(cache.api_token(&others.token_hash), None);
    }

    #[test]
    fn entries_expire() {
        let map: TtlMap<u8, u8> = TtlMap::new();
        map.insert(1, 1);
        map.entries.lock().get_mut(&1).unwrap().fetched = Instant::now() - TTL;
        assert_eq!(map.get(&1), None);
    }
}
