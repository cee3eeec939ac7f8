//! The sqlx implementation of every repository, for SQLite and PostgreSQL at once.
//!
//! Each query is written once: both dialects accept `$N` placeholders (sqlx binds
//! SQLite's `$N` by number), `ON CONFLICT … DO UPDATE`, `RETURNING`, row-value
//! comparisons and partial indexes. A query body is expanded for both pool types by
//! [`on_reader!`]/[`on_writer!`], so each arm is compiled against concrete sqlx types.
//! Where the dialects truly differ, [`Dialect`] supplies the fragment.

#[macro_use]
mod macros;
mod access_keys;
mod alerts;
mod args;
mod audit;
mod backups;
mod clusters;
mod codec;
mod connect;
mod coordination;
mod guest_secrets;
mod guests;
mod inventory;
mod job_tree;
mod jobs;
mod key_pairs;
mod metrics;
mod multipart;
mod notifications;
mod objects;
mod quotas;
mod records;
mod secrets;
mod settings;
mod sync_plan;
mod tokens;
mod upgrade;
mod users;
mod volumes;

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::{PgPool, SqlitePool};

use crate::repo::access_keys::AccessKeyRepo;
use crate::repo::alerts::AlertRepo;
use crate::repo::audit::AuditRepo;
use crate::repo::backups::BackupRepo;
use crate::repo::clusters::ClusterRepo;
use crate::repo::coordination::Coordination;
use crate::repo::guests::GuestRepo;
use crate::repo::inventory::InventoryRepo;
use crate::repo::jobs::JobRepo;
use crate::repo::key_pairs::KeyPairRepo;
use crate::repo::metrics::MetricsRepo;
use crate::repo::notifications::NotificationRepo;
use crate::repo::objects::ObjectRepo;
use crate::repo::secrets::SecretRepo;
use crate::repo::settings::SettingsRepo;
use crate::repo::tokens::{ApiTokenRepo, RefreshTokenRepo};
use crate::repo::users::UserRepo;
use crate::repo::volumes::VolumeRepo;
use crate::{Backend, Result, Store, Table};

pub(crate) use codec::{DbId, found};

/// The pools of one store.
pub(crate) enum Db {
    /// SQLite allows one writer at a time; funnelling every write through a single
    /// connection makes that explicit (no `SQLITE_BUSY` between our own writers), while
    /// readers run in parallel on WAL snapshots. For `:memory:` both are the same
    /// one-connection pool, since each connection would otherwise see its own database.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

/// The SQL fragments that differ between the two dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Row locks for a select inside a write transaction. SQLite needs none: the
    /// transaction already holds the database's single write lock.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// `params` without its [`SEALED_PARAMS`](crate::SEALED_PARAMS) key (SQLite keeps
    /// JSON as text, PostgreSQL as `jsonb`).
    pub(crate) fn params_without_sealed(self) -> &'static str {
        match self {
            Dialect::Sqlite => "json_remove(params, '$.sealed')",
            Dialect::Postgres => "(params - 'sealed')",
        }
    }

    /// Like `for_update`, but rows another transaction holds are passed over.
    pub(crate) fn for_update_skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

pub(crate) struct SqlStore {
    db: Db,
    /// See [`Store::writes`]: one counter per [`Table`].
    writes: [AtomicU64; 2],
}

impl SqlStore {
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        Ok(Self {
            db: connect::open(url).await?,
            writes: [AtomicU64::new(0), AtomicU64::new(0)],
        })
    }

    /// Called after a statement that may have changed rows of `table` has completed.
    pub(crate) fn note_write(&self, table: Table) {
        self.writes[table as usize].fetch_add(1, Ordering::Release);
    }

    pub(crate) fn note_guest_write(&self) {
        self.note_write(Table::Guests);
    }

    /// Runs a write that may change rows of `table`, then counts it — also when it
    /// failed: an extra rebuild of a view costs less than a missed one.
    pub(crate) async fn counting<T>(
        &self,
        table: Table,
        write: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let result = write.await;
        self.note_write(table);
        result
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self.db {
            Db::Sqlite { .. } => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    fn users(&self) -> &dyn UserRepo {
        self
    }

    fn refresh_tokens(&self) -> &dyn RefreshTokenRepo {
        self
    }

    fn api_tokens(&self) -> &dyn ApiTokenRepo {
        self
    }

    fn audit(&self) -> &dyn AuditRepo {
        self
    }

    fn clusters(&self) -> &dyn ClusterRepo {
        self
    }

    fn settings(&self) -> &dyn SettingsRepo {
        self
    }

    fn inventory(&self) -> &dyn InventoryRepo {
        self
    }

    fn guests(&self) -> &dyn GuestRepo {
        self
    }

    fn jobs(&self) -> &dyn JobRepo {
        self
    }

    fn volumes(&self) -> &dyn VolumeRepo {
        self
    }

    fn key_pairs(&self) -> &dyn KeyPairRepo {
        self
    }

    fn backups(&self) -> &dyn BackupRepo {
        self
    }
    fn metrics(&self) -> &dyn MetricsRepo {
        self
    }

    fn access_keys(&self) -> &dyn AccessKeyRepo {
        self
    }

    fn secrets(&self) -> &dyn SecretRepo {
        self
    }

    fn objects(&self) -> &dyn ObjectRepo {
        self
    }

    fn alerts(&self) -> &dyn AlertRepo {
        self
    }

    fn notifications(&self) -> &dyn NotificationRepo {
        self
    }

    fn coordination(&self) -> &dyn Coordination {
        self
    }

    fn writes(&self, table: Table) -> u64 {
        self.writes[table as usize].load(Ordering::Acquire)
    }

    async fn ping(&self) -> Result<()> {
        on_reader!(&self.db, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    async fn close(&self) {
        match &self.db {
            Db::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
