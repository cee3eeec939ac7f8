//! Opening either backend, applying its migrations, and starting write transactions.

use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnectionMetadata;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Database, PgPool, Postgres, Sqlite, SqlitePool, Transaction, TransactionManager};

use super::{Db, upgrade};
use crate::{Result, StoreError};

/// How long a SQLite connection waits for a lock held by another process (e.g. an
/// `admin` command run next to the server) before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Readers run in parallel on WAL snapshots; more than a few per core buys nothing.
const SQLITE_READERS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 16;

pub(crate) async fn open(url: &str) -> Result<Db> {
    if url.starts_with("sqlite:") {
        open_sqlite(url).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        open_postgres(url).await
    } else {
        Err(StoreError::InvalidUrl(redact_password(url)))
    }
}

async fn open_sqlite(url: &str) -> Result<Db> {
    let options = SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is on disk before it is acknowledged. NORMAL (WAL's usual
        // pairing) survives a process crash but can lose the last commits to a power
        // cut, after the caller acted on them (a replaced object's old file deleted, a
        // job's step reported done); one fsync per commit is the price.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if !in_memory {
        owner_only(options.get_filename())?;
    }

    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .after_release(|conn, meta| Box::pin(roll_back_abandoned_transaction(conn, meta)))
        .connect_with(options.clone().optimize_on_close(true, None))
        .await?;
    let migrator = sqlx::migrate!("migrations/sqlite");
    let applied = upgrade::applied_sqlite(&writer).await?;
    upgrade::refuse_newer(&applied, &migrator)?;
    if !in_memory {
        upgrade::backup_before_migrating(&writer, options.get_filename(), &applied, &migrator)
            .await?;
    }
    migrator.run(&writer).await?;

    let reader = if in_memory {
        writer.clone()
    } else {
        // `query_only` turns a write sent to a reader by mistake into an error instead
        // of a second writer competing for the lock.
        SqlitePoolOptions::new()
            .max_connections(SQLITE_READERS)
            .connect_with(options.create_if_missing(false).pragma("query_only", "ON"))
            .await?
    };
    Ok(Db::Sqlite { writer, reader })
}

/// Rolls back a transaction still open on a connection going back to the pool.
///
/// sqlx 0.8.6 can release a connection inside a transaction: `BEGIN IMMEDIATE` (a custom
/// begin statement) whose future is dropped after SQLite ran it but before sqlx built
/// the `Transaction` — an aborted task, a client that hung up — leaves no guard to end
/// it (transact-rs/sqlx#3932). On our single writer, every later write would then run
/// inside a transaction nobody commits, invisible to the readers, and every later
/// `begin_write` would fail. The rollback is queued before the pool's release ping, so
/// it has run before anyone gets the connection. (A `Transaction` dropped the normal
/// way has queued its own rollback already; a second one finds nothing to do.)
async fn roll_back_abandoned_transaction(
    conn: &mut SqliteConnection,
    _: PoolConnectionMetadata,
) -> std::result::Result<bool, sqlx::Error> {
    type Manager = <Sqlite as Database>::TransactionManager;
    if Manager::get_transaction_depth(conn) > 0 {
        Manager::start_rollback(conn);
    }
    Ok(true)
}

