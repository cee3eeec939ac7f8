//! [`KeyPairRepo`] for both backends.

use async_trait::async_trait;
use uuid::Uuid;

use super::args::{Arg, Sql};
use super::connect::BeginWrite;
use super::records::{GuestKeyPairRecord, KEY_PAIR_COLUMNS, KeyPairRecord};
use super::{DbId, SqlStore, found};
use crate::repo::key_pairs::{GuestKeyPair, KeyPair, KeyPairRepo, NewKeyPair};
use crate::{Result, StoreError, Timestamp};

#[async_trait]
impl KeyPairRepo for SqlStore {
    async fn insert(&self, key_pair: NewKeyPair) -> Result<KeyPair> {
        let sql = format!(
            "INSERT INTO key_pairs (id, owner_id, name, key_type, public_key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {KEY_PAIR_COLUMNS}"
        );
        let record: KeyPairRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(key_pair.owner_id))
                .bind(&key_pair.name)
                .bind(&key_pair.key_type)
                .bind(&key_pair.public_key)
                .bind(&key_pair.fingerprint)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn get(&self, id: Uuid) -> Result<KeyPair> {
        let sql = format!("SELECT {KEY_PAIR_COLUMNS} FROM key_pairs WHERE id = $1");
        let record: Option<KeyPairRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<KeyPair>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            self.dialect(),
            format!("SELECT {KEY_PAIR_COLUMNS} FROM key_pairs WHERE id IN ("),
        );
        sql.bind_list(ids.iter().map(|id| Arg::from(*id))).push(")");
        let (sql, args) = sql.into_parts();
        let records: Vec<KeyPairRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&sql), args).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn list(&self, owner_id: Option<Uuid>) -> Result<Vec<KeyPair>> {
        let sql = format!(
            "SELECT {KEY_PAIR_COLUMNS} FROM key_pairs WHERE ($1 IS NULL OR owner_id = $1) \
             ORDER BY name, id"
        );
        let records: Vec<KeyPairRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(owner_id.map(DbId)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        let sql = "DELETE FROM key_pairs WHERE id = $1";
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
    }

    async fn record_for_guest(&self, guest_id: Uuid, key_pairs: &[GuestKeyPair]) -> Result<()> {
        let sql = "INSERT INTO guest_key_pairs (guest_id, key_pair_id, name, fingerprint) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (guest_id, key_pair_id) DO NOTHING";
        on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            for key_pair in key_pairs {
                sqlx::query(sql)
                    .bind(DbId(guest_id))
                    .bind(DbId(key_pair.key_pair_id))
                    .bind(&key_pair.name)
                    .bind(&key_pair.fingerprint)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn list_for_guest(&self, guest_id: Uuid) -> Result<Vec<GuestKeyPair>> {
        let sql = "SELECT key_pair_id, name, fingerprint FROM guest_key_pairs \
             WHERE guest_id = $1 ORDER BY name, key_pair_id";
        let records: Vec<GuestKeyPairRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(DbId(guest_id)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }
}
