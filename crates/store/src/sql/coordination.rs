//! [`Coordination`] on both backends: a session-level advisory lock held on a
//! dedicated connection, and `LISTEN/NOTIFY` on its own one-connection pool (so a
//! listener neither takes a slot of the main pool nor holds up its `close`).

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use super::{Db, SqlStore};
use crate::Result;
use crate::repo::coordination::{Coordination, Heard, Leadership, Listener, SingleProcess};

#[async_trait]
impl Coordination for SqlStore {
    async fn try_lead(&self, name: &str) -> Result<Option<Box<dyn Leadership>>> {
        match &self.db {
            Db::Sqlite { .. } => SingleProcess.try_lead(name).await,
            Db::Postgres(pool) => try_lock(pool, name).await,
        }
    }

    async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        if let Db::Postgres(pool) = &self.db {
            sqlx::query(&format!("SELECT pg_notify({SCOPED_CHANNEL}, $2)"))
                .bind(channel)
                .bind(payload)
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    async fn listen(&self, channel: &str) -> Result<Box<dyn Listener>> {
        match &self.db {
            Db::Sqlite { .. } => SingleProcess.listen(channel).await,
            Db::Postgres(pool) => {
                let own = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_lazy_with((*pool.connect_options()).clone());
                let mut listener = PgListener::connect_with(&own).await?;
                let scoped: String = sqlx::query_scalar(&format!("SELECT {SCOPED_CHANNEL}"))
                    .bind(channel)
                    .fetch_one(&mut listener)
                    .await?;
                listener.listen(&scoped).await?;
                Ok(Box::new(Notifications(listener)))
            }
        }
    }
}

/// Channels are per database, but a deployment is a schema: suffixing the schema's hash
/// keeps two deployments sharing a database (and the conformance tests) apart.
const SCOPED_CHANNEL: &str = "$1 || '_' || left(md5(current_schema()), 8)";

/// The key is derived in SQL from the schema and the name, so two deployments sharing
/// a database in different schemas (and the conformance tests) never contend.
const TRY_LOCK: &str =
    "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || '/' || $1, 0))";

async fn try_lock(pool: &PgPool, name: &str) -> Result<Option<Box<dyn Leadership>>> {
    // A connection of our own, outside the pool: the lock lives exactly as long as it.
    let mut connection = PgConnection::connect_with(&pool.connect_options()).await?;
    let locked: bool = sqlx::query_scalar(TRY_LOCK)
        .bind(name)
        .fetch_one(&mut connection)
        .await?;
    if !locked {
        // Closing politely ends the session at once instead of leaving it to time out.
        let _ = connection.close().await;
        return Ok(None);
    }
    Ok(Some(Box::new(AdvisoryLock {
        connection: Some(connection),
    })))
}

/// Held while its connection lives; dropping it drops the connection, which ends the
/// session and so releases the lock.
struct AdvisoryLock {
    connection: Option<PgConnection>,
}

#[async_trait]
impl Leadership for AdvisoryLock {
    async fn still_leading(&mut self) -> bool {
        let Some(connection) = self.connection.as_mut() else {
            return false;
        };
        // A session-level advisory lock ends only with the session, so a live session
        // is a held lock.
        if connection.ping().await.is_ok() {
            return true;
        }
        self.connection = None;
        false
    }
}

struct Notifications(PgListener);

#[async_trait]
impl Listener for Notifications {
    async fn recv(&mut self) -> Result<Heard> {
        // `try_recv` says `None` when the connection dropped (it reconnects and
        // re-subscribes on the next call), which `recv` would hide.
        Ok(match self.0.try_recv().await? {
            Some(notification) => Heard::Message(notification.payload().to_owned()),
            None => Heard::Gap,
        })
    }
}