/// The database holds password hashes and encrypted secrets: readable by its owner
/// only. SQLite creates the `-wal` and `-shm` files with the database file's mode, so
/// creating that file 0600 before SQLite does covers all three; files of an older
/// install (created 0644) are tightened.
fn owner_only(database: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |error: std::io::Error| StoreError::from(sqlx::Error::Io(error));
    if !database.exists() {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(database)
        {
            Ok(_) => {}
            // Created meanwhile by another process (a parallel `admin` command).
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            // A missing directory: let SQLite report it as it always has.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(io(error)),
        }
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn open_postgres(url: &str) -> Result<Db> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .connect_with(options)
        .await?;
    let migrator = sqlx::migrate!("migrations/postgres");
    upgrade::refuse_newer(&upgrade::applied_postgres(&pool).await?, &migrator)?;
    migrator.run(&pool).await?;
    Ok(Db::Postgres(pool))
}

/// Keeps a password out of error messages (and so out of logs).
fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Starts a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock
/// is taken up front, so a transaction that reads before it writes can neither fail
/// with `SQLITE_BUSY` on lock upgrade nor act on a snapshot another process changed.
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Database>>;
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl BeginWrite for PgPool {
    type Database = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.begin().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh.db");
        let mode = |suffix: &str| {
            let file = format!("{}{suffix}", path.display());
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777
        };
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = open(&url).await.unwrap();
        assert_eq!(
            (mode(""), mode("-wal"), mode("-shm")),
            (0o600, 0o600, 0o600)
        );
        drop(db);

        // An install from before: world-readable files are tightened on open.
        let old = dir.path().join("old.db");
        std::fs::write(&old, b"").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        open(&format!("sqlite://{}?mode=rwc", old.display()))
            .await
            .unwrap();
        let meta = std::fs::metadata(&old).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }

    #[tokio::test]
    async fn a_newer_database_is_refused_and_an_upgrade_is_backed_up_first() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("proxicloud.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let Db::Sqlite { writer, .. } = open(&url).await.unwrap() else {
            unreachable!()
        };
        let no_backups = |dir: &std::path::Path| {
            std::fs::read_dir(dir)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .to_string_lossy()
                        .ends_with(".bak")
                })
                .count()
                == 0
        };
        assert!(
            no_backups(dir.path()),
            "nothing to back up on a fresh database"
        );

        // Forget the newest migration: the next start migrates, so backs up first
        // (the migration then fails on its existing tables: the backup is what is left).
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)")
            .execute(&writer)
            .await
            .unwrap();
        writer.close().await;
        let _ = open(&url).await;
        let backup = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains(".before-"))
            .expect("a backup before migrating");
        assert_eq!(
            std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let header = std::fs::read(&backup).unwrap();
        assert!(
            header.starts_with(b"SQLite format 3\0"),
            "a SQLite database"
        );

        // A migration this binary does not know: a newer ProxiCloud was here.
        let fresh = dir.path().join("newer.db");
        let url = format!("sqlite://{}?mode=rwc", fresh.display());
        let Db::Sqlite { writer, .. } = open(&url).await.unwrap() else {
            unreachable!()
        };
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', TRUE, x'00', 0)",
        )
        .execute(&writer)
        .await
        .unwrap();
        writer.close().await;
        let Err(StoreError::Migration(message)) = open(&url).await else {
            panic!("a newer database was opened")
        };
        assert!(
            message.contains("newer ProxiCloud") && message.contains("9999"),
            "{message}"
        );
    }

    /// A `begin_write` abandoned between SQLite running `BEGIN IMMEDIATE` and sqlx
    /// handing out the transaction (here: polled twice, then dropped, as an aborted
    /// task would be) leaves the writer usable, and what is written next is committed.
    #[tokio::test]
    async fn an_abandoned_begin_leaves_the_writer_usable() {
        use std::future::Future;
        use std::task::{Context, Poll, Waker};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
        let Db::Sqlite { writer, reader } = open(&url).await.unwrap() else {
            unreachable!()
        };
        sqlx::query("CREATE TABLE t (n INTEGER)")
            .execute(&writer)
            .await
            .unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut abandoned = 0;
        for n in 0..20 {
            let mut begin = Box::pin(writer.begin_write());
            // The first poll sends BEGIN to the connection's thread; the second (once it
            // ran) takes the answer and waits for the connection's lock to check it.
            let mut polls = 0;
            let mut ready = false;
            while polls < 2 {
                if let Poll::Ready(tx) = begin.as_mut().poll(&mut cx) {
                    drop(tx);
                    ready = true;
                    break;
                }
                polls += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            drop(begin);
            abandoned += usize::from(!ready);
            let mut tx = tokio::time::timeout(Duration::from_secs(5), writer.begin_write())
                .await
                .expect("the writer is free again")
                .expect("a new write transaction starts");
            sqlx::query("INSERT INTO t (n) VALUES ($1)")
                .bind(n)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
                .fetch_one(&reader)
                .await
                .unwrap();
            assert_eq!(count, n + 1, "every committed write is visible to readers");
        }
        assert!(abandoned > 0, "some begins were abandoned midway");
    }

    #[test]
    fn passwords_never_reach_error_messages() {
        assert_eq!(
            redact_password("mysql://u:secret@db/x"),
            "mysql://u:***@db/x"
        );
        assert_eq!(redact_password("nonsense"), "nonsense");
    }

    #[tokio::test]
    async fn unknown_schemes_are_rejected() {
        let Err(error) = open("mysql://u:secret@db/x").await else {
            panic!("mysql accepted")
        };
        assert!(matches!(error, StoreError::InvalidUrl(ref u) if !u.contains("secret")));
    }
}
