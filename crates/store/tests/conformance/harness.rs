//! Fresh stores for each test, on each backend.

use std::future::Future;
use std::sync::Arc;

use proxicloud_store::Store;
use sqlx::Connection;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const POSTGRES_URL_VAR: &str = "PROXICLOUD_TEST_POSTGRES_URL";

/// Runs one conformance test on a fresh, migrated store of `backend`.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("store.db").display()
            );
            let store = proxicloud_store::connect(&url)
                .await
                .expect("open SQLite store");
            test(store.clone()).await;
            store.close().await;
        }
        Backend::Postgres => {
            let schema = PgSchema::create().await;
            let store = proxicloud_store::connect(&schema.url)
                .await
                .expect("open PostgreSQL store");
            test(store.clone()).await;
            store.close().await;
            schema.drop().await;
        }
    }
}

/// A new, empty schema in the database named by `PROXICLOUD_TEST_POSTGRES_URL`: far
/// cheaper than a database per test, and just as isolated.
pub struct PgSchema {
    pub name: String,
    /// Connects with the schema as its search path.
    pub url: String,
    admin: sqlx::PgConnection,
}

impl PgSchema {
    pub async fn create() -> Self {
        let base = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
            panic!(
                "{POSTGRES_URL_VAR} is not set, so the PostgreSQL half of the store conformance suite \
                 cannot run. Run `bash scripts/test.sh`, or `source scripts/postgres.sh` before \
                 `cargo test -p proxicloud-store`."
            )
        });
        let name = format!("conformance_{}", Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("connect to {base} ({POSTGRES_URL_VAR}): {e}"));
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut admin)
            .await
            .expect("create schema");
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
        Self { name, url, admin }
    }

    /// Runs `sql` with the schema as its search path.
    pub async fn execute(&mut self, sql: &str) {
        let sql = format!("SET search_path TO {}; {sql}", self.name);
        sqlx::raw_sql(&sql)
            .execute(&mut self.admin)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Called when the test passed: a failed test leaves its schema to inspect.
    pub async fn drop(mut self) {
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(&mut self.admin)
            .await
            .expect("drop schema");
    }
}
