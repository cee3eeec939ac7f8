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
use std::future::Future;
use std::path::{Path, PathBuf};

use sqlx::migrate::Migrator;
use sqlx::{PgPool, SqlitePool};

use crate::{Result, StoreError};

/// sqlx's record of the migrations it ran.
const APPLIED: &str = "SELECT version FROM _sqlx_migrations";

/// The migrations already applied: none on a fresh database, which has no
/// `_sqlx_migrations` table yet. Any other failure to read them is an error, not a
/// fresh database (that would skip the refusal and the backup below).
pub(crate) async fn applied_sqlite(pool: &SqlitePool) -> Result<BTreeSet<i64>> {
    let exists = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master \
         WHERE type = 'table' AND name = '_sqlx_migrations')",
    );
    applied(exists.fetch_one(pool), || {
        sqlx::query_scalar(APPLIED).fetch_all(pool)
    })
    .await
}

/// [`applied_sqlite`] for PostgreSQL (the table is looked up on the `search_path`,
/// as sqlx's migrator does).
pub(crate) async fn applied_postgres(pool: &PgPool) -> Result<BTreeSet<i64>> {
    let exists = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL");
    applied(exists.fetch_one(pool), || {
        sqlx::query_scalar(APPLIED).fetch_all(pool)
    })
    .await
}

async fn applied<V>(
    exists: impl Future<Output = sqlx::Result<bool>>,
    versions: impl FnOnce() -> V,
) -> Result<BTreeSet<i64>>
where
    V: Future<Output = sqlx::Result<Vec<i64>>>,
{
    if !exists.await? {
        return Ok(BTreeSet::new());
    }
    Ok(versions().await?.into_iter().collect())
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

#[cfg(test)]
mod tests {
    //! PostgreSQL's side is tested in the conformance suite (`tests/conformance/upgrade.rs`),
    //! on its harness.
    use sqlx::sqlite::SqlitePoolOptions;

    use super::*;

    const TABLE: &str = "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY)";
    const BROKEN: &str = "CREATE TABLE _sqlx_migrations (name TEXT)";

    #[tokio::test]
    async fn sqlite_fresh_migrated_and_unreadable() {
        let pool = || async {
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect("sqlite::memory:")
                .await
                .unwrap()
        };
        let fresh = pool().await;
        assert_eq!(applied_sqlite(&fresh).await.unwrap(), BTreeSet::new());
        let migrated = pool().await;
        sqlx::query(TABLE).execute(&migrated).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations VALUES (1), (2)")
            .execute(&migrated)
            .await
            .unwrap();
        assert_eq!(
            applied_sqlite(&migrated).await.unwrap(),
            BTreeSet::from([1, 2])
        );
        // Not a fresh database: the error is the caller's to see.
        let broken = pool().await;
        sqlx::query(BROKEN).execute(&broken).await.unwrap();
        assert!(applied_sqlite(&broken).await.is_err());
    }
}
