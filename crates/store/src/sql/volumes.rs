//! `VolumeRepo`: volumes and their snapshots, one query text for both backends.

use async_trait::async_trait;
use uuid::Uuid;

use super::args::{Arg, Sql};
use super::codec::{from_db_int, to_db_int};
use super::connect::BeginWrite;
use super::guests::LIVE_GUEST_AT;
use super::{DbId, Dialect, SqlStore, found};
use crate::repo::volumes::{
    Attachment, IN_USE, NewVolume, Volume, VolumeFilter, VolumeRepo, VolumeSnapshot, status,
};
use crate::{Page, PageRequest, Result, StoreError, Table, Timestamp, constraints};

/// Where the next page of a volume list starts (its order: creation time, then id).
#[derive(serde::Serialize, serde::Deserialize)]
struct VolumeCursor {
    created_at: Timestamp,
    id: Uuid,
}

const VOLUME_COLUMNS: &str = "id, cluster_id, node, storage, class, name, size_bytes, status, \
     holder_vmid, volid, error, owner_id, attached_guest_id, attachment_key, mount_path, \
     created_at, updated_at";

const SNAPSHOT_COLUMNS: &str = "id, volume_id, name, description, size_bytes, status, created_at";

#[derive(sqlx::FromRow)]
struct VolumeRecord {
    id: DbId,
    cluster_id: DbId,
    node: String,
    storage: String,
    class: Option<String>,
    name: String,
    size_bytes: i64,
    status: String,
    holder_vmid: Option<i64>,
    volid: Option<String>,
    error: Option<String>,
    owner_id: Option<DbId>,
    attached_guest_id: Option<DbId>,
    attachment_key: Option<String>,
    mount_path: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// A cluster's vmids are handed out from two tables: guest reservations (instances)
/// and holder containers (volumes), each unique on its own. Both writers take this
/// lock on the cluster's row first (SQLite's writer is already alone) and check the
/// other table, so a vmid is held by one of them at most.
pub(super) fn lock_vmids_sql(dialect: Dialect) -> String {
    format!(
        "SELECT id FROM clusters WHERE id = $1{}",
        dialect.for_update()
    )
}

/// Holders at a vmid of a cluster (`$1`, `$2`).
pub(super) const HOLDERS_AT: &str =
    "SELECT count(*) FROM volumes WHERE cluster_id = $1 AND holder_vmid = $2";

/// Ends attachments, key and mount path included; the new `updated_at` and a `WHERE`
/// follow.
const DETACH_SET_UPDATED_AT: &str = "UPDATE volumes SET attached_guest_id = NULL, \
     attachment_key = NULL, mount_path = NULL, updated_at = ";

/// Detaches every volume attached to one of `guest_ids`: an attachment ends with its
/// guest (gone from Proxmox: the mirror marks it removed).
pub(super) fn detach_from_guests(dialect: Dialect, guest_ids: &[Uuid], at: Timestamp) -> Sql {
    let mut sql = Sql::new(dialect, DETACH_SET_UPDATED_AT);
    sql.bind(at).push(" WHERE attached_guest_id IN (");
    sql.bind_list(guest_ids.iter().map(|id| Arg::from(*id)))
        .push(")");
    sql
}

impl TryFrom<VolumeRecord> for Volume {
    type Error = StoreError;
    fn try_from(r: VolumeRecord) -> Result<Self> {
        let attachment = match (r.attached_guest_id, r.attachment_key) {
            (Some(guest), Some(key)) => Some(Attachment {
                guest_id: guest.0,
                key,
                mount_path: r.mount_path,
            }),
            _ => None,
        };
        Ok(Volume {
            id: r.id.0,
            cluster_id: r.cluster_id.0,
            node: r.node,
            storage: r.storage,
            class: r.class,
            name: r.name,
            size_bytes: from_db_int(r.size_bytes, "size_bytes")?,
            status: r.status,
            holder_vmid: r
                .holder_vmid
                .map(|v| from_db_int(v, "holder_vmid"))
                .transpose()?,
            volid: r.volid,
            error: r.error,
            owner_id: r.owner_id.map(|id| id.0),
            attachment,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SnapshotRecord {
    id: DbId,
    volume_id: DbId,
    name: String,
    description: String,
    size_bytes: i64,
    status: String,
    created_at: Timestamp,
}

impl TryFrom<SnapshotRecord> for VolumeSnapshot {
    type Error = StoreError;
    fn try_from(r: SnapshotRecord) -> Result<Self> {
        Ok(VolumeSnapshot {
            id: r.id.0,
            volume_id: r.volume_id.0,
            name: r.name,
            description: r.description,
            size_bytes: from_db_int(r.size_bytes, "size_bytes")?,
            status: r.status,
            created_at: r.created_at,
        })
    }
}

fn volumes(records: Vec<VolumeRecord>) -> Result<Vec<Volume>> {
    records.into_iter().map(TryInto::try_into).collect()
}

#[async_trait]
impl VolumeRepo for SqlStore {
    async fn insert_as(&self, id: Uuid, volume: NewVolume) -> Result<Volume> {
        self.counting(Table::Volumes, async {
            let sql = format!(
                "INSERT INTO volumes (id, cluster_id, node, storage, name, size_bytes, status, \
             owner_id, created_at, updated_at, class) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) \
             RETURNING {VOLUME_COLUMNS}"
            );
            let record: VolumeRecord = on_writer!(&self.db, pool => {
                sqlx::query_as(&sql)
                    .bind(DbId(id))
                    .bind(DbId(volume.cluster_id))
                    .bind(&volume.node)
                    .bind(&volume.storage)
                    .bind(&volume.name)
                    .bind(to_db_int(volume.size_bytes))
                    .bind(status::CREATING)
                    .bind(volume.owner_id.map(DbId))
                    .bind(Timestamp::now())
                    .bind(volume.class.as_deref())
                    .fetch_one(pool)
                    .await?
            });
            record.try_into()
        })
        .await
    }

    async fn get(&self, id: Uuid) -> Result<Volume> {
        let sql = format!("SELECT {VOLUME_COLUMNS} FROM volumes WHERE id = $1");
        let record: Option<VolumeRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn list(&self, filter: &VolumeFilter, page: PageRequest) -> Result<Page<Volume>> {
        let limit = page.clamped_limit();
        let mut sql = Sql::new(
            self.dialect(),
            format!("SELECT {VOLUME_COLUMNS} FROM volumes WHERE 1 = 1"),
        );
        if let Some(owner_id) = filter.owner_id {
            sql.push(" AND owner_id = ").bind(owner_id);
        }
        if let Some(guest_id) = filter.attached_to {
            sql.push(" AND attached_guest_id = ").bind(guest_id);
        }
        match filter.status.as_deref() {
            None => {}
            Some(IN_USE) => {
                sql.push(" AND status = ")
                    .bind(status::AVAILABLE)
                    .push(" AND attached_guest_id IS NOT NULL");
            }
            Some(status::AVAILABLE) => {
                sql.push(" AND status = ")
                    .bind(status::AVAILABLE)
                    .push(" AND attached_guest_id IS NULL");
            }
            Some(other) => {
                sql.push(" AND status = ").bind(other);
            }
        }
        if let Some(text) = &filter.name_contains {
            sql.push(" AND ").push_contains("name", text);
        }
        if let Some(class) = &filter.class {
            sql.push(" AND class = ").bind(class.as_str());
        }
        if let Some(cursor) = &page.after {
            let cursor: VolumeCursor = cursor.decode()?;
            sql.push(" AND (created_at, id) > (")
                .bind(cursor.created_at)
                .push(", ")
                .bind(cursor.id)
                .push(")");
        }
        sql.push(" ORDER BY created_at, id LIMIT ")
            .bind(i64::from(limit) + 1);
        let (text, args) = sql.into_parts();
        let records: Vec<VolumeRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        Ok(Page::from_overfetch(
            volumes(records)?,
            limit,
            |v: &Volume| VolumeCursor {
                created_at: v.created_at,
                id: v.id,
            },
        ))
    }

    async fn list_all(&self) -> Result<Vec<Volume>> {
        let sql = format!("SELECT {VOLUME_COLUMNS} FROM volumes");
        let records: Vec<VolumeRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        volumes(records)
    }

    async fn list_attached_to(&self, guest_id: Uuid) -> Result<Vec<Volume>> {
        let sql = format!(
            "SELECT {VOLUME_COLUMNS} FROM volumes WHERE attached_guest_id = $1 \
             ORDER BY attachment_key, id"
        );
        let records: Vec<VolumeRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(guest_id)).fetch_all(pool).await?
        });
        volumes(records)
    }

    async fn set_holder(&self, id: Uuid, holder_vmid: u32, now: Timestamp) -> Result<()> {
        self.counting(Table::Volumes, async {
        let cluster = "SELECT cluster_id FROM volumes WHERE id = $1";
        let reserved = format!("SELECT count(*) FROM guests WHERE {LIVE_GUEST_AT}");
        let sql = "UPDATE volumes SET holder_vmid = $2, updated_at = $3 WHERE id = $1";
        let lock = lock_vmids_sql(self.dialect());
        on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let cluster_id: Option<DbId> =
                sqlx::query_scalar(cluster).bind(DbId(id)).fetch_optional(&mut *tx).await?;
            let Some(cluster_id) = cluster_id else {
                return Err(StoreError::NotFound);
            };
            sqlx::query(&lock).bind(cluster_id).fetch_optional(&mut *tx).await?;
            let guests: i64 = sqlx::query_scalar(&reserved)
                .bind(cluster_id)
                .bind(i64::from(holder_vmid))
                .fetch_one(&mut *tx)
                .await?;
            if guests > 0 {
                return Err(StoreError::Conflict { constraint: constraints::VOLUME_HOLDER.to_owned() });
            }
            sqlx::query(sql)
                .bind(DbId(id))
                .bind(i64::from(holder_vmid))
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
        })
        .await
    }

    async fn set_ready(&self, id: Uuid, volid: &str, now: Timestamp) -> Result<()> {
        self.counting(Table::Volumes, async {
            let sql = "UPDATE volumes SET volid = $2, status = $3, error = NULL, updated_at = $4 \
                   WHERE id = $1";
            let updated = on_writer!(&self.db, pool => {
                sqlx::query(sql)
                    .bind(DbId(id))
                    .bind(volid)
                    .bind(status::AVAILABLE)
                    .bind(now)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            found(updated)
        })
        .await
    }

    async fn set_status(
        &self,
        id: Uuid,
        status: &str,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        self.counting(Table::Volumes, async {
            let sql = "UPDATE volumes SET status = $2, error = $3, updated_at = $4 WHERE id = $1";
            let updated = on_writer!(&self.db, pool => {
                sqlx::query(sql)
                    .bind(DbId(id))
                    .bind(status)
                    .bind(error)
                    .bind(now)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            found(updated)
        })
        .await
    }

    async fn set_size(&self, id: Uuid, size_bytes: u64, now: Timestamp) -> Result<()> {
        self.counting(Table::Volumes, async {
            let sql = "UPDATE volumes SET size_bytes = $2, updated_at = $3 WHERE id = $1";
            let updated = on_writer!(&self.db, pool => {
                sqlx::query(sql)
                    .bind(DbId(id))
                    .bind(to_db_int(size_bytes))
                    .bind(now)
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            found(updated)
        })
        .await
    }

    async fn attach(&self, id: Uuid, attachment: &Attachment, now: Timestamp) -> Result<()> {
        self.counting(Table::Volumes, async {
        // The guarded UPDATE decides between two concurrent attachments of one volume.
        let sql = "UPDATE volumes SET attached_guest_id = $2, attachment_key = $3, \
                   mount_path = $4, updated_at = $5 WHERE id = $1 AND attached_guest_id IS NULL";
        let exists = "SELECT count(*) FROM volumes WHERE id = $1";
        on_writer!(&self.db, pool => {
            let updated = sqlx::query(sql)
                .bind(DbId(id))
                .bind(DbId(attachment.guest_id))
                .bind(&attachment.key)
                .bind(attachment.mount_path.as_deref())
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            if updated == 0 {
                let count: i64 = sqlx::query_scalar(exists).bind(DbId(id)).fetch_one(pool).await?;
                return Err(if count == 0 {
                    StoreError::NotFound
                } else {
                    StoreError::Stale("volume is attached already")
                });
            }
            Ok(())
        })
        })
        .await
    }

    async fn detach(&self, id: Uuid, now: Timestamp) -> Result<()> {
        self.counting(Table::Volumes, async {
            let sql = format!("{DETACH_SET_UPDATED_AT}$2 WHERE id = $1");
            let updated = on_writer!(&self.db, pool => {
                sqlx::query(&sql).bind(DbId(id)).bind(now).execute(pool).await?.rows_affected()
            });
            found(updated)
        })
        .await
    }

    async fn delete(&self, id: Uuid) -> Result<()> {
        self.counting(Table::Volumes, async {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM volumes WHERE id = $1").bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
        })
        .await
    }

    async fn insert_snapshot(
        &self,
        volume_id: Uuid,
        name: &str,
        description: &str,
        size_bytes: u64,
    ) -> Result<VolumeSnapshot> {
        let sql = format!(
            "INSERT INTO volume_snapshots (id, volume_id, name, description, size_bytes, status, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SNAPSHOT_COLUMNS}"
        );
        let record: SnapshotRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(DbId(volume_id))
                .bind(name)
                .bind(description)
                .bind(to_db_int(size_bytes))
                .bind(status::CREATING)
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        record.try_into()
    }

    async fn list_snapshots(&self, volume_id: Uuid) -> Result<Vec<VolumeSnapshot>> {
        let sql = format!(
            "SELECT {SNAPSHOT_COLUMNS} FROM volume_snapshots WHERE volume_id = $1 \
             ORDER BY created_at, id"
        );
        let records: Vec<SnapshotRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(volume_id)).fetch_all(pool).await?
        });
        records.into_iter().map(TryInto::try_into).collect()
    }

    async fn get_snapshot(&self, id: Uuid) -> Result<VolumeSnapshot> {
        let sql = format!("SELECT {SNAPSHOT_COLUMNS} FROM volume_snapshots WHERE id = $1");
        let record: Option<SnapshotRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn set_snapshot_status(&self, id: Uuid, status: &str) -> Result<()> {
        let sql = "UPDATE volume_snapshots SET status = $2 WHERE id = $1";
        let updated = on_writer!(&self.db, pool => {
            sqlx::query(sql).bind(DbId(id)).bind(status).execute(pool).await?.rows_affected()
        });
        found(updated)
    }

    async fn delete_snapshot(&self, id: Uuid) -> Result<()> {
        let deleted = on_writer!(&self.db, pool => {
            sqlx::query("DELETE FROM volume_snapshots WHERE id = $1").bind(DbId(id)).execute(pool).await?.rows_affected()
        });
        found(deleted)
    }
}
