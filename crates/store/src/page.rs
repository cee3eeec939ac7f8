//! Keyset pagination: `PageRequest` in, `Page` out, with an opaque `Cursor` between.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// The most items one page returns; larger limits are clamped to it.
pub const MAX_PAGE_LIMIT: u32 = 1000;

/// Where the next page starts. Opaque: produced by the store, passed back unchanged
/// (the API hands it to clients as a string). A cursor is only valid for the query
/// (filters and sort) that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a string received from a client; it is validated when used.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Cursors are hex-encoded JSON: URL-safe without escaping, and never parsed as
    /// anything but the key type that wrote them.
    pub fn encode<K: Serialize>(key: &K) -> Self {
        Self(hex::encode(
            serde_json::to_vec(key).expect("cursor keys serialise"),
        ))
    }

    pub fn decode<K: DeserializeOwned>(&self) -> Result<K, StoreError> {
        let bytes = hex::decode(&self.0).map_err(|_| StoreError::InvalidCursor)?;
        serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which page to read: the first (`after: None`) or the one after a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    /// Clamped to `1..=MAX_PAGE_LIMIT`.
    pub limit: u32,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }

    pub fn after(cursor: Cursor, limit: u32) -> Self {
        Self {
            after: Some(cursor),
            limit,
        }
    }

    pub(crate) fn clamped_limit(&self) -> u32 {
        self.limit.clamp(1, MAX_PAGE_LIMIT)
    }
}

/// One page of results. `next` is `None` on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only proves that another
    /// page exists, and the cursor is taken from the last row kept.
    pub(crate) fn from_overfetch<K: Serialize>(
        mut rows: Vec<T>,
        limit: u32,
        key_of: impl Fn(&T) -> K,
    ) -> Self {
        let limit = limit as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| Cursor::encode(&key_of(last)))
        } else {
            None
        };
        Self { items: rows, next }
    }
}
