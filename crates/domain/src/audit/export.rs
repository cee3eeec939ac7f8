//! CSV rendering of audit entries.

use proxicloud_store::AuditEntry;

use crate::error::{DomainError, DomainResult};

const HEADER: [&str; 13] = [
    "seq",
    "id",
    "at",
    "user_id",
    "username",
    "source_ip",
    "action",
    "resource",
    "outcome",
    "request_id",
    "details",
    "prev_hash",
    "hash",
];

/// Spreadsheets run cells that start with these as formulas; a failed login can put
/// any text in `username`, so such cells get a leading apostrophe (OWASP's advice
/// against CSV injection).
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

pub(super) struct CsvExport {
    writer: csv::Writer<Vec<u8>>,
}

fn csv_failure(error: csv::Error) -> DomainError {
    DomainError::Internal(format!("writing audit CSV failed: {error}"))
}

impl CsvExport {
    pub(super) fn new() -> Self {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer
            .write_record(HEADER)
            .expect("writing to memory cannot fail");
        Self { writer }
    }

    pub(super) fn write(&mut self, entry: &AuditEntry) -> DomainResult<()> {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(defuse)
                .unwrap_or_default()
                .into_owned()
        };
        let record = [
            entry.seq.to_string(),
            entry.id.to_string(),
            entry.at.to_rfc3339(),
            entry.user_id.map(|id| id.to_string()).unwrap_or_default(),
            text(&entry.username),
            text(&entry.source_ip),
            defuse(&entry.action).into_owned(),
            text(&entry.resource),
            entry.outcome.to_string(),
            text(&entry.request_id),
            entry.details.to_string(),
            entry.prev_hash.clone().unwrap_or_default(),
            entry.hash.clone(),
        ];
        self.writer.write_record(&record).map_err(csv_failure)
    }

    pub(super) fn finish(self) -> DomainResult<Vec<u8>> {
        self.writer
            .into_inner()
            .map_err(|e| DomainError::Internal(format!("flushing audit CSV failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_defused() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-1"), "'-1");
        assert_eq!(defuse("alice"), "alice");
    }
}
