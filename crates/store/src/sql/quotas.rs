//! Object storage quotas and usage: reading and setting quotas (called from
//! `objects.rs`), and the usage row (`s3_usage`) every write of an object or a part
//! goes through:
//! 1. [`lock_usage!`] first — before any object, part or upload row — so writers of
//!    one owner take turns (PostgreSQL; SQLite's write transactions are serial anyway)
//!    and each then reads the rows the previous one committed: an overwrite racing a
//!    first write of the same key sees the object it replaces, and counts its size as
//!    freed;
//! 2. [`Usage::check`] of the change (`QuotaExceeded` when it would pass a limit);
//! 3. the write, then [`apply_usage!`] of the same change, in the same transaction.
//!
//! Adding a write that changes what an owner stores: the same three steps, with the
//! lock taken before the rows it touches (one lock order everywhere: no deadlocks).

use uuid::Uuid;

use super::codec::{from_db_int, to_db_int};
use super::{DbId, SqlStore};
use crate::repo::objects::{BucketUsage, Quota};
use crate::{Result, StoreError, Timestamp};

/// What a write changes in its owner's usage (negative: frees).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Delta {
    pub objects: i64,
    pub bytes: i64,
    pub part_bytes: i64,
}

/// An owner's usage and quota, as read with the usage row locked.
#[derive(Debug, Clone, Copy)]
pub(super) struct Usage {
    pub owner: Uuid,
    pub objects: i64,
    pub bytes: i64,
    pub part_bytes: i64,
    pub max_bytes: Option<i64>,
    pub max_objects: Option<i64>,
}

impl Usage {
    /// `QuotaExceeded` when `delta` grows the owner past a limit. Bytes count the
    /// objects and the unfinished uploads' parts together; what only frees (a delete,
    /// an abort) is never refused, even above a lowered quota.
    pub fn check(&self, delta: Delta) -> Result<()> {
        let bytes = self.bytes + self.part_bytes;
        let grown_bytes = bytes + delta.bytes + delta.part_bytes;
        let over_bytes = delta.bytes + delta.part_bytes > 0
            && self.max_bytes.is_some_and(|max| grown_bytes > max);
        let over_objects = delta.objects > 0
            && self
                .max_objects
                .is_some_and(|max| self.objects + delta.objects > max);
        if over_bytes || over_objects {
            return Err(StoreError::QuotaExceeded);
        }
        Ok(())
    }
}

/// Creates (if missing) and locks the usage row of the owner of bucket `$bucket_id`,
/// and reads their quota. Evaluates to `Option<Usage>`: `None` when the bucket is gone
/// (the write that follows then fails on its foreign key).
macro_rules! lock_usage {
    ($store:expr, $tx:expr, $bucket_id:expr) => {{
        let bucket_id: uuid::Uuid = $bucket_id;
        sqlx::query(
            "INSERT INTO s3_usage (user_id, objects, bytes, part_bytes) \
             SELECT owner_id, 0, 0, 0 FROM buckets WHERE id = $1 \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(DbId(bucket_id))
        .execute(&mut *$tx)
        .await?;
        let lock = format!(
            "SELECT user_id, objects, bytes, part_bytes FROM s3_usage \
             WHERE user_id = (SELECT owner_id FROM buckets WHERE id = $1){}",
            $store.dialect().for_update()
        );
        let row: Option<(DbId, i64, i64, i64)> = sqlx::query_as(&lock)
            .bind(DbId(bucket_id))
            .fetch_optional(&mut *$tx)
            .await?;
        match row {
            None => None,
            Some((owner, objects, bytes, part_bytes)) => {
                let quota: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT max_bytes, max_objects FROM s3_quotas WHERE user_id = $1",
                )
                .bind(owner)
                .fetch_optional(&mut *$tx)
                .await?;
                let (max_bytes, max_objects) = quota.unwrap_or((None, None));
                Some($crate::sql::quotas::Usage {
                    owner: owner.0,
                    objects,
                    bytes,
                    part_bytes,
                    max_bytes,
                    max_objects,
                })
            }
        }
    }};
}
pub(super) use lock_usage;

