use async_trait::async_trait;
use uuid::Uuid;

use super::connect::BeginWrite;
use super::records::{
    API_TOKEN_COLUMNS, ApiTokenRecord, REFRESH_TOKEN_COLUMNS, RefreshTokenRecord,
};
use super::{DbId, SqlStore, found};
use crate::repo::tokens::{
    ApiToken, ApiTokenRepo, NewApiToken, NewRefreshToken, RefreshToken, RefreshTokenRepo,
};
use crate::{Result, StoreError, Timestamp};

#[async_trait]
impl RefreshTokenRepo for SqlStore {
    async fn insert(&self, token: NewRefreshToken) -> Result<RefreshToken> {
        let id = Uuid::now_v7();
        let sql = format!(
            "INSERT INTO refresh_tokens (id, user_id, token_hash, family_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $1, $4, $5) RETURNING {REFRESH_TOKEN_COLUMNS}"
        );
        let record: RefreshTokenRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(DbId(token.user_id))
                .bind(&token.token_hash)
                .bind(token.expires_at)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn find_by_hash(&self, token_hash: &str) -> Result<Option<RefreshToken>> {
        let sql =
            format!("SELECT {REFRESH_TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = $1");
        let record: Option<RefreshTokenRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?
        });
        Ok(record.map(Into::into))
    }

    async fn rotate(
        &self,
        old_id: Uuid,
        token_hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<RefreshToken> {
        let new_id = Uuid::now_v7();
        // The guarded UPDATE is the arbiter: of two concurrent rotations of one token,
        // only the one whose UPDATE matched goes on to insert a successor.
        let mark_replaced = "UPDATE refresh_tokens SET replaced_by = $2 \
             WHERE id = $1 AND replaced_by IS NULL AND revoked_at IS NULL AND expires_at > $3 \
             RETURNING user_id, family_id";
        let insert = format!(
            "INSERT INTO refresh_tokens (id, user_id, token_hash, family_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {REFRESH_TOKEN_COLUMNS}"
        );
        let exists = "SELECT count(*) FROM refresh_tokens WHERE id = $1";
        on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let family: Option<(DbId, DbId)> = sqlx::query_as(mark_replaced)
                .bind(DbId(old_id))
                .bind(DbId(new_id))
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((user_id, family_id)) = family else {
                let found: i64 = sqlx::query_scalar(exists).bind(DbId(old_id)).fetch_one(&mut *tx).await?;
                return Err(if found == 0 {
                    StoreError::NotFound
                } else {
                    StoreError::Stale("refresh token already rotated, revoked or expired")
                });
            };
            let record: RefreshTokenRecord = sqlx::query_as(&insert)
                .bind(DbId(new_id))
                .bind(user_id)
                .bind(token_hash)
                .bind(family_id)
                .bind(expires_at)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(record.into())
        })
    }

    async fn revoke(&self, id: Uuid, now: Timestamp) -> Result<()> {
        let sql = "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).bind(now).execute(pool).await?.rows_affected()
        });
        found(updated)
    }

    async fn revoke_family(&self, family_id: Uuid, now: Timestamp) -> Result<u64> {
        let sql =
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL";
        Ok(on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(family_id)).bind(now).execute(pool).await?.rows_affected()
        }))
    }

    async fn revoke_all_for_user(&self, user_id: Uuid, now: Timestamp) -> Result<u64> {
        let sql =
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
        Ok(on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(user_id)).bind(now).execute(pool).await?.rows_affected()
        }))
    }

    async fn delete_expired(&self, before: Timestamp) -> Result<u64> {
        let sql = "DELETE FROM refresh_tokens WHERE expires_at < $1";
        Ok(on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()
        }))
    }
}

#[async_trait]
impl ApiTokenRepo for SqlStore {
    async fn insert(&self, token: NewApiToken) -> Result<ApiToken> {
        let sql = format!(
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {API_TOKEN_COLUMNS}"
        );
        let record: ApiTokenRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(token.user_id))
                .bind(&token.name)
                .bind(&token.prefix)
                .bind(&token.token_hash)
                .bind(token.expires_at)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn get(&self, id: Uuid) -> Result<ApiToken> {
        let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE id = $1");
        let record: Option<ApiTokenRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        Ok(record.ok_or(StoreError::NotFound)?.into())
    }

    async fn find_active_by_hash(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<ApiToken>> {
        let sql = format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        );
        let record: Option<ApiTokenRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(token_hash).bind(now).fetch_optional(pool).await?
        });
        Ok(record.map(Into::into))
    }

    async fn list_by_user(&self, user_id: Uuid) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let records: Vec<ApiTokenRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(user_id)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn revoke(&self, id: Uuid, now: Timestamp) -> Result<()> {
        let sql = "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).bind(now).execute(pool).await?.rows_affected()
        });
        found(updated)
    }

    async fn touch(&self, id: Uuid, now: Timestamp) -> Result<()> {
        let sql = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).bind(now).execute(pool).await?.rows_affected()
        });
        found(updated)
    }
}
