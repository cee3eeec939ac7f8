//! `BackupRepo`: one query text for both backends.

use async_trait::async_trait;
use proxicloud_types::{GuestType, VmId};
use sqlx::types::Json;
use uuid::Uuid;

use super::args::Sql;
use super::codec::{from_db_int, to_db_int};
use super::{DbId, SqlStore, found};
use crate::repo::backups::{Backup, BackupArchive, BackupFilter, BackupRepo, NewBackup, status};
use crate::{Page, PageRequest, Result, StoreError, Timestamp};

/// Where the next page of a backup list starts (its order: newest first).
#[derive(serde::Serialize, serde::Deserialize)]
struct BackupCursor {
    created_at: Timestamp,
    id: Uuid,
}

const BACKUP_COLUMNS: &str = "id, cluster_id, owner_id, guest_id, guest_name, guest_kind, vmid, \
     node, storage, mode, status, notes, protected, volid, size_bytes, config, error, \
     started_at, finished_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct BackupRecord {
    id: DbId,
    cluster_id: DbId,
    owner_id: Option<DbId>,
    guest_id: Option<DbId>,
    guest_name: String,
    guest_kind: String,
    vmid: i64,
    node: String,
    storage: String,
    mode: String,
    status: String,
    notes: String,
    protected: bool,
    volid: Option<String>,
    size_bytes: Option<i64>,
    config: Option<Json<serde_json::Value>>,
    error: Option<String>,
    started_at: Option<Timestamp>,
    finished_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<BackupRecord> for Backup {
    type Error = StoreError;
    fn try_from(r: BackupRecord) -> Result<Self> {
        let vmid = VmId::new(from_db_int(r.vmid, "vmid")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let guest_kind: GuestType = r
            .guest_kind
            .parse()
            .map_err(|e: proxicloud_types::InvalidId| StoreError::Corrupt(e.to_string()))?;
        Ok(Backup {
            id: r.id.0,
            cluster_id: r.cluster_id.0,
            owner_id: r.owner_id.map(|id| id.0),
            guest_id: r.guest_id.map(|id| id.0),
            guest_name: r.guest_name,
            guest_kind,
            vmid,
            node: r.node,
            storage: r.storage,
            mode: r.mode,
            status: r.status,
            notes: r.notes,
            protected: r.protected,
            volid: r.volid,
            size_bytes: r
                .size_bytes
                .map(|v| from_db_int(v, "size_bytes"))
                .transpose()?,
            config: r.config.map(|c| c.0),
            error: r.error,
            started_at: r.started_at,
            finished_at: r.finished_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[async_trait]
impl BackupRepo for SqlStore {
    async fn insert_as(&self, id: Uuid, backup: NewBackup) -> Result<Backup> {
        let sql = format!(
            "INSERT INTO backups (id, cluster_id, owner_id, guest_id, guest_name, guest_kind, \
             vmid, node, storage, mode, status, notes, protected, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
             RETURNING {BACKUP_COLUMNS}"
        );
        let record: BackupRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(DbId(backup.cluster_id))
                .bind(backup.owner_id.map(DbId))
                .bind(backup.guest_id.map(DbId))
                .bind(&backup.guest_name)
                .bind(backup.guest_kind.as_str())
                .bind(i64::from(backup.vmid.get()))
                .bind(&backup.node)
                .bind(&backup.storage)
                .bind(&backup.mode)
                .bind(status::CREATING)
                .bind(&backup.notes)
                .bind(backup.protected)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        record.try_into()
    }

    async fn get(&self, id: Uuid) -> Result<Backup> {
        let sql = format!("SELECT {BACKUP_COLUMNS} FROM backups WHERE id = $1");
        let record: Option<BackupRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn list(&self, filter: &BackupFilter, page: PageRequest) -> Result<Page<Backup>> {
        let limit = page.clamped_limit();
        let mut sql = Sql::new(
            self.dialect(),
            format!("SELECT {BACKUP_COLUMNS} FROM backups WHERE 1 = 1"),
        );
        if let Some(owner_id) = filter.owner_id {
            sql.push(" AND owner_id = ").bind(owner_id);
        }
        if let Some(guest_id) = filter.guest_id {
            sql.push(" AND guest_id = ").bind(guest_id);
        }
        if let Some(status) = &filter.status {
            sql.push(" AND status = ").bind(status.as_str());
        }
        if let Some(cursor) = &page.after {
            let cursor: BackupCursor = cursor.decode()?;
            sql.push(" AND (created_at, id) < (")
                .bind(cursor.created_at)
                .push(", ")
                .bind(cursor.id)
                .push(")");
        }
        sql.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .bind(i64::from(limit) + 1);
        let (text, args) = sql.into_parts();
        let records: Vec<BackupRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        let backups = records
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<Backup>>>()?;
        Ok(Page::from_overfetch(backups, limit, |b: &Backup| {
            BackupCursor {
                created_at: b.created_at,
                id: b.id,
            }
        }))
    }

    async fn record_archive(&self, id: Uuid, archive: &BackupArchive, at: Timestamp) -> Result<()> {
        let sql = "UPDATE backups SET status = $2, volid = $3, size_bytes = $4, config = $5, \
             started_at = $6, finished_at = $7, error = NULL, updated_at = $8 WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql)
                .bind(DbId(id))
                .bind(status::AVAILABLE)
                .bind(&archive.volid)
                .bind(to_db_int(archive.size_bytes))
                .bind(Json(&archive.config))
                .bind(archive.started_at)
                .bind(archive.finished_at)
                .bind(at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(updated)
    }

    async fn set_status(
        &self,
        id: Uuid,
        status: &str,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let sql = "UPDATE backups SET status = $2, error = $3, updated_at = $4 WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql)
                .bind(DbId(id))
                .bind(status)
                .bind(error)
                .bind(at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(updated)
    }

    async fn set_protected(&self, id: Uuid, protected: bool, at: Timestamp) -> Result<()> {
        let sql = "UPDATE backups SET protected = $2, updated_at = $3 WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql)
                .bind(DbId(id))
                .bind(protected)
                .bind(at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        found(updated)
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        let sql = "DELETE FROM backups WHERE id = $1";
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
    }
}
