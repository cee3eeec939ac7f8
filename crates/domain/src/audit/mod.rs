//! The audit log: every mutating request and every login attempt, append-only and
//! hash-chained so that editing, deleting or reordering stored entries is detected.

mod chain;
mod export;

use std::sync::Arc;

use proxicloud_store::{
    AuditEntry, AuditFilter, NewAuditEntry, Outcome, Page, PageRequest, Store, Timestamp, Uuid,
};

pub use chain::{BreakKind, ChainBreak};

use crate::error::{DomainError, DomainResult};
use crate::iam::authz::Principal;
use crate::secrets::MasterKey;

/// Entries read per round trip while walking the whole log.
const SCAN_BATCH: u32 = 1000;
/// Longest text kept in one field; attacker-chosen values (a failed login's username)
/// must not bloat the log.
const MAX_FIELD_LEN: usize = 256;

/// What happened, as told by the caller. Time, seq and hashes are added on append.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub user_id: Option<Uuid>,
    /// The acting user, or the username a failed login attempt named.
    pub username: Option<String>,
    pub source_ip: Option<String>,
    /// Stable, dotted verb such as `auth.login` or `user.disable`.
    pub action: String,
    /// What was acted on, such as `user:0195…`.
    pub resource: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    /// Extra facts (status, error code…). Never secrets. Prefer strings and integers:
    /// they survive every backend's JSON storage unchanged.
    pub details: serde_json::Value,
}

/// The result of [`AuditService::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainVerification {
    /// Every entry is present, unaltered and in order.
    Intact { entries: u64 },
    /// The first entry where the chain does not hold.
    Broken(ChainBreak),
}

pub struct AuditService {
    store: Arc<dyn Store>,
    chain_key: chain::ChainKey,
}

/// A window that ends where or before it starts finds nothing for certain: say so
/// rather than answer with an empty log the admin would take for "nothing happened".
fn check_window(filter: &AuditFilter) -> DomainResult<()> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if to <= from => Err(DomainError::invalid(
            "to",
            "must be later than from (from is inclusive, to exclusive)",
        )),
        _ => Ok(()),
    }
}

fn clip(text: Option<String>) -> Option<String> {
    text.map(|mut text| {
        if text.len() > MAX_FIELD_LEN {
            let mut end = MAX_FIELD_LEN;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        text
    })
}

impl AuditService {
    /// The chain is keyed with a key derived from `master_key`: verifying needs it too.
    pub fn new(store: Arc<dyn Store>, master_key: &MasterKey) -> Self {
        Self {
            store,
            chain_key: chain::ChainKey(master_key.derive("audit-chain")),
        }
    }

    /// Appends one entry to the chain.
    pub async fn record(&self, record: AuditRecord) -> DomainResult<AuditEntry> {
        let key = self.chain_key.clone();
        let build = Box::new(move |head: &proxicloud_store::AuditHead| {
            let mut entry = NewAuditEntry {
                // Stamped under the chain lock, so times never go backwards along seqs.
                at: Timestamp::now(),
                user_id: record.user_id,
                username: clip(record.username),
                source_ip: clip(record.source_ip),
                action: clip(Some(record.action)).unwrap_or_default(),
                resource: clip(record.resource),
                outcome: record.outcome,
                request_id: clip(record.request_id),
                details: record.details,
                hash: String::new(),
            };
            entry.hash = chain::entry_hash(&key, head.hash.as_deref(), head.next_seq(), &entry);
            entry
        });
        Ok(self.store.audit().append(build).await?)
    }

    /// Entries matching `filter`, newest first. Admins only.
    pub async fn query(
        &self,
        caller: &Principal,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AuditEntry>> {
        caller.require_admin()?;
        check_window(filter)?;
        Ok(self.store.audit().query(filter, page).await?)
    }

    /// Every entry matching `filter` as CSV (header row first, newest first). Admins only.
    pub async fn export_csv(
        &self,
        caller: &Principal,
        filter: &AuditFilter,
    ) -> DomainResult<Vec<u8>> {
        caller.require_admin()?;
        check_window(filter)?;
        let mut writer = export::CsvExport::new();
        let mut page = PageRequest::first(SCAN_BATCH);
        loop {
            let batch = self.store.audit().query(filter, page).await?;
            batch
                .items
                .iter()
                .try_for_each(|entry| writer.write(entry))?;
            match batch.next {
                Some(cursor) => page = PageRequest::after(cursor, SCAN_BATCH),
                None => break,
            }
        }
        writer.finish()
    }

    /// Walks the whole log and checks every link. Used by `proxicloud admin
    /// verify-audit`; needs no caller because it reveals nothing but a count.
    pub async fn verify(&self) -> DomainResult<ChainVerification> {
        let repo = self.store.audit();
        // Read the head first: entries appended while we walk lie beyond it and are
        // simply not part of this check.
        let head = repo.head().await?;
        let mut verifier = chain::ChainVerifier::new(self.chain_key.clone());
        let mut after = 0;
        while after < head.seq {
            let batch = repo.scan(after, SCAN_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for entry in batch.iter().filter(|e| e.seq <= head.seq) {
                if let Err(broken) = verifier.check(entry) {
                    return Ok(ChainVerification::Broken(broken));
                }
            }
        }
        Ok(match verifier.finish(&head) {
            Ok(entries) => ChainVerification::Intact { entries },
            Err(broken) => ChainVerification::Broken(broken),
        })
    }
}

/// Provides [`AuditService`], keyed from the master key.
pub fn register(registry: &mut crate::app::Registry, platform: &crate::app::Platform) {
    registry.provide(Arc::new(AuditService::new(
        platform.store.clone(),
        &platform.master_key,
    )));
}
