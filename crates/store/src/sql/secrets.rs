//! [`SecretRepo`] for both backends: one query text each, a transaction where a secret
//! and its versions change together.

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use super::args::Sql;
use super::codec::from_db_int;
use super::connect::BeginWrite;
use super::{DbId, SqlStore, found};
use crate::repo::secrets::{
    InjectionState, NewSecret, Secret, SecretChanges, SecretFilter, SecretRepo, SecretVersion,
};
use crate::{Page, PageRequest, Result, StoreError, Timestamp};

pub(super) const COLUMNS: &str =
    "id, owner_id, name, description, tags, version, created_at, updated_at";

/// Where the next page of a secret list starts (its order: name, then id).
#[derive(serde::Serialize, serde::Deserialize)]
struct SecretCursor {
    name: String,
    id: Uuid,
}

#[derive(sqlx::FromRow)]
pub(super) struct Record {
    id: DbId,
    owner_id: DbId,
    name: String,
    description: String,
    tags: Json<Vec<String>>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<Record> for Secret {
    type Error = StoreError;
    fn try_from(r: Record) -> Result<Self> {
        Ok(Secret {
            id: r.id.0,
            owner_id: r.owner_id.0,
            name: r.name,
            description: r.description,
            tags: r.tags.0,
            version: from_db_int(r.version, "secrets.version")?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VersionRecord {
    secret_id: DbId,
    version: i64,
    value_sealed: Vec<u8>,
    created_at: Timestamp,
}

impl TryFrom<VersionRecord> for SecretVersion {
    type Error = StoreError;
    fn try_from(r: VersionRecord) -> Result<Self> {
        Ok(SecretVersion {
            secret_id: r.secret_id.0,
            version: from_db_int(r.version, "secret_versions.version")?,
            value_sealed: r.value_sealed,
            created_at: r.created_at,
        })
    }
}

const INSERT_VERSION: &str = "INSERT INTO secret_versions (secret_id, version, value_sealed, created_at) \
     VALUES ($1, $2, $3, $4)";

#[async_trait]
impl SecretRepo for SqlStore {
    async fn insert(&self, secret: NewSecret, now: Timestamp) -> Result<Secret> {
        let sql = format!(
            "INSERT INTO secrets (id, owner_id, name, description, tags, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING {COLUMNS}"
        );
        let record: Record = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let record = sqlx::query_as(&sql)
                .bind(DbId(secret.id))
                .bind(DbId(secret.owner_id))
                .bind(&secret.name)
                .bind(&secret.description)
                .bind(Json(&secret.tags))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(INSERT_VERSION)
                .bind(DbId(secret.id))
                .bind(1_i64)
                .bind(&secret.value_sealed)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            record
        });
        record.try_into()
    }

    async fn get(&self, id: Uuid) -> Result<Secret> {
        let sql = format!("SELECT {COLUMNS} FROM secrets WHERE id = $1");
        let record: Option<Record> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn find_by_name(&self, owner_id: Uuid, name: &str) -> Result<Option<Secret>> {
        let sql = format!("SELECT {COLUMNS} FROM secrets WHERE owner_id = $1 AND name = $2");
        let record: Option<Record> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(owner_id)).bind(name).fetch_optional(pool).await?
        });
        record.map(TryInto::try_into).transpose()
    }

    async fn list(&self, filter: &SecretFilter, page: PageRequest) -> Result<Page<Secret>> {
        let limit = page.clamped_limit();
        let mut sql = Sql::new(
            self.dialect(),
            format!("SELECT {COLUMNS} FROM secrets WHERE 1 = 1"),
        );
        match filter.owner_id {
            Some(owner_id) if filter.with_granted => {
                sql.push(" AND (owner_id = ")
                    .bind(owner_id)
                    .push(" OR id IN (SELECT secret_id FROM secret_grants WHERE user_id = ")
                    .bind(owner_id)
                    .push("))");
            }
            Some(owner_id) => {
                sql.push(" AND owner_id = ").bind(owner_id);
            }
            None => {}
        }
        if let Some(text) = &filter.name_contains {
            sql.push(" AND ").push_contains("name", text);
        }
        if let Some(cursor) = &page.after {
            let cursor: SecretCursor = cursor.decode()?;
            sql.push(" AND (name, id) > (")
                .bind(cursor.name)
                .push(", ")
                .bind(cursor.id)
                .push(")");
        }
        sql.push(" ORDER BY name, id LIMIT ")
            .bind(i64::from(limit) + 1);
        let (text, args) = sql.into_parts();
        let records: Vec<Record> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        let secrets = records
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<Secret>>>()?;
        Ok(Page::from_overfetch(secrets, limit, |s: &Secret| {
            SecretCursor {
                name: s.name.clone(),
                id: s.id,
            }
        }))
    }

    async fn update(
        &self,
        id: Uuid,
        expected_version: u32,
        changes: SecretChanges,
        keep_versions: u32,
        now: Timestamp,
    ) -> Result<Secret> {
        let bump = i64::from(changes.value_sealed.is_some());
        let new_version = i64::from(expected_version) + bump;
        let sql = format!(
            "UPDATE secrets SET description = COALESCE($3, description), \
             tags = COALESCE($4, tags), version = $5, updated_at = $6 \
             WHERE id = $1 AND version = $2 RETURNING {COLUMNS}"
        );
        let prune = "DELETE FROM secret_versions WHERE secret_id = $1 AND version < $2";
        let oldest_kept = new_version - i64::from(keep_versions);
        let record: Option<Record> = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let record: Option<Record> = sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(i64::from(expected_version))
                .bind(changes.description.as_deref())
                .bind(changes.tags.as_ref().map(Json))
                .bind(new_version)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            if record.is_some() {
                if let Some(sealed) = &changes.value_sealed {
                    sqlx::query(INSERT_VERSION)
                        .bind(DbId(id))
                        .bind(new_version)
                        .bind(sealed)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(prune)
                        .bind(DbId(id))
                        .bind(oldest_kept)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
            record
        });
        match record {
            Some(record) => record.try_into(),
            // Either gone, or changed since the caller read it.
            None => {
                self.get(id).await?;
                Err(StoreError::Stale("the secret changed meanwhile"))
            }
        }
    }

    async fn versions(&self, id: Uuid) -> Result<Vec<SecretVersion>> {
        let sql = "SELECT secret_id, version, value_sealed, created_at FROM secret_versions \
             WHERE secret_id = $1 ORDER BY version DESC";
        let records: Vec<VersionRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(DbId(id)).fetch_all(pool).await?
        });
        records.into_iter().map(TryInto::try_into).collect()
    }

    async fn get_version(&self, id: Uuid, version: u32) -> Result<SecretVersion> {
        let sql = "SELECT secret_id, version, value_sealed, created_at FROM secret_versions \
             WHERE secret_id = $1 AND version = $2";
        let record: Option<VersionRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(sql)
                .bind(DbId(id))
                .bind(i64::from(version))
                .fetch_optional(pool)
                .await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        let sql = "DELETE FROM secrets WHERE id = $1";
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
    }

    async fn grant(&self, id: Uuid, user_id: Uuid, now: Timestamp) -> Result<()> {
        let sql = "INSERT INTO secret_grants (secret_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (secret_id, user_id) DO NOTHING";
        on_writer!(&self.db, pool => {
            sqlx::query(sql)
                .bind(DbId(id))
                .bind(DbId(user_id))
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn revoke(&self, id: Uuid, user_id: Uuid) -> Result<()> {
        let sql = "DELETE FROM secret_grants WHERE secret_id = $1 AND user_id = $2";
        on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).bind(DbId(user_id)).execute(pool).await?;
        });
        Ok(())
    }

    async fn grantees(&self, id: Uuid) -> Result<Vec<Uuid>> {
        let sql = "SELECT user_id FROM secret_grants WHERE secret_id = $1 ORDER BY user_id";
        let ids: Vec<(DbId,)> = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(DbId(id)).fetch_all(pool).await?
        });
        Ok(ids.into_iter().map(|(id,)| id.0).collect())
    }

    async fn set_guest_secrets(&self, guest_id: Uuid, secret_ids: &[Uuid]) -> Result<()> {
        self.replace_guest_secrets(guest_id, secret_ids).await
    }

    async fn guest_secrets(&self, guest_id: Uuid) -> Result<Vec<Secret>> {
        self.secrets_of_guest(guest_id).await
    }

    async fn guests_using(&self, secret_id: Uuid) -> Result<Vec<Uuid>> {
        self.guests_of_secret(secret_id).await
    }

    async fn injection_state(&self, guest_id: Uuid) -> Result<Option<InjectionState>> {
        self.load_injection_state(guest_id).await
    }

    async fn put_injection_state(&self, state: &InjectionState) -> Result<()> {
        self.save_injection_state(state).await
    }
}
