//! The audit log: store entries → [`proxicloud_types::api::audit`], and its query
//! → the store's filter.

use proxicloud_store::{AuditEntry, AuditFilter, Outcome, TextMatch};
use proxicloud_types::api::audit::{AuditEntryDto, AuditQuery, OutcomeDto};

use super::IntoDto;

impl IntoDto for Outcome {
    type Dto = OutcomeDto;
    fn into_dto(self) -> OutcomeDto {
        match self {
            Self::Success => OutcomeDto::Success,
            Self::Failure => OutcomeDto::Failure,
            Self::Denied => OutcomeDto::Denied,
        }
    }
}

fn outcome(outcome: OutcomeDto) -> Outcome {
    match outcome {
        OutcomeDto::Success => Outcome::Success,
        OutcomeDto::Failure => Outcome::Failure,
        OutcomeDto::Denied => Outcome::Denied,
    }
}

/// The query's filters as the store's (pagination is separate); the text filters are
/// what a person types, so they match any part of the value.
pub fn audit_filter(query: &AuditQuery) -> AuditFilter {
    AuditFilter {
        user_id: query.user_id,
        username: query.username.clone().map(TextMatch::Contains),
        action: query.action.clone().map(TextMatch::Contains),
        resource: query.resource.clone().map(TextMatch::Contains),
        outcome: query.outcome.map(outcome),
        from: query.from,
        to: query.to,
    }
}

impl IntoDto for AuditEntry {
    type Dto = AuditEntryDto;
    fn into_dto(self) -> AuditEntryDto {
        AuditEntryDto {
            seq: self.seq,
            id: self.id,
            at: self.at,
            user_id: self.user_id,
            username: self.username,
            source_ip: self.source_ip,
            action: self.action,
            resource: self.resource,
            outcome: self.outcome.into_dto(),
            request_id: self.request_id,
            details: self.details,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}
