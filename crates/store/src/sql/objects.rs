//! [`ObjectRepo`] for both backends: buckets and objects here, multipart uploads in
//! `multipart.rs`.
//!
//! Replacing a row must hand back the blob it pointed at, exactly once, even when two
//! writers race for the same key: a writer locks the existing row and updates it, or,
//! when there is none, inserts with `ON CONFLICT DO NOTHING` and starts over if
//! another writer got there first (then there is a row to lock).

use async_trait::async_trait;
use uuid::Uuid;

use super::codec::{from_db_int, to_db_int};
use super::connect::BeginWrite;
use super::{DbId, SqlStore};
use crate::repo::objects::{
    Bucket, BucketUsage, MultipartUpload, ObjectRange, ObjectRepo, ObjectRow, Part, PutCondition,
    Quota,
};
use crate::{Result, StoreError, Timestamp};

const BUCKET_COLUMNS: &str = "id, name, owner_id, created_at";
pub(super) const OBJECT_COLUMNS: &str = "bucket_id, key, blob, size, etag, headers, modified_at";

#[derive(sqlx::FromRow)]
struct BucketRecord {
    id: DbId,
    name: String,
    owner_id: DbId,
    created_at: Timestamp,
}

impl From<BucketRecord> for Bucket {
    fn from(r: BucketRecord) -> Self {
        Bucket {
            id: r.id.0,
            name: r.name,
            owner_id: r.owner_id.0,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ObjectRecord {
    bucket_id: DbId,
    key: String,
    blob: String,
    size: i64,
    etag: String,
    headers: String,
    modified_at: Timestamp,
}

impl TryFrom<ObjectRecord> for ObjectRow {
    type Error = StoreError;
    fn try_from(r: ObjectRecord) -> Result<Self> {
        Ok(ObjectRow {
            bucket_id: r.bucket_id.0,
            key: r.key,
            blob: r.blob,
            size: from_db_int(r.size, "objects.size")?,
            etag: r.etag,
            headers: r.headers,
            modified_at: r.modified_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UsageRecord {
    objects: i64,
    bytes: i64,
}

impl TryFrom<UsageRecord> for BucketUsage {
    type Error = StoreError;
    fn try_from(r: UsageRecord) -> Result<Self> {
        Ok(BucketUsage {
            objects: from_db_int(r.objects, "count")?,
            bytes: from_db_int(r.bytes, "sum(size)")?,
        })
    }
}

/// The smallest string above every string that starts with `prefix` (in code point,
/// hence UTF-8 byte, order), so a prefix scan is an index range; `None` when there is
/// none (empty prefix, or only U+10FFFF).
pub(super) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// `SELECT … FOR UPDATE` of the object's blob, the owner's quota check (`$usage`,
/// locked by `lock_usage!` *before*, so the object read is the latest committed one;
/// `$freed_parts`: the part bytes the write releases, a completed upload's), then
/// update or insert and the usage's update. Expands to the body of a retry loop
/// iteration inside an open transaction `$tx` (returns `QuotaExceeded` or `Stale`);
/// evaluates to `Some(replaced_blob)` when written, `None` when a racing insert won
/// (start over).
macro_rules! upsert_object {
    ($self:expr, $tx:expr, $object:expr, $condition:expr, $usage:expr, $freed_parts:expr) => {{
        let object: &ObjectRow = $object;
        let select = format!(
            "SELECT blob, size, etag FROM objects WHERE bucket_id = $1 AND key = $2{}",
            $self.dialect().for_update()
        );
        let old: Option<(String, i64, String)> = sqlx::query_as(&select)
            .bind(DbId(object.bucket_id))
            .bind(&object.key)
            .fetch_optional(&mut *$tx)
            .await?;
        let holds = match ($condition, &old) {
            ($crate::repo::objects::PutCondition::Always, _) => true,
            ($crate::repo::objects::PutCondition::Absent, old) => old.is_none(),
            ($crate::repo::objects::PutCondition::ETag(etag), Some((_, _, stored))) => {
                stored == etag
            }
            ($crate::repo::objects::PutCondition::ETag(_), None) => false,
        };
        if !holds {
            return Err($crate::StoreError::Stale("precondition failed"));
        }
        let old_size: Option<i64> = old.as_ref().map(|(_, size, _)| *size);
        let delta = super::quotas::Delta {
            objects: i64::from(old_size.is_none()),
            bytes: to_db_int(object.size) - old_size.unwrap_or(0),
            part_bytes: -$freed_parts,
        };
        if let Some(usage) = &$usage {
            usage.check(delta)?;
        }
        let sql = if old.is_some() {
            "UPDATE objects SET blob = $3, size = $4, etag = $5, headers = $6, modified_at = $7 \
             WHERE bucket_id = $1 AND key = $2"
        } else {
            "INSERT INTO objects (bucket_id, key, blob, size, etag, headers, modified_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (bucket_id, key) DO NOTHING"
        };
        let written = sqlx::query(sql)
            .bind(DbId(object.bucket_id))
            .bind(&object.key)
            .bind(&object.blob)
            .bind(to_db_int(object.size))
            .bind(&object.etag)
            .bind(&object.headers)
            .bind(object.modified_at)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if written == 1 {
            super::quotas::apply_usage!($tx, $usage, delta);
        }
        (written == 1).then(|| old.map(|(blob, _, _)| blob))
    }};
}
pub(super) use upsert_object;

#[async_trait]
impl ObjectRepo for SqlStore {
    async fn create_bucket(&self, name: &str, owner_id: Uuid) -> Result<Bucket> {
        let sql = format!(
            "INSERT INTO buckets (id, name, owner_id, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {BUCKET_COLUMNS}"
        );
        let record: BucketRecord = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(Uuid::now_v7()))
                .bind(name)
                .bind(DbId(owner_id))
                .bind(Timestamp::now())
                .fetch_one(pool)
                .await?
        });
        Ok(record.into())
    }

    async fn find_bucket(&self, name: &str) -> Result<Option<Bucket>> {
        let sql = format!("SELECT {BUCKET_COLUMNS} FROM buckets WHERE name = $1");
        let record: Option<BucketRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(name).fetch_optional(pool).await?
        });
        Ok(record.map(Into::into))
    }

    async fn list_buckets(&self, owner_id: Option<Uuid>) -> Result<Vec<Bucket>> {
        let sql = format!(
            "SELECT {BUCKET_COLUMNS} FROM buckets WHERE ($1 IS NULL OR owner_id = $1) ORDER BY name"
        );
        let records: Vec<BucketRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(owner_id.map(DbId)).fetch_all(pool).await?
        });
        Ok(records.into_iter().map(Into::into).collect())
    }

