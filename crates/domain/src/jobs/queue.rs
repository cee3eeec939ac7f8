//! Submitting jobs (for the services that start work) and reading them (for the API).

use std::sync::Arc;

use proxicloud_store::{JobFilter, JobStatus, NewJob, Page, PageRequest, Store, Uuid};
use tokio::sync::Notify;

use super::engine::publish_job;
use super::view::JobView;
use crate::error::{DomainError, DomainResult};
use crate::events::EventBus;
use crate::iam::Principal;

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The way into the job table: queues a job, announces it, wakes an idle worker.
#[derive(Clone)]
pub struct JobQueue {
    store: Arc<dyn Store>,
    events: Arc<EventBus>,
    wake: Arc<Notify>,
}

/// The result of a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub job: JobView,
    /// `false`: the owner had already used the idempotency key; `job` is that job.
    pub created: bool,
}

impl JobQueue {
    pub fn new(store: Arc<dyn Store>, events: Arc<EventBus>) -> Self {
        Self {
            store,
            events,
            wake: Arc::new(Notify::new()),
        }
    }

    pub async fn submit(&self, job: NewJob) -> DomainResult<Submitted> {
        if let Some(key) = &job.idempotency_key {
            check_idempotency_key(key)?;
        }
        let created = self.store.jobs().create(job).await?;
        if created.created {
            publish_job(&self.events, &created.job);
            self.wake.notify_one();
        }
        Ok(Submitted {
            job: JobView::from(&created.job),
            created: created.created,
        })
    }

    pub(super) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(super) fn events(&self) -> &Arc<EventBus> {
        &self.events
    }

    pub(super) fn wake(&self) -> &Arc<Notify> {
        &self.wake
    }
}

/// Printable ASCII, so it is safe to store, log and compare.
pub fn check_idempotency_key(key: &str) -> DomainResult<()> {
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(DomainError::invalid(
            "Idempotency-Key",
            format!(
                "must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters without spaces"
            ),
        ));
    }
    Ok(())
}

/// `GET /api/v1/jobs` filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobListQuery {
    pub status: Option<JobStatus>,
    /// Admins only: one user's jobs.
    pub owner_id: Option<Uuid>,
}

/// Reading jobs with the ownership rules: everyone sees their own, admins all.
#[derive(Clone)]
pub struct JobService {
    store: Arc<dyn Store>,
}

impl JobService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<JobView> {
        let job = self
            .store
            .jobs()
            .get(id)
            .await
            .map_err(DomainError::not_found_as("job"))?;
        caller.authorize_view(Some(job.owner_id), "job")?;
        Ok(JobView::from(&job))
    }

    /// Newest first.
    pub async fn list(
        &self,
        caller: &Principal,
        query: &JobListQuery,
        page: PageRequest,
    ) -> DomainResult<Page<JobView>> {
        let owner_id = if caller.is_admin() {
            query.owner_id
        } else {
            Some(caller.user_id)
        };
        let filter = JobFilter {
            owner_id,
            status: query.status,
            ..JobFilter::default()
        };
        let page = self.store.jobs().list(&filter, page).await?;
        Ok(Page {
            items: page.items.iter().map(JobView::from).collect(),
            next: page.next,
        })
    }
}
