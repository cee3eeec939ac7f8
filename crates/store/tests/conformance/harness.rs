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
            let base = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
                panic!(
                    "{POSTGRES_URL_VAR} is not set, so the PostgreSQL half of the store conformance suite \
                     cannot run. Run `bash scripts/test.sh`, or `source scripts/postgres.sh` before \
                     `cargo test -p proxicloud-store`."
                )
            });
            // A schema per test: far cheaper than a database, and just as isolated.
            let schema = format!("conformance_{}", Uuid::now_v7().simple());
            let mut admin = sqlx::PgConnection::connect(&base)
                .await
                .unwrap_or_else(|e| panic!("connect to {base} ({POSTGRES_URL_VAR}): {e}"));
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut admin)
                .await
                .expect("create schema");
            let separator = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
            let store = proxicloud_store::connect(&url)
                .await
                .expect("open PostgreSQL store");
            test(store.clone()).await;
            store.close().await;
            // Only reached when the test passed: a failed test leaves its schema to inspect.
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut admin)
                .await
                .expect("drop schema");
        }
    }
}
