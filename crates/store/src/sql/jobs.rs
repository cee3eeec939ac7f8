use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

use super::args::Sql;
use super::connect::BeginWrite;
use super::records::{JOB_COLUMNS, JobRecord, convert_all};
use super::{DbId, SqlStore};
use crate::repo::jobs::{
    CreatedJob, Job, JobActor, JobCount, JobFilter, JobOutcome, JobProgress, JobRepo, NewJob,
    ParentFilter,
};
use crate::{Page, PageRequest, Result, StoreError, Timestamp, constraints};

/// Jobs are listed newest first by (created_at, id).
#[derive(Serialize, Deserialize)]
struct JobCursor {
    created_at: Timestamp,
    id: Uuid,
}

impl SqlStore {
    pub(super) async fn job_record(&self, id: Uuid) -> Result<Option<JobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        Ok(on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        }))
    }

    /// Runs a guarded single-row update; when its guard fails, tells a missing job
    /// (`NotFound`) from one in the wrong state (`Stale`).
    pub(super) async fn guarded_update(
        &self,
        id: Uuid,
        sql: Sql,
        stale: &'static str,
    ) -> Result<Job> {
        let (text, args) = sql.into_parts();
        let record: Option<JobRecord> = on_writer!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_optional(pool).await?
        });
        self.found_or_stale(id, record, stale).await
    }

    /// A guarded update's row, or why there is none: a missing job (`NotFound`) or one
    /// in the wrong state (`Stale`). For updates that need more than one statement
    /// (in a transaction) and so cannot go through [`Self::guarded_update`].
    pub(super) async fn found_or_stale(
        &self,
        id: Uuid,
        record: Option<JobRecord>,
        stale: &'static str,
    ) -> Result<Job> {
        match record {
            Some(record) => record.try_into(),
            None if self.job_record(id).await?.is_some() => Err(StoreError::Stale(stale)),
            None => Err(StoreError::NotFound),
        }
    }
}

/// Why a worker-side update (guarded by [`push_held_by`]) changed nothing.
pub(super) const NOT_HELD: &str = "job is not running under this worker";

