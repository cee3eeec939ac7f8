//! The one error type every repository returns.

use std::fmt;

/// Names of the unique constraints a caller may want to tell apart in
/// [`StoreError::Conflict`]. Both backends report exactly these names.
pub mod constraints {
    /// `users.username`, compared case-insensitively.
    pub const USERNAME: &str = "users_username_key";
    /// `clusters.name`.
    pub const CLUSTER_NAME: &str = "clusters_name_key";
    /// `(cluster_id, vmid)` among live (not removed) guests.
    pub const GUEST_VMID: &str = "guests_cluster_id_vmid_key";
    /// `refresh_tokens.token_hash`.
    pub const REFRESH_TOKEN_HASH: &str = "refresh_tokens_token_hash_key";
    /// `api_tokens.token_hash`.
    pub const API_TOKEN_HASH: &str = "api_tokens_token_hash_key";
    /// `(cluster_id, holder_vmid)` of volumes.
    pub const VOLUME_HOLDER: &str = "volumes_cluster_id_holder_vmid_key";
    /// `(attached_guest_id, attachment_key)`: one volume per config key of a guest.
    pub const VOLUME_ATTACHMENT: &str = "volumes_attached_guest_id_attachment_key_key";
    /// `(volume_id, name)` of volume snapshots.
    pub const VOLUME_SNAPSHOT_NAME: &str = "volume_snapshots_volume_id_name_key";
    /// One unfinished (queued, running, waiting) job per volume (`resource_kind` =
    /// `volume`): a second one is refused.
    pub const JOB_VOLUME_ACTIVE: &str = "jobs_volume_active_key";
    /// `(owner_id, name)` of `key_pairs`.
    pub const KEY_PAIR_NAME: &str = "key_pairs_owner_id_name_key";
    /// `s3_access_keys.access_key_id`.
    pub const ACCESS_KEY_ID: &str = "s3_access_keys_access_key_id_key";
    /// `(owner_id, name)` of `secrets`.
    pub const SECRET_NAME: &str = "secrets_owner_id_name_key";
    /// `buckets.name` (system-wide, like S3).
    pub const BUCKET_NAME: &str = "buckets_name_key";
}

/// Why a repository call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row addressed by id (or key) does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint rejected the write; `constraint` is one of [`constraints`].
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// A referenced row (user, cluster, job) does not exist.
    #[error("a referenced row does not exist")]
    MissingReference,
    /// The row exists but is no longer in the state the operation requires: a refresh
    /// token that was already rotated, revoked or has expired; a job that is not claimed
    /// by the calling worker any more; a job that is not queued.
    #[error("stale: {0}")]
    Stale(&'static str),
    /// The write would take its owner past their object storage quota.
    #[error("quota exceeded")]
    QuotaExceeded,
    /// A pagination cursor that this store did not issue for this query.
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// The database URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL (expected sqlite://… or postgres://…): {0}")]
    InvalidUrl(String),
    /// A stored value cannot be read back as its Rust type (edited by hand, or a bug).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Applying the schema migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// Any other database failure (connection lost, pool timeout, I/O error…).
    #[error("database error: {0}")]
    Database(#[source] DatabaseError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An opaque database failure. Its `Display` is for logs, not for API responses.
pub struct DatabaseError(sqlx::Error);

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &error {
            sqlx::Error::RowNotFound => return StoreError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => {
                    let constraint = db
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| sqlite_constraint_name(db.message()));
                    return StoreError::Conflict { constraint };
                }
                ErrorKind::ForeignKeyViolation => return StoreError::MissingReference,
                _ => {}
            },
            _ => {}
        }
        StoreError::Database(DatabaseError(error))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(error.to_string())
    }
}

/// SQLite does not name the violated index; it says either
/// `UNIQUE constraint failed: index 'users_username_key'` (expression indexes) or
/// `UNIQUE constraint failed: guests.cluster_id, guests.vmid` (column indexes).
/// Both are turned into the PostgreSQL index name, `<table>_<col>[_<col>…]_key`,
/// which is how every unique index in the migrations is named.
fn sqlite_constraint_name(message: &str) -> String {
    let detail = message
        .split_once("constraint failed:")
        .map_or(message, |(_, rest)| rest)
        .trim();
    if let Some(index) = detail.strip_prefix("index '") {
        return index.trim_end_matches('\'').to_owned();
    }
    let mut table = None;
    let mut columns = Vec::new();
    for qualified in detail.split(',') {
        let (t, column) = qualified.trim().split_once('.').unwrap_or(("", qualified));
        table.get_or_insert(t);
        columns.push(column.trim());
    }
    format!("{}_{}_key", table.unwrap_or_default(), columns.join("_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_map_to_postgres_index_names() {
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: index 'users_username_key'"),
            constraints::USERNAME
        );
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: guests.cluster_id, guests.vmid"),
            constraints::GUEST_VMID
        );
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: clusters.name"),
            constraints::CLUSTER_NAME
        );
    }
}
