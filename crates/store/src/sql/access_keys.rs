//! [`AccessKeyRepo`] for both backends.

use async_trait::async_trait;
use uuid::Uuid;

use super::{DbId, SqlStore, found};
use crate::repo::access_keys::{AccessKey, AccessKeyRepo, NewAccessKey};
use crate::{Result, StoreError, Timestamp};

const COLUMNS: &str = "id, owner_id, access_key_id, secret_sealed, disabled, created_at";

#[derive(sqlx::FromRow)]
struct Record {
    id: DbId,
    owner_id: DbId,
    access_key_id: String,
    secret_sealed: Vec<u8>,
    disabled: bool,
    created_at: Timestamp,
}

impl From<Record> for AccessKey {
    fn from(r: Record) -> Self {
        AccessKey {
            id: r.id.0,
            owner_id: r.owner_id.0,
            access_key_id: r.access_key_id,
            secret_sealed: r.secret_sealed,
            disabled: r.disabled,
            created_at: r.created_at,
        }
    }
}

#[async_trait]
impl AccessKeyRepo for SqlStore {
    async fn insert(&self, key: NewAccessKey) -> Result<AccessKey> {
        let sql = format!(
            "INSERT INTO s3_access_keys (id, owner_id, access_key_id, secret_sealed, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
        );
        let record: Record = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(key.owner_id))
                .bind(&key.access_key_id)
                .bind(&key.secret_sealed)
                .bind(false)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn get(&self, id: Uuid) -> Result<AccessKey> {
        let sql = format!("SELECT {COLUMNS} FROM s3_access_keys WHERE id = $1");
        let record: Option<Record> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn find_by_access_key_id(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        let sql = format!("SELECT {COLUMNS} FROM s3_access_keys WHERE access_key_id = $1");
        let record: Option<Record> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(access_key_id).fetch_optional(pool).await?
        });
        Ok(record.map(Into::into))
    }

    async fn list(&self, owner_id: Option<Uuid>) -> Result<Vec<AccessKey>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM s3_access_keys WHERE ($1 IS NULL OR owner_id = $1) \
             ORDER BY created_at, id"
        );
        let records: Vec<Record> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(owner_id.map(DbId)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn set_disabled(&self, id: Uuid, disabled: bool) -> Result<AccessKey> {
        let sql =
            format!("UPDATE s3_access_keys SET disabled = $2 WHERE id = $1 RETURNING {COLUMNS}");
        let record: Option<Record> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).bind(disabled).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        let sql = "DELETE FROM s3_access_keys WHERE id = $1";
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
    }
}
