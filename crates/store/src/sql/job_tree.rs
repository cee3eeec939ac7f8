//! The job operations that touch a parent and its children together: finishing a
//! job (which may wake its parent), parking a parent, and cancelling a tree.
//!
//! # Why the parent row is locked first
//! A parent parks (`waiting` if a child is unfinished) while its children may finish
//! on other workers; whichever commits second must see the other's write, or the
//! parent waits forever. On PostgreSQL (READ COMMITTED) every transaction here first
//! locks the parent row (`SELECT … FOR UPDATE`) and only then, in later statements —
//! each with a fresh snapshot — reads the children. Locking the parent before its
//! children everywhere (`cancel_tree` locks a tree oldest first, parents being older)
//! also keeps the lock order the same. On SQLite `BEGIN IMMEDIATE` serialises writers.

use uuid::Uuid;

use super::args::Sql;
use super::connect::BeginWrite;
use super::jobs::{NOT_HELD, push_held_by};
use super::records::{JOB_COLUMNS, JobRecord, convert_all};
use super::{DbId, SqlStore};
use crate::repo::jobs::{Job, JobOutcome, JobStatus};
use crate::{Result, StoreError, Timestamp};

/// `status` is one of an unfinished job's.
const UNFINISHED: &str = "('queued', 'running', 'waiting')";

/// Queues `$1` again if it waits and none of its children is unfinished; `$2` is now.
fn wake_parent_sql() -> String {
    format!(
        "UPDATE jobs SET status = 'queued', updated_at = $2 \
         WHERE id = $1 AND status = 'waiting' \
         AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = $1 AND c.status IN {UNFINISHED})"
    )
}

/// `$1`'s unfinished tree: itself and every unfinished descendant.
fn tree_sql(select: &str) -> String {
    format!(
        "WITH RECURSIVE tree(id) AS ( \
             SELECT id FROM jobs WHERE id = $1 \
             UNION ALL \
             SELECT j.id FROM jobs j JOIN tree t ON j.parent_id = t.id WHERE j.status IN {UNFINISHED}) \
         {select}"
    )
}

