//! The append-only, hash-chained audit log.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Page, PageRequest, Result, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    /// Refused by authorization.
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "success" => Ok(Outcome::Success),
            "failure" => Ok(Outcome::Failure),
            "denied" => Ok(Outcome::Denied),
            other => Err(format!("unknown outcome '{other}'")),
        }
    }
}

/// One stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// 1, 2, 3… without gaps: a missing number means a deleted row.
    pub seq: i64,
    pub id: Uuid,
    pub at: Timestamp,
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub source_ip: Option<String>,
    pub action: String,
    pub resource: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    /// Compare as a JSON value, not as text: PostgreSQL (`jsonb`) does not keep key
    /// order or whitespace, so hash a canonical form (sorted keys) of it.
    pub details: serde_json::Value,
    /// The `hash` of entry `seq - 1`; `None` for the first entry.
    pub prev_hash: Option<String>,
    pub hash: String,
}

/// The end of the chain, as seen by the builder of the next entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditHead {
    /// Seq of the last entry; 0 while the log is empty.
    pub seq: i64,
    /// Hash of the last entry; `None` while the log is empty.
    pub hash: Option<String>,
}

impl AuditHead {
    /// The seq the next appended entry gets.
    pub fn next_seq(&self) -> i64 {
        self.seq + 1
    }
}

/// What the domain supplies for a new entry. The store adds `seq`, `id` and `prev_hash`
/// (from the head it handed to the builder); `hash` must already cover them.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at: Timestamp,
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub source_ip: Option<String>,
    pub action: String,
    pub resource: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub hash: String,
}

/// Builds the next entry from the current head. It runs while the chain is locked, so it
/// must be quick and must not touch the store (that would deadlock); stamping `at` inside
/// it keeps timestamps in seq order.
pub type AuditEntryBuilder = Box<dyn FnOnce(&AuditHead) -> NewAuditEntry + Send>;

/// Filters for [`AuditRepo::query`]; every `Some` must match; `from` inclusive, `to`
/// exclusive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    pub username: Option<TextMatch>,
    pub action: Option<TextMatch>,
    pub resource: Option<TextMatch>,
    pub outcome: Option<Outcome>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// How a text column is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    /// The whole value, as is: what code that knows the value asks for.
    Exact(String),
    /// Contains the text, ignoring letter case, with LIKE's `%` and `_` taken
    /// literally: what a person typing part of a name, an action family like
    /// `instance.` or the start of an id asks for.
    Contains(String),
}

/// The log has no update or delete: entries are only appended and read.
#[async_trait]
pub trait AuditRepo: Send + Sync {
    /// Appends one entry. Appends are serialised (PostgreSQL: row lock on the chain
    /// head; SQLite: an immediate write transaction), so the builder always sees the
    /// latest head, seqs have no gaps and the chain never forks.
    async fn append(&self, build: AuditEntryBuilder) -> Result<AuditEntry>;
    /// The current end of the chain; a verifier compares it with the last row to detect
    /// deleted trailing entries.
    async fn head(&self) -> Result<AuditHead>;
    /// Newest first.
    async fn query(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEntry>>;
    /// Up to `limit` entries with `seq > after_seq`, oldest first: call again with the
    /// last seq until it returns an empty batch to walk the whole log (CSV export, chain
    /// verification) without holding a connection.
    async fn scan(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>>;
}
