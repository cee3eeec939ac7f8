//! What a PostgreSQL database meets before its migrations run (`sql/upgrade.rs`,
//! whose unit tests cover SQLite, its backup and an unreadable migration record): a
//! fresh schema is migrated, one that a newer binary migrated is refused.

use proxicloud_store::StoreError;

use crate::harness::PgSchema;

const RECORD: &str = "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY)";

#[tokio::test]
async fn postgres_migrates_a_fresh_schema_and_refuses_a_newer_one() {
    let fresh = PgSchema::create().await;
    let store = proxicloud_store::connect(&fresh.url)
        .await
        .expect("a fresh schema is migrated");
    store.close().await;
    fresh.drop().await;

    let mut newer = PgSchema::create().await;
    newer.execute(RECORD).await;
    newer
        .execute("INSERT INTO _sqlx_migrations VALUES (1), (9999)")
        .await;
    match proxicloud_store::connect(&newer.url).await {
        Err(StoreError::Migration(message)) => {
            assert!(
                message.contains("newer ProxiCloud") && message.contains("9999"),
                "{message}"
            )
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("a database a newer binary migrated was opened"),
    }
    newer.drop().await;
}