    async fn delete_bucket(&self, id: Uuid) -> Result<Vec<String>> {
        let lock = format!(
            "SELECT id FROM buckets WHERE id = $1{}",
            self.dialect().for_update()
        );
        // The uploads are locked before their parts are read, so a part stored
        // meanwhile waits and then fails (`MissingReference`) instead of being
        // dropped by the cascade without its blob named.
        let lock_uploads = format!(
            "SELECT id FROM multipart_uploads WHERE bucket_id = $1{}",
            self.dialect().for_update()
        );
        let blobs = "SELECT p.blob, p.size FROM multipart_parts p \
             JOIN multipart_uploads u ON u.id = p.upload_id WHERE u.bucket_id = $1";
        let delete = "DELETE FROM buckets WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket_id = $1)";
        on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let usage = super::quotas::lock_usage!(self, tx, id);
            let found: Option<(DbId,)> =
                sqlx::query_as(&lock).bind(DbId(id)).fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            let _: Vec<(DbId,)> =
                sqlx::query_as(&lock_uploads).bind(DbId(id)).fetch_all(&mut *tx).await?;
            let parts: Vec<(String, i64)> =
                sqlx::query_as(blobs).bind(DbId(id)).fetch_all(&mut *tx).await?;
            let deleted = sqlx::query(delete).bind(DbId(id)).execute(&mut *tx).await?;
            if deleted.rows_affected() == 0 {
                return Err(StoreError::Stale("bucket not empty"));
            }
            // The unfinished uploads' parts went with it.
            let freed = super::quotas::Delta {
                part_bytes: -parts.iter().map(|(_, size)| size).sum::<i64>(),
                ..Default::default()
            };
            super::quotas::apply_usage!(tx, usage, freed);
            tx.commit().await?;
            Ok(parts.into_iter().map(|(blob, _)| blob).collect())
        })
    }

    async fn bucket_usage(&self, id: Uuid) -> Result<BucketUsage> {
        let sql = "SELECT COUNT(*) AS objects, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes \
             FROM objects WHERE bucket_id = $1";
        let record: UsageRecord = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(DbId(id)).fetch_one(pool).await?
        });
        record.try_into()
    }

    async fn owner_usage(&self, owner_id: Uuid) -> Result<BucketUsage> {
        super::quotas::owner_usage(self, owner_id).await
    }

    async fn has_room(&self, bucket_id: Uuid, bytes: i64, objects: i64) -> Result<bool> {
        let delta = super::quotas::Delta {
            objects,
            bytes,
            part_bytes: 0,
        };
        super::quotas::has_room(self, bucket_id, delta).await
    }

    async fn put_object_if(
        &self,
        object: ObjectRow,
        condition: PutCondition<'_>,
    ) -> Result<Option<String>> {
        on_writer!(&self.db, pool => {
            loop {
                let mut tx = pool.begin_write().await?;
                let usage = super::quotas::lock_usage!(self, tx, object.bucket_id);
                if let Some(replaced) = upsert_object!(self, tx, &object, condition, usage, 0) {
                    tx.commit().await?;
                    return Ok(replaced);
                }
            }
        })
    }

    async fn find_object(&self, bucket_id: Uuid, key: &str) -> Result<Option<ObjectRow>> {
        let sql = format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key = $2");
        let record: Option<ObjectRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(bucket_id)).bind(key).fetch_optional(pool).await?
        });
        record.map(TryInto::try_into).transpose()
    }

    async fn delete_object(&self, bucket_id: Uuid, key: &str) -> Result<Option<String>> {
        let sql = "DELETE FROM objects WHERE bucket_id = $1 AND key = $2 RETURNING blob, size";
        on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let usage = super::quotas::lock_usage!(self, tx, bucket_id);
            let deleted: Option<(String, i64)> =
                sqlx::query_as(sql).bind(DbId(bucket_id)).bind(key).fetch_optional(&mut *tx).await?;
            let Some((blob, size)) = deleted else {
                return Ok(None);
            };
            let freed = super::quotas::Delta { objects: -1, bytes: -size, part_bytes: 0 };
            super::quotas::apply_usage!(tx, usage, freed);
            tx.commit().await?;
            Ok(Some(blob))
        })
    }

    async fn list_objects(
        &self,
        bucket_id: Uuid,
        range: ObjectRange<'_>,
    ) -> Result<Vec<ObjectRow>> {
        let sql = format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket_id = $1 AND key >= $2 \
             AND ($3 IS NULL OR key < $3) AND ($4 IS NULL OR key > $4) ORDER BY key LIMIT $5"
        );
        let end = prefix_end(range.prefix);
        let records: Vec<ObjectRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(bucket_id))
                .bind(range.prefix)
                .bind(end.as_deref())
                .bind(range.after)
                .bind(i64::from(range.limit))
                .fetch_all(pool)
                .await?
        });
        records.into_iter().map(TryInto::try_into).collect()
    }

    async fn quota(&self, owner_id: Uuid) -> Result<Quota> {
        super::quotas::quota(self, owner_id).await
    }

    async fn set_quota(&self, owner_id: Uuid, quota: Quota) -> Result<()> {
        super::quotas::set_quota(self, owner_id, quota).await
    }

    async fn create_upload(
        &self,
        bucket_id: Uuid,
        key: &str,
        headers: &str,
    ) -> Result<MultipartUpload> {
        super::multipart::create_upload(self, bucket_id, key, headers).await
    }

    async fn find_upload(&self, id: Uuid) -> Result<Option<MultipartUpload>> {
        super::multipart::find_upload(self, id).await
    }

    async fn list_uploads(
        &self,
        bucket_id: Uuid,
        prefix: &str,
        after: Option<(&str, Uuid)>,
        limit: u32,
    ) -> Result<Vec<MultipartUpload>> {
        super::multipart::list_uploads(self, bucket_id, prefix, after, limit).await
    }

    async fn stale_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<MultipartUpload>> {
        super::multipart::stale_uploads(self, before, limit).await
    }

    async fn put_part(&self, part: Part) -> Result<Option<String>> {
        super::multipart::put_part(self, part).await
    }

    async fn list_parts(&self, upload_id: Uuid, after: u32, limit: u32) -> Result<Vec<Part>> {
        super::multipart::list_parts(self, upload_id, after, limit).await
    }

    async fn complete_upload(&self, upload_id: Uuid, object: ObjectRow) -> Result<Vec<String>> {
        super::multipart::complete_upload(self, upload_id, object).await
    }

    async fn abort_upload(&self, upload_id: Uuid) -> Result<Vec<String>> {
        super::multipart::abort_upload(self, upload_id).await
    }

    async fn referenced_blobs(&self, blobs: &[String]) -> Result<Vec<String>> {
        super::multipart::referenced_blobs(self, blobs).await
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_ends_bound_exactly_the_keys_under_the_prefix() {
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("photos/").as_deref(), Some("photos0"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        let end = prefix_end("photos/").unwrap();
        assert!("photos/\u{10FFFF}zz" < end.as_str() && "photos0" >= end.as_str());
    }
}