/// Adds `$delta` to the usage row `$usage` (an `Option<Usage>` from [`lock_usage!`]).
macro_rules! apply_usage {
    ($tx:expr, $usage:expr, $delta:expr) => {{
        let delta: $crate::sql::quotas::Delta = $delta;
        if let Some(usage) = &$usage
            && delta != $crate::sql::quotas::Delta::default()
        {
            sqlx::query(
                "UPDATE s3_usage SET objects = objects + $2, bytes = bytes + $3, \
                 part_bytes = part_bytes + $4 WHERE user_id = $1",
            )
            .bind(DbId(usage.owner))
            .bind(delta.objects)
            .bind(delta.bytes)
            .bind(delta.part_bytes)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}
pub(super) use apply_usage;

/// The owner's objects and their bytes (the usage row; none yet: nothing stored).
pub(super) async fn owner_usage(store: &SqlStore, owner_id: Uuid) -> Result<BucketUsage> {
    let sql = "SELECT objects, bytes FROM s3_usage WHERE user_id = $1";
    let row: Option<(i64, i64)> = on_reader!(&store.db, pool => {
        sqlx::query_as(sql).bind(DbId(owner_id)).fetch_optional(pool).await?
    });
    let (objects, bytes) = row.unwrap_or((0, 0));
    Ok(BucketUsage {
        objects: from_db_int(objects, "s3_usage.objects")?,
        bytes: from_db_int(bytes, "s3_usage.bytes")?,
    })
}

/// Whether the owner of `bucket_id` has room for `delta`, without a lock: a check
/// before a body is received, so an upload the quota cannot take is refused before
/// its bytes are streamed to disk. The write's own transaction checks again.
pub(super) async fn has_room(store: &SqlStore, bucket_id: Uuid, delta: Delta) -> Result<bool> {
    let sql = "SELECT u.objects, u.bytes, u.part_bytes, q.max_bytes, q.max_objects \
         FROM buckets b JOIN s3_quotas q ON q.user_id = b.owner_id \
         LEFT JOIN s3_usage u ON u.user_id = b.owner_id WHERE b.id = $1";
    type Row = (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let row: Option<Row> = on_reader!(&store.db, pool => {
        sqlx::query_as(sql).bind(DbId(bucket_id)).fetch_optional(pool).await?
    });
    // No quota (or no bucket: the write will say so).
    let Some((objects, bytes, part_bytes, max_bytes, max_objects)) = row else {
        return Ok(true);
    };
    let usage = Usage {
        owner: Uuid::nil(),
        objects: objects.unwrap_or(0),
        bytes: bytes.unwrap_or(0),
        part_bytes: part_bytes.unwrap_or(0),
        max_bytes,
        max_objects,
    };
    Ok(usage.check(delta).is_ok())
}

pub(super) async fn quota(store: &SqlStore, owner_id: Uuid) -> Result<Quota> {
    let sql = "SELECT max_bytes, max_objects FROM s3_quotas WHERE user_id = $1";
    let row: Option<(Option<i64>, Option<i64>)> = on_reader!(&store.db, pool => {
        sqlx::query_as(sql).bind(DbId(owner_id)).fetch_optional(pool).await?
    });
    let Some((max_bytes, max_objects)) = row else {
        return Ok(Quota::default());
    };
    Ok(Quota {
        max_bytes: max_bytes
            .map(|v| from_db_int(v, "s3_quotas.max_bytes"))
            .transpose()?,
        max_objects: max_objects
            .map(|v| from_db_int(v, "s3_quotas.max_objects"))
            .transpose()?,
    })
}

pub(super) async fn set_quota(store: &SqlStore, owner_id: Uuid, quota: Quota) -> Result<()> {
    let sql = "INSERT INTO s3_quotas (user_id, max_bytes, max_objects, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
         max_bytes = excluded.max_bytes, max_objects = excluded.max_objects, \
         updated_at = excluded.updated_at";
    on_writer!(&store.db, pool => {
        sqlx::query(sql)
            .bind(DbId(owner_id))
            .bind(quota.max_bytes.map(to_db_int))
            .bind(quota.max_objects.map(to_db_int))
            .bind(Timestamp::now())
            .execute(pool)
            .await?;
    });
    Ok(())
}
