//! The hash chain: how an entry's hash is computed, and how a sequence of stored
//! entries is checked.
//!
//! `hash = HMAC-SHA-256(chain key, canonical JSON of {"prev_hash", "seq", "entry": {fields}})`,
//! keyed with a key derived from the master key so that someone who can write the
//! database but not read the master key cannot recompute a consistent chain. The
//! canonical JSON has object keys sorted at every level and no whitespace, so
//! PostgreSQL's `jsonb` (which reorders keys) and SQLite's text give the same bytes.
//! The store-assigned `id` is not covered: it identifies a row, it says nothing.

use std::fmt::{self, Write as _};

use hmac::{Hmac, Mac};
use proxicloud_store::{AuditEntry, AuditHead, NewAuditEntry};
use serde_json::{Value, json};
use sha2::Sha256;

/// The secret the chain's MACs are keyed with.
#[derive(Clone)]
pub(crate) struct ChainKey(pub(crate) [u8; 32]);

/// Hash of an entry at position `seq` following `prev_hash`.
pub(crate) fn entry_hash(
    key: &ChainKey,
    prev_hash: Option<&str>,
    seq: i64,
    entry: &NewAuditEntry,
) -> String {
    let fields = json!({
        "at": entry.at.to_rfc3339(),
        "user_id": entry.user_id.map(|id| id.to_string()),
        "username": entry.username,
        "source_ip": entry.source_ip,
        "action": entry.action,
        "resource": entry.resource,
        "outcome": entry.outcome.as_str(),
        "request_id": entry.request_id,
        "details": entry.details,
    });
    let document = json!({ "prev_hash": prev_hash, "seq": seq, "entry": fields });
    let mut canonical = String::new();
    write_canonical(&document, &mut canonical);
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC accepts any key length");
    mac.update(canonical.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(&Value::String(key.clone()), out);
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => {
            write!(out, "{scalar}").expect("writing to a String cannot fail");
        }
    }
}

/// The stored fields of an entry, as they were when its hash was computed.
fn as_new(entry: &AuditEntry) -> NewAuditEntry {
    NewAuditEntry {
        at: entry.at,
        user_id: entry.user_id,
        username: entry.username.clone(),
        source_ip: entry.source_ip.clone(),
        action: entry.action.clone(),
        resource: entry.resource.clone(),
        outcome: entry.outcome,
        request_id: entry.request_id.clone(),
        details: entry.details.clone(),
        hash: entry.hash.clone(),
    }
}

/// Why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The entry with this seq is absent (deleted), or seqs are out of order.
    Missing,
    /// The entry's fields no longer produce its hash (edited).
    Altered,
    /// The entry does not point at the hash of its predecessor (replaced or reordered).
    Unlinked,
    /// The log ends before the recorded end of the chain (trailing entries deleted).
    Truncated,
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub kind: BreakKind,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            BreakKind::Missing => "is missing or out of order (deleted?)",
            BreakKind::Altered => "does not match its hash (edited)",
            BreakKind::Unlinked => "does not link to the previous entry (replaced or reordered)",
            BreakKind::Truncated => "and the entries after it are missing (log truncated)",
        };
        write!(
            f,
            "audit chain broken at entry {}: the entry {what}",
            self.seq
        )
    }
}

impl std::error::Error for ChainBreak {}

/// Checks entries fed in ascending seq order, starting at seq 1.
pub(crate) struct ChainVerifier {
    key: ChainKey,
    last_seq: i64,
    last_hash: Option<String>,
}

impl ChainVerifier {
    pub(crate) fn new(key: ChainKey) -> Self {
        Self {
            key,
            last_seq: 0,
            last_hash: None,
        }
    }

    pub(crate) fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let expected = self.last_seq + 1;
        let broken = |kind| {
            Err(ChainBreak {
                seq: expected,
                kind,
            })
        };
        if entry.seq != expected {
            return broken(BreakKind::Missing);
        }
        if entry.prev_hash != self.last_hash {
            return broken(BreakKind::Unlinked);
        }
        if entry_hash(
            &self.key,
            entry.prev_hash.as_deref(),
            entry.seq,
            &as_new(entry),
        ) != entry.hash
        {
            return broken(BreakKind::Altered);
        }
        self.last_seq = entry.seq;
        self.last_hash = Some(entry.hash.clone());
        Ok(())
    }

    /// After the last entry: the chain head the store recorded must be where the
    /// entries ended, or entries at the end were deleted. Returns the entry count.
    pub(crate) fn finish(self, head: &AuditHead) -> Result<u64, ChainBreak> {
        if head.seq != self.last_seq || head.hash != self.last_hash {
            let kind = if head.seq > self.last_seq {
                BreakKind::Truncated
            } else {
                BreakKind::Unlinked
            };
            return Err(ChainBreak {
                seq: self.last_seq + 1,
                kind,
            });
        }
        Ok(u64::try_from(self.last_seq).expect("seqs start at 1"))
    }
}

