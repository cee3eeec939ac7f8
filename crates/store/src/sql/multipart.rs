//! The multipart half of [`ObjectRepo`](crate::repo::objects::ObjectRepo) (called from
//! `objects.rs`): uploads, their parts, completion and the blob-reference check.

use uuid::Uuid;

use super::args::{Arg, Sql};
use super::codec::{from_db_int, to_db_int};
use super::connect::BeginWrite;
use super::objects::upsert_object;
use super::{DbId, SqlStore};
use crate::repo::objects::{MultipartUpload, ObjectRow, Part};
use crate::{Result, StoreError, Timestamp};

const UPLOAD_COLUMNS: &str = "id, bucket_id, key, headers, initiated_at";
const PART_COLUMNS: &str = "upload_id, part_number, blob, size, etag, modified_at";

#[derive(sqlx::FromRow)]
struct UploadRecord {
    id: DbId,
    bucket_id: DbId,
    key: String,
    headers: String,
    initiated_at: Timestamp,
}

impl From<UploadRecord> for MultipartUpload {
    fn from(r: UploadRecord) -> Self {
        MultipartUpload {
            id: r.id.0,
            bucket_id: r.bucket_id.0,
            key: r.key,
            headers: r.headers,
            initiated_at: r.initiated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct PartRecord {
    upload_id: DbId,
    part_number: i64,
    blob: String,
    size: i64,
    etag: String,
    modified_at: Timestamp,
}

impl TryFrom<PartRecord> for Part {
    type Error = StoreError;
    fn try_from(r: PartRecord) -> Result<Self> {
        Ok(Part {
            upload_id: r.upload_id.0,
            part_number: from_db_int(r.part_number, "multipart_parts.part_number")?,
            blob: r.blob,
            size: from_db_int(r.size, "multipart_parts.size")?,
            etag: r.etag,
            modified_at: r.modified_at,
        })
    }
}

pub(super) async fn create_upload(
    store: &SqlStore,
    bucket_id: Uuid,
    key: &str,
    headers: &str,
) -> Result<MultipartUpload> {
    let sql = format!(
        "INSERT INTO multipart_uploads (id, bucket_id, key, headers, initiated_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {UPLOAD_COLUMNS}"
    );
    let record: UploadRecord = on_writer!(&store.db, pool => {
        sqlx::query_as(&sql)
            .bind(DbId(Uuid::now_v7()))
            .bind(DbId(bucket_id))
            .bind(key)
            .bind(headers)
            .bind(Timestamp::now())
            .fetch_one(pool)
            .await?
    });
    Ok(record.into())
}

pub(super) async fn find_upload(store: &SqlStore, id: Uuid) -> Result<Option<MultipartUpload>> {
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE id = $1");
    let record: Option<UploadRecord> = on_reader!(&store.db, pool => {
        sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
    });
    Ok(record.map(Into::into))
}

pub(super) async fn list_uploads(
    store: &SqlStore,
    bucket_id: Uuid,
    prefix: &str,
    after: Option<(&str, Uuid)>,
    limit: u32,
) -> Result<Vec<MultipartUpload>> {
    let mut sql = Sql::new(
        store.dialect(),
        format!("SELECT {UPLOAD_COLUMNS} FROM multipart_uploads WHERE bucket_id = "),
    );
    sql.bind(bucket_id).push(" AND key >= ").bind(prefix);
    if let Some(end) = super::objects::prefix_end(prefix) {
        sql.push(" AND key < ").bind(end);
    }
    if let Some((key, id)) = after {
        sql.push(" AND (key > ")
            .bind(key)
            .push(" OR (key = ")
            .bind(key)
            .push(" AND id > ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY key, id LIMIT ").bind(i64::from(limit));
    let (sql, args) = sql.into_parts();
    let records: Vec<UploadRecord> = on_reader!(&store.db, pool => {
        bind_args!(sqlx::query_as(&sql), args).fetch_all(pool).await?
    });
    Ok(records.into_iter().map(Into::into).collect())
}

pub(super) async fn stale_uploads(
    store: &SqlStore,
    before: Timestamp,
    limit: u32,
) -> Result<Vec<MultipartUpload>> {
    // Idle since its last part (or its start): an upload still receiving parts is
    // alive however long ago it started.
    let last_activity = "COALESCE((SELECT MAX(p.modified_at) FROM multipart_parts p \
         WHERE p.upload_id = u.id), u.initiated_at)";
    let sql = format!(
        "SELECT u.id, u.bucket_id, u.key, u.headers, u.initiated_at FROM multipart_uploads u WHERE {last_activity} < $1 \
         ORDER BY {last_activity}, u.id LIMIT $2"
    );
    let records: Vec<UploadRecord> = on_reader!(&store.db, pool => {
        sqlx::query_as(&sql).bind(before).bind(i64::from(limit)).fetch_all(pool).await?
    });
    Ok(records.into_iter().map(Into::into).collect())
}

/// The bucket of an upload (read before the owner's usage is locked, which comes
/// first); `None` when the upload is gone.
macro_rules! upload_bucket {
    ($tx:expr, $upload_id:expr) => {{
        let row: Option<(DbId,)> =
            sqlx::query_as("SELECT bucket_id FROM multipart_uploads WHERE id = $1")
                .bind(DbId($upload_id))
                .fetch_optional(&mut *$tx)
                .await?;
        row.map(|(bucket,)| bucket.0)
    }};
}

pub(super) async fn put_part(store: &SqlStore, part: Part) -> Result<Option<String>> {
    let select = format!(
        "SELECT blob, size FROM multipart_parts WHERE upload_id = $1 AND part_number = $2{}",
        store.dialect().for_update()
    );
    on_writer!(&store.db, pool => {
        loop {
            let mut tx = pool.begin_write().await?;
            let Some(bucket_id) = upload_bucket!(tx, part.upload_id) else {
                return Err(StoreError::MissingReference);
            };
            let usage = super::quotas::lock_usage!(store, tx, bucket_id);
            let old: Option<(String, i64)> = sqlx::query_as(&select)
                .bind(DbId(part.upload_id))
                .bind(i64::from(part.part_number))
                .fetch_optional(&mut *tx)
                .await?;
            let delta = super::quotas::Delta {
                part_bytes: to_db_int(part.size) - old.as_ref().map_or(0, |(_, size)| *size),
                ..Default::default()
            };
            if let Some(usage) = &usage {
                usage.check(delta)?;
            }
            let sql = if old.is_some() {
                "UPDATE multipart_parts SET blob = $3, size = $4, etag = $5, modified_at = $6 \
                 WHERE upload_id = $1 AND part_number = $2"
            } else {
                "INSERT INTO multipart_parts (upload_id, part_number, blob, size, etag, modified_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (upload_id, part_number) DO NOTHING"
            };
            let written = sqlx::query(sql)
                .bind(DbId(part.upload_id))
                .bind(i64::from(part.part_number))
                .bind(&part.blob)
                .bind(to_db_int(part.size))
                .bind(&part.etag)
                .bind(part.modified_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if written == 1 {
                super::quotas::apply_usage!(tx, usage, delta);
                tx.commit().await?;
                return Ok(old.map(|(blob, _)| blob));
            }
        }
    })
}

pub(super) async fn list_parts(
    store: &SqlStore,
    upload_id: Uuid,
    after: u32,
    limit: u32,
) -> Result<Vec<Part>> {
    let sql = format!(
        "SELECT {PART_COLUMNS} FROM multipart_parts WHERE upload_id = $1 AND part_number > $2 \
         ORDER BY part_number LIMIT $3"
    );
    let records: Vec<PartRecord> = on_reader!(&store.db, pool => {
        sqlx::query_as(&sql)
            .bind(DbId(upload_id))
            .bind(i64::from(after))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
    });
    records.into_iter().map(TryInto::try_into).collect()
}

pub(super) async fn complete_upload(
    store: &SqlStore,
    upload_id: Uuid,
    object: ObjectRow,
) -> Result<Vec<String>> {
    let lock = format!(
        "SELECT id FROM multipart_uploads WHERE id = $1{}",
        store.dialect().for_update()
    );
    let parts = "SELECT blob, size FROM multipart_parts WHERE upload_id = $1";
    let drop_upload = "DELETE FROM multipart_uploads WHERE id = $1";
    on_writer!(&store.db, pool => {
        loop {
            let mut tx = pool.begin_write().await?;
            let usage = super::quotas::lock_usage!(store, tx, object.bucket_id);
            let found: Option<(DbId,)> =
                sqlx::query_as(&lock).bind(DbId(upload_id)).fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            // The parts become the object: their bytes move from the unfinished
            // uploads' to the objects' (checked together, as one change).
            let parts: Vec<(String, i64)> =
                sqlx::query_as(parts).bind(DbId(upload_id)).fetch_all(&mut *tx).await?;
            let part_bytes: i64 = parts.iter().map(|(_, size)| size).sum();
            let Some(replaced) = upsert_object!(
                store,
                tx,
                &object,
                crate::repo::objects::PutCondition::Always,
                usage,
                part_bytes
            ) else {
                continue;
            };
            let mut blobs: Vec<String> = parts.into_iter().map(|(blob, _)| blob).collect();
            sqlx::query(drop_upload).bind(DbId(upload_id)).execute(&mut *tx).await?;
            tx.commit().await?;
            blobs.extend(replaced);
            return Ok(blobs);
        }
    })
}

/// The upload row is locked first: a part being stored meanwhile (its foreign key
/// waits on the lock) either is among the blobs returned or fails afterwards with
/// `MissingReference`, never vanishes with the upload without its blob named.
pub(super) async fn abort_upload(store: &SqlStore, upload_id: Uuid) -> Result<Vec<String>> {
    let lock = format!(
        "SELECT id FROM multipart_uploads WHERE id = $1{}",
        store.dialect().for_update()
    );
    let parts = "SELECT blob, size FROM multipart_parts WHERE upload_id = $1";
    let drop_upload = "DELETE FROM multipart_uploads WHERE id = $1";
    on_writer!(&store.db, pool => {
        let mut tx = pool.begin_write().await?;
        let Some(bucket_id) = upload_bucket!(tx, upload_id) else {
            return Err(StoreError::NotFound);
        };
        let usage = super::quotas::lock_usage!(store, tx, bucket_id);
        let found: Option<(DbId,)> =
            sqlx::query_as(&lock).bind(DbId(upload_id)).fetch_optional(&mut *tx).await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        let blobs: Vec<(String, i64)> =
            sqlx::query_as(parts).bind(DbId(upload_id)).fetch_all(&mut *tx).await?;
        let dropped = sqlx::query(drop_upload).bind(DbId(upload_id)).execute(&mut *tx).await?;
        if dropped.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let freed = super::quotas::Delta {
            part_bytes: -blobs.iter().map(|(_, size)| size).sum::<i64>(),
            ..Default::default()
        };
        super::quotas::apply_usage!(tx, usage, freed);
        tx.commit().await?;
        Ok(blobs.into_iter().map(|(blob, _)| blob).collect())
    })
}

pub(super) async fn referenced_blobs(store: &SqlStore, blobs: &[String]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    // Bounded statements: SQLite allows 32,766 parameters, but smaller batches keep
    // each query cheap.
    for chunk in blobs.chunks(500) {
        let mut sql = Sql::new(store.dialect(), "SELECT blob FROM objects WHERE blob IN (");
        sql.bind_list(chunk.iter().map(|blob| Arg::from(blob.as_str())))
            .push(") UNION SELECT blob FROM multipart_parts WHERE blob IN (")
            .bind_list(chunk.iter().map(|blob| Arg::from(blob.as_str())))
            .push(")");
        let (sql, args) = sql.into_parts();
        let rows: Vec<(String,)> = on_reader!(&store.db, pool => {
            bind_args!(sqlx::query_as(&sql), args).fetch_all(pool).await?
        });
        found.extend(rows.into_iter().map(|(blob,)| blob));
    }
    Ok(found)
}
