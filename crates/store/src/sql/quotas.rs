//! Object storage quotas: reading and setting them (called from `objects.rs`), and
//! [`check_quota!`], the check inside the transaction that names an object.

use uuid::Uuid;

use super::codec::{from_db_int, to_db_int};
use super::{DbId, SqlStore};
use crate::repo::objects::Quota;
use crate::{Result, Timestamp};

/// Locks the quota row of the owner of `$bucket_id` (PostgreSQL; SQLite's write
/// transactions are serial anyway) and, when there is one, refuses the write with
/// `QuotaExceeded` if the owner's usage, with `$old_size` (the replaced object's size,
/// if any) swapped for `$new_size`, would pass a limit. Locking the quota row first
/// makes concurrent writers of one owner take turns, and each sees the others'
/// committed objects (read committed reads a fresh snapshot per statement).
macro_rules! check_quota {
    ($store:expr, $tx:expr, $bucket_id:expr, $old_size:expr, $new_size:expr) => {{
        let lock = format!(
            "SELECT max_bytes, max_objects FROM s3_quotas \
             WHERE user_id = (SELECT owner_id FROM buckets WHERE id = $1){}",
            $store.dialect().for_update()
        );
        let quota: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(&lock)
            .bind(DbId($bucket_id))
            .fetch_optional(&mut *$tx)
            .await?;
        if let Some((max_bytes, max_objects)) = quota {
            let usage = "SELECT COUNT(*), CAST(COALESCE(SUM(o.size), 0) AS BIGINT) \
                 FROM objects o JOIN buckets b ON b.id = o.bucket_id \
                 WHERE b.owner_id = (SELECT owner_id FROM buckets WHERE id = $1)";
            let (objects, bytes): (i64, i64) = sqlx::query_as(usage)
                .bind(DbId($bucket_id))
                .fetch_one(&mut *$tx)
                .await?;
            let old: Option<i64> = $old_size;
            let bytes = bytes - old.unwrap_or(0) + $crate::sql::codec::to_db_int($new_size);
            let objects = objects + i64::from(old.is_none());
            if max_bytes.is_some_and(|max| bytes > max)
                || max_objects.is_some_and(|max| objects > max)
            {
                return Err($crate::StoreError::QuotaExceeded);
            }
        }
    }};
}
pub(super) use check_quota;

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
