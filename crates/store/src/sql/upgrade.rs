//! What happens before the migrations run at start:
//! - a database that a newer ProxiCloud has migrated (it has migrations this binary
//!   does not know) is refused with a message that says so: an older binary would
//!   misread tables it does not know;
//! - a SQLite database that is about to be migrated is first copied beside itself
//!   (`VACUUM INTO`, a consistent snapshot, 0600) as
//!   `<database>.before-<newest migration>-<unix time>.bak`: an upgrade that goes
//!   wrong can be undone by putting that file back.
//!
//! PostgreSQL migrations run in a transaction each; back it up with `pg_dump` before
//! upgrading.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sqlx::migrate::Migrator;
use sqlx::{PgPool, SqlitePool};

use crate::{Result, StoreError};

/// The migrations already applied (none on a fresh database).
pub(crate) async fn applied_sqlite(pool: &SqlitePool) -> BTreeSet<i64> {
    // No table yet: a fresh database.
    sqlx::query_scalar::<_, i64>("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .map(BTreeSet::from_iter)
        .unwrap_or_default()
}

pub(crate) async fn applied_postgres(pool: &PgPool) -> BTreeSet<i64> {
    sqlx::query_scalar::<_, i64>("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .map(BTreeSet::from_iter)
        .unwrap_or_default()
}

/// Refuses a database migrated by a newer binary.
pub(crate) fn refuse_newer(applied: &BTreeSet<i64>, migrator: &Migrator) -> Result<()> {
    let known: BTreeSet<i64> = migrator.iter().map(|m| m.version).collect();
    let unknown: Vec<String> = applied
        .difference(&known)
        .map(ToString::to_string)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(StoreError::Migration(format!(
        "this database was upgraded by a newer ProxiCloud (it has schema migrations {} that \
         this binary does not know, its newest is {}): run that newer version, or restore \
         the backup taken before the upgrade",
        unknown.join(", "),
        known.last().copied().unwrap_or_default(),
    )))
}

/// Copies the database before migrations change it; `None` when nothing is pending
/// or the database is new.
pub(crate) async fn backup_before_migrating(
    pool: &SqlitePool,
    database: &Path,
    applied: &BTreeSet<i64>,
    migrator: &Migrator,
) -> Result<Option<PathBuf>> {
    let pending = migrator.iter().any(|m| !applied.contains(&m.version));
    if applied.is_empty() || !pending {
        return Ok(None);
    }
    let newest = migrator.iter().map(|m| m.version).max().unwrap_or_default();
    let seconds = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut name = database.as_os_str().to_owned();
    name.push(format!(".before-{newest:04}-{seconds}.bak"));
    let backup = PathBuf::from(name);
    let quoted = backup.to_string_lossy().replace('\'', "''");
    sqlx::query(&format!("VACUUM INTO '{quoted}'"))
        .execute(pool)
        .await?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::from(sqlx::Error::Io(e)))?;
    }
    tracing::warn!(backup = %backup.display(), "database backed up before its schema migration");
    Ok(Some(backup))
}