impl SqlStore {
    pub(super) async fn child_jobs(&self, parent_id: Uuid) -> Result<Vec<Job>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE parent_id = $1 ORDER BY created_at, id");
        let records: Vec<JobRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(parent_id)).fetch_all(pool).await?
        });
        convert_all(records)
    }

    pub(super) async fn descendant_jobs(&self, id: Uuid, max_depth: u32) -> Result<Vec<Job>> {
        let sql = format!(
            "WITH RECURSIVE below(id, depth) AS ( \
                 SELECT id, 1 FROM jobs WHERE parent_id = $1 AND $2 >= 1 \
                 UNION ALL \
                 SELECT j.id, b.depth + 1 FROM jobs j JOIN below b ON j.parent_id = b.id \
                 WHERE b.depth < $2) \
             SELECT {JOB_COLUMNS} FROM jobs WHERE id IN (SELECT id FROM below) \
             ORDER BY created_at, id"
        );
        let records: Vec<JobRecord> = on_reader!(&self.db, pool => {
            sqlx::query_as(&sql)
                .bind(DbId(id))
                .bind(i64::from(max_depth))
                .fetch_all(pool)
                .await?
        });
        convert_all(records)
    }

    pub(super) async fn finish_job(
        &self,
        id: Uuid,
        worker_id: &str,
        outcome: JobOutcome,
        now: Timestamp,
    ) -> Result<Job> {
        let mut sql = Sql::new(self.dialect(), "UPDATE jobs SET status = ");
        sql.bind(outcome.status().as_str());
        sql.push(", error = ").bind(outcome.error());
        if outcome.status() == JobStatus::Succeeded {
            sql.push(", progress = 100");
        }
        sql.push(&format!(
            ", params = {}",
            self.dialect().params_without_sealed()
        ));
        sql.push(", lease_until = NULL, finished_at = ").bind(now);
        sql.push(", updated_at = ").bind(now);
        push_held_by(&mut sql, id, worker_id);
        let (text, args) = sql.into_parts();
        let lock = lock_parent_sql(self.dialect().for_update());
        let wake = wake_parent_sql();
        let record: Option<JobRecord> = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let parent: Option<(DbId,)> = sqlx::query_as(&lock)
                .bind(DbId(id))
                .fetch_optional(&mut *tx)
                .await?;
            let record: Option<JobRecord> = bind_args!(sqlx::query_as(&text), args)
                .fetch_optional(&mut *tx)
                .await?;
            if let (Some((parent,)), Some(_)) = (parent, &record) {
                sqlx::query(&wake).bind(parent).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            record
        });
        self.found_or_stale(id, record, NOT_HELD).await
    }

    pub(super) async fn park_job(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        let lock = format!(
            "SELECT id FROM jobs WHERE id = $1{}",
            self.dialect().for_update()
        );
        let park = format!(
            "UPDATE jobs SET status = CASE WHEN EXISTS \
                 (SELECT 1 FROM jobs c WHERE c.parent_id = $1 AND c.status IN {UNFINISHED}) \
                 THEN 'waiting' ELSE 'queued' END, \
             claimed_by = NULL, lease_until = NULL, updated_at = $3 \
             WHERE id = $1 AND status = 'running' AND claimed_by = $2 RETURNING {JOB_COLUMNS}"
        );
        let record: Option<JobRecord> = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(&lock).bind(DbId(id)).fetch_optional(&mut *tx).await?;
            let record: Option<JobRecord> = sqlx::query_as(&park)
                .bind(DbId(id))
                .bind(worker_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            record
        });
        self.found_or_stale(id, record, NOT_HELD).await
    }

    pub(super) async fn cancel_tree(&self, id: Uuid, reason: &str, now: Timestamp) -> Result<Job> {
        let for_update = self.dialect().for_update();
        let lock_parent = lock_parent_sql(for_update);
        let lock_tree = tree_sql(&format!(
            "SELECT id FROM jobs WHERE id IN (SELECT id FROM tree) ORDER BY created_at, id{for_update}"
        ));
        // Never started: nothing to compensate, so it ends now.
        let cancel_unstarted = tree_sql(&format!(
            "UPDATE jobs SET status = 'cancelled', error = $2, cancel_requested_at = $3, \
             cancel_reason = $2, finished_at = $3, updated_at = $3, params = {} \
             WHERE id IN (SELECT id FROM tree) AND status = 'queued' AND attempts = 0",
            self.dialect().params_without_sealed()
        ));
        // Started: its worker (or the next one) compensates and ends it.
        let request = tree_sql(&format!(
            "UPDATE jobs SET cancel_requested_at = $3, cancel_reason = $2, updated_at = $3 \
             WHERE id IN (SELECT id FROM tree) AND status IN {UNFINISHED} \
             AND cancel_requested_at IS NULL"
        ));
        // Parents in the tree (and the tree's own parent) left with no unfinished child.
        let wake = tree_sql(&format!(
            "UPDATE jobs SET status = 'queued', updated_at = $2 \
             WHERE (id IN (SELECT id FROM tree) OR id = (SELECT parent_id FROM jobs WHERE id = $1)) \
             AND status = 'waiting' \
             AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = jobs.id AND c.status IN {UNFINISHED})"
        ));
        let read = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let record: Option<JobRecord> = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(&lock_parent).bind(DbId(id)).fetch_optional(&mut *tx).await?;
            let root: Option<JobRecord> =
                sqlx::query_as(&read).bind(DbId(id)).fetch_optional(&mut *tx).await?;
            let root = match root.map(Job::try_from).transpose()? {
                None => return Err(StoreError::NotFound),
                Some(job) if job.status.is_terminal() => {
                    return Err(StoreError::Stale("job has already finished"));
                }
                Some(job) => job,
            };
            sqlx::query(&lock_tree).bind(DbId(root.id)).fetch_all(&mut *tx).await?;
            for statement in [&cancel_unstarted, &request] {
                sqlx::query(statement)
                    .bind(DbId(id))
                    .bind(reason)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(&wake).bind(DbId(id)).bind(now).execute(&mut *tx).await?;
            let record = sqlx::query_as(&read).bind(DbId(id)).fetch_optional(&mut *tx).await?;
            tx.commit().await?;
            record
        });
        record.ok_or(StoreError::NotFound)?.try_into()
    }
}

/// Locks `$1`'s parent row, returning its id (no row: `$1` has no parent).
fn lock_parent_sql(for_update: &str) -> String {
    format!("SELECT id FROM jobs WHERE id = (SELECT parent_id FROM jobs WHERE id = $1){for_update}")
}