#[async_trait]
impl JobRepo for SqlStore {
    async fn create(&self, job: NewJob) -> Result<CreatedJob> {
        let now = Timestamp::now();
        let (actor_kind, actor_id, system_name) = match &job.actor {
            JobActor::User(id) => ("user", Some(DbId(*id)), None),
            JobActor::System { name } => ("system", None, Some(name.as_str())),
        };
        // The user's name is copied from `users` (history keeps it after the user is
        // gone); a missing user leaves '' and fails on owner_id's foreign key. A taken
        // key (any of the three unique indexes) inserts nothing: then the earlier job
        // is read back in the same transaction. A job on a volume that already has an
        // unfinished one (`jobs_volume_active_key`) inserts nothing either: a conflict.
        let insert = format!(
            "INSERT INTO jobs (id, kind, status, actor_kind, actor_id, actor_name, owner_id, parent_id, \
             child_key, resource_kind, resource_id, params, steps, idempotency_key, run_after, \
             created_at, updated_at) \
             VALUES ($1, $2, 'queued', $3, $4, \
                     COALESCE($5, (SELECT username FROM users WHERE id = $4), ''), $4, $6, $7, $8, \
                     $9, $10, $11, $12, $13, $14, $14) \
             ON CONFLICT DO NOTHING RETURNING {JOB_COLUMNS}"
        );
        let mut existing = Sql::new(
            self.dialect(),
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE "),
        );
        match (&job.parent, &job.actor) {
            (Some(child), _) => {
                existing.push("parent_id = ").bind(child.parent_id);
                existing.push(" AND child_key = ").bind(child.key.as_str());
            }
            (None, JobActor::User(id)) => {
                existing.push("owner_id = ").bind(*id);
                existing
                    .push(" AND idempotency_key = ")
                    .bind(job.idempotency_key.clone());
            }
            (None, JobActor::System { name }) => {
                existing
                    .push("actor_kind = 'system' AND actor_name = ")
                    .bind(name.as_str());
                existing
                    .push(" AND idempotency_key = ")
                    .bind(job.idempotency_key.clone());
            }
        }
        let (existing, existing_args) = existing.into_parts();
        let (record, created): (JobRecord, bool) = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted: Option<JobRecord> = sqlx::query_as(&insert)
                .bind(DbId(Uuid::now_v7()))
                .bind(&job.kind)
                .bind(actor_kind)
                .bind(actor_id)
                .bind(system_name)
                .bind(job.parent.as_ref().map(|c| DbId(c.parent_id)))
                .bind(job.parent.as_ref().map(|c| c.key.as_str()))
                .bind(&job.resource_kind)
                .bind(&job.resource_id)
                .bind(Json(&job.params))
                .bind(Json(&job.steps))
                .bind(&job.idempotency_key)
                .bind(job.run_after)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let result = match inserted {
                Some(record) => (record, true),
                None => {
                    let record: Option<JobRecord> =
                        bind_args!(sqlx::query_as(&existing), existing_args)
                            .fetch_optional(&mut *tx)
                            .await?;
                    match record {
                        Some(record) => (record, false),
                        // No key matched: the insert lost to the one-active-job index.
                        None => {
                            return Err(StoreError::Conflict {
                                constraint: constraints::JOB_VOLUME_ACTIVE.to_owned(),
                            });
                        }
                    }
                }
            };
            tx.commit().await?;
            result
        });
        Ok(CreatedJob {
            job: record.try_into()?,
            created,
        })
    }

    async fn get(&self, id: Uuid) -> Result<Job> {
        self.job_record(id)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    async fn list(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
        let limit = page.clamped_limit();
        let mut sql = Sql::new(
            self.dialect(),
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1 = 1"),
        );
        if let Some(owner_id) = filter.owner_id {
            sql.push(" AND owner_id = ").bind(owner_id);
        }
        if let Some(status) = filter.status {
            sql.push(" AND status = ").bind(status.as_str());
        }
        match filter.parent {
            ParentFilter::Any => {}
            ParentFilter::TopLevel => {
                sql.push(" AND parent_id IS NULL");
            }
            ParentFilter::Of(parent) => {
                sql.push(" AND parent_id = ").bind(parent);
            }
        }
        if let Some(resource) = &filter.resource {
            sql.push(" AND resource_kind = ")
                .bind(resource.kind.as_str());
            sql.push(" AND resource_id = ").bind(resource.id.as_str());
        }
        if let Some(cursor) = &page.after {
            let cursor: JobCursor = cursor.decode()?;
            sql.push(" AND (created_at, id) < (")
                .bind(cursor.created_at)
                .push(", ")
                .bind(cursor.id)
                .push(")");
        }
        sql.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .bind(i64::from(limit) + 1);
        let (text, args) = sql.into_parts();
        let records: Vec<JobRecord> = on_reader!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_all(pool).await?
        });
        let jobs = convert_all(records)?;
        Ok(Page::from_overfetch(jobs, limit, |job: &Job| JobCursor {
            created_at: job.created_at,
            id: job.id,
        }))
    }

    async fn claim_next(
        &self,
        worker_id: &str,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Option<Job>> {
        // One statement: the subquery picks the oldest claimable job and (PostgreSQL)
        // locks it, skipping rows another worker is claiming right now; on SQLite the
        // statement runs on the single writer, which serialises claims.
        let sql = format!(
            "UPDATE jobs SET status = 'running', claimed_by = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs \
                         WHERE (status = 'queued' AND (run_after IS NULL OR run_after <= $3)) \
                            OR (status = 'running' AND lease_until < $3) \
                         ORDER BY created_at, id LIMIT 1{}) \
             RETURNING {JOB_COLUMNS}",
            self.dialect().for_update_skip_locked()
        );
        let record: Option<JobRecord> = on_writer!(&self.db, pool => {
            sqlx::query_as(&sql).bind(worker_id).bind(now + lease).bind(now).fetch_optional(pool).await?
        });
        record.map(Job::try_from).transpose()
    }

    async fn checkpoint(
        &self,
        id: Uuid,
        worker_id: &str,
        progress: &JobProgress,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Job> {
        let mut sql = Sql::new(self.dialect(), "UPDATE jobs SET steps = ");
        sql.bind(serde_json::to_value(&progress.steps).expect("job steps serialise to JSON"));
        sql.push(", current_step = ")
            .bind(i64::from(progress.current_step));
        sql.push(", progress = ")
            .bind(i64::from(progress.progress.min(100)));
        sql.push(", pve_upid = COALESCE(")
            .bind(progress.pve_upid.clone())
            .push(", pve_upid)");
        sql.push(", resource_id = COALESCE(")
            .bind(progress.resource_id.clone())
            .push(", resource_id)");
        sql.push(", lease_until = ").bind(now + lease);
        sql.push(", updated_at = ").bind(now);
        push_held_by(&mut sql, id, worker_id);
        self.guarded_update(id, sql, NOT_HELD).await
    }

    async fn finish(
        &self,
        id: Uuid,
        worker_id: &str,
        outcome: JobOutcome,
        now: Timestamp,
    ) -> Result<Job> {
        self.finish_job(id, worker_id, outcome, now).await
    }

    async fn wait_for_children(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        self.park_job(id, worker_id, now).await
    }

    async fn children(&self, parent_id: Uuid) -> Result<Vec<Job>> {
        self.child_jobs(parent_id).await
    }

    async fn descendants(&self, id: Uuid, max_depth: u32) -> Result<Vec<Job>> {
        self.descendant_jobs(id, max_depth).await
    }

    async fn next_run_after(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        let sql = "SELECT MIN(run_after) FROM jobs \
                   WHERE status = 'queued' AND run_after IS NOT NULL AND run_after > $1";
        let (next,): (Option<Timestamp>,) = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).bind(now).fetch_one(pool).await?
        });
        Ok(next)
    }

    async fn request_cancel(&self, id: Uuid, reason: &str, now: Timestamp) -> Result<Job> {
        self.cancel_tree(id, reason, now).await
    }

    async fn count_by_kind_and_status(&self) -> Result<Vec<JobCount>> {
        // Unfinished jobs only: the claimable-jobs index covers them, whereas finished
        // ones accumulate for ever and a scrape would read them all.
        let sql = "SELECT kind, status, COUNT(*) FROM jobs \
                   WHERE status IN ('queued', 'running', 'waiting') \
                   GROUP BY kind, status ORDER BY kind, status";
        let rows: Vec<(String, String, i64)> = on_reader!(&self.db, pool => {
            sqlx::query_as(sql).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(kind, status, count)| {
                Ok(JobCount {
                    kind,
                    status: status.parse().map_err(StoreError::Corrupt)?,
                    count: count.max(0) as u64,
                })
            })
            .collect()
    }

    async fn drop_sealed(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        let mut sql = Sql::new(
            self.dialect(),
            format!(
                "UPDATE jobs SET params = {}",
                self.dialect().params_without_sealed()
            ),
        );
        sql.push(", updated_at = ").bind(now);
        push_held_by(&mut sql, id, worker_id);
        self.guarded_update(id, sql, NOT_HELD).await
    }

    async fn release(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        let mut sql = Sql::new(
            self.dialect(),
            "UPDATE jobs SET status = 'queued', claimed_by = NULL, lease_until = NULL",
        );
        sql.push(", updated_at = ").bind(now);
        push_held_by(&mut sql, id, worker_id);
        self.guarded_update(id, sql, NOT_HELD).await
    }
}

/// The guard of every worker-side update: the job is still running under this worker.
pub(super) fn push_held_by(sql: &mut Sql, id: Uuid, worker_id: &str) {
    sql.push(" WHERE status = 'running' AND id = ").bind(id);
    sql.push(" AND claimed_by = ").bind(worker_id);
    sql.push(&format!(" RETURNING {JOB_COLUMNS}"));
}