#[cfg(test)]
mod tests {
    use proxicloud_store::{Outcome, Timestamp, Uuid};

    use super::*;

    const KEY: ChainKey = ChainKey([9; 32]);

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev: Option<String> = None;
        (1..=n)
            .map(|seq| {
                let mut new = NewAuditEntry {
                    at: Timestamp::now(),
                    user_id: Some(Uuid::now_v7()),
                    username: Some("alice".into()),
                    source_ip: Some("192.0.2.7".into()),
                    action: format!("action.{seq}"),
                    resource: Some(format!("user:{seq}")),
                    outcome: Outcome::Success,
                    request_id: Some(format!("req-{seq}")),
                    details: json!({"b": 1, "a": {"z": [1, "x"], "y": null}}),
                    hash: String::new(),
                };
                new.hash = entry_hash(&KEY, prev.as_deref(), seq, &new);
                let entry = AuditEntry {
                    seq,
                    id: Uuid::now_v7(),
                    at: new.at,
                    user_id: new.user_id,
                    username: new.username,
                    source_ip: new.source_ip,
                    action: new.action,
                    resource: new.resource,
                    outcome: new.outcome,
                    request_id: new.request_id,
                    details: new.details,
                    prev_hash: prev.clone(),
                    hash: new.hash,
                };
                prev = Some(entry.hash.clone());
                entry
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry], head: &AuditHead) -> Result<u64, ChainBreak> {
        let mut verifier = ChainVerifier::new(KEY);
        entries.iter().try_for_each(|e| verifier.check(e))?;
        verifier.finish(head)
    }

    fn head_of(entries: &[AuditEntry]) -> AuditHead {
        entries
            .last()
            .map_or_else(AuditHead::default, |e| AuditHead {
                seq: e.seq,
                hash: Some(e.hash.clone()),
            })
    }

    #[test]
    fn chain_rewritten_without_the_key_is_detected() {
        // An attacker with database access recomputes every hash with a key they
        // guess: the verifier, holding the real key, still sees the first entry altered.
        let entries = chain(3);
        let mut verifier = ChainVerifier::new(ChainKey([8; 32]));
        let broken = verifier.check(&entries[0]).unwrap_err();
        assert_eq!(broken.kind, BreakKind::Altered);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let mut out = String::new();
        write_canonical(
            &json!({"b": {"d": 1, "c": [true, null]}, "a": "x\"y"}),
            &mut out,
        );
        assert_eq!(out, r#"{"a":"x\"y","b":{"c":[true,null],"d":1}}"#);
    }

    #[test]
    fn intact_chain_verifies_and_empty_log_counts_zero() {
        let entries = chain(5);
        assert_eq!(verify(&entries, &head_of(&entries)), Ok(5));
        assert_eq!(verify(&[], &AuditHead::default()), Ok(0));
    }

    #[test]
    fn edited_deleted_reordered_and_truncated_logs_are_detected() {
        let entries = chain(5);
        let head = head_of(&entries);

        let mut edited = entries.clone();
        edited[2].outcome = Outcome::Failure;
        assert_eq!(
            verify(&edited, &head),
            Err(ChainBreak {
                seq: 3,
                kind: BreakKind::Altered
            })
        );

        let mut deleted = entries.clone();
        deleted.remove(1);
        assert_eq!(
            verify(&deleted, &head),
            Err(ChainBreak {
                seq: 2,
                kind: BreakKind::Missing
            })
        );

        // Swapping the contents of two rows while keeping the seq column in order.
        let mut reordered = entries.clone();
        let (a, b) = (reordered[1].clone(), reordered[2].clone());
        reordered[1] = AuditEntry { seq: 2, ..b };
        reordered[2] = AuditEntry { seq: 3, ..a };
        assert!(verify(&reordered, &head).is_err_and(|e| e.seq == 2));

        let truncated = &entries[..4];
        assert_eq!(
            verify(truncated, &head),
            Err(ChainBreak {
                seq: 5,
                kind: BreakKind::Truncated
            })
        );
    }

    #[test]
    fn details_key_order_does_not_change_the_hash() {
        let entry = &chain(1)[0];
        let mut reordered = as_new(entry);
        reordered.details =
            serde_json::from_str(r#"{"a": {"y": null, "z": [1, "x"]}, "b": 1}"#).unwrap();
        assert_eq!(entry_hash(&KEY, None, 1, &reordered), entry.hash);
    }
}
