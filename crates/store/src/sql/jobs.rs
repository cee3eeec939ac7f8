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
    CreatedJob, Job, JobFilter, JobOutcome, JobProgress, JobRepo, JobStatus, NewJob,
};
use crate::{Page, PageRequest, Result, StoreError, Timestamp};

/// Jobs are listed newest first by (created_at, id).
#[derive(Serialize, Deserialize)]
struct JobCursor {
    created_at: Timestamp,
    id: Uuid,
}

impl SqlStore {
    async fn job_record(&self, id: Uuid) -> Result<Option<JobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        Ok(on_reader!(&self.db, pool => {
            sqlx::query_as(&sql).bind(DbId(id)).fetch_optional(pool).await?
        }))
    }

    /// Runs a guarded single-row update; when its guard fails, tells a missing job
    /// (`NotFound`) from one in the wrong state (`Stale`).
    async fn guarded_update(&self, id: Uuid, sql: Sql, stale: &'static str) -> Result<Job> {
        let (text, args) = sql.into_parts();
        let record: Option<JobRecord> = on_writer!(&self.db, pool => {
            bind_args!(sqlx::query_as(&text), args).fetch_optional(pool).await?
        });
        match record {
            Some(record) => record.try_into(),
            None if self.job_record(id).await?.is_some() => Err(StoreError::Stale(stale)),
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl JobRepo for SqlStore {
    async fn create(&self, job: NewJob) -> Result<CreatedJob> {
        let now = Timestamp::now();
        // DO NOTHING + RETURNING yields no row when the key was used: then the earlier
        // job is read back in the same transaction.
        let insert = format!(
            "INSERT INTO jobs (id, kind, status, owner_id, resource_kind, resource_id, params, steps, \
             idempotency_key, created_at, updated_at) \
             VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (owner_id, idempotency_key) DO NOTHING RETURNING {JOB_COLUMNS}"
        );
        let existing =
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE owner_id = $1 AND idempotency_key = $2");
        let (record, created): (JobRecord, bool) = on_writer!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted: Option<JobRecord> = sqlx::query_as(&insert)
                .bind(DbId(Uuid::now_v7()))
                .bind(&job.kind)
                .bind(DbId(job.owner_id))
                .bind(&job.resource_kind)
                .bind(&job.resource_id)
                .bind(Json(&job.params))
                .bind(Json(&job.steps))
                .bind(&job.idempotency_key)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let result = match inserted {
                Some(record) => (record, true),
                None => {
                    let record: JobRecord = sqlx::query_as(&existing)
                        .bind(DbId(job.owner_id))
                        .bind(&job.idempotency_key)
                        .fetch_one(&mut *tx)
                        .await?;
                    (record, false)
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
                         WHERE status = 'queued' OR (status = 'running' AND lease_until < $3) \
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
        self.guarded_update(id, sql, "job is not running under this worker")
            .await
    }

    async fn finish(
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
        sql.push(", lease_until = NULL, finished_at = ").bind(now);
        sql.push(", updated_at = ").bind(now);
        push_held_by(&mut sql, id, worker_id);
        self.guarded_update(id, sql, "job is not running under this worker")
            .await
    }

    async fn release(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        let mut sql = Sql::new(
            self.dialect(),
            "UPDATE jobs SET status = 'queued', claimed_by = NULL, lease_until = NULL",
        );
        sql.push(", updated_at = ").bind(now);
        push_held_by(&mut sql, id, worker_id);
        self.guarded_update(id, sql, "job is not running under this worker")
            .await
    }

    async fn cancel_queued(&self, id: Uuid, now: Timestamp) -> Result<Job> {
        let mut sql = Sql::new(
            self.dialect(),
            "UPDATE jobs SET status = 'cancelled', finished_at = ",
        );
        sql.bind(now).push(", updated_at = ").bind(now);
        sql.push(" WHERE status = 'queued' AND id = ").bind(id);
        sql.push(&format!(" RETURNING {JOB_COLUMNS}"));
        self.guarded_update(id, sql, "job is not queued").await
    }
}

/// The guard of every worker-side update: the job is still running under this worker.
fn push_held_by(sql: &mut Sql, id: Uuid, worker_id: &str) {
    sql.push(" WHERE status = 'running' AND id = ").bind(id);
    sql.push(" AND claimed_by = ").bind(worker_id);
    sql.push(&format!(" RETURNING {JOB_COLUMNS}"));
}
