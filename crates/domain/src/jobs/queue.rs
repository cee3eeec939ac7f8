//! Submitting and cancelling jobs (for the services that start work, and the API)
//! and reading them (for the API).
//!
//! Who sees a job: its user and admins; a system job (no user) admins and, when it
//! acts on an instance, whoever may see that instance. Children are visible with
//! their parent. Lists show top-level jobs unless `parent_id` asks for one job's
//! children; `get` returns the whole tree.

use std::collections::HashMap;
use std::sync::Arc;

use proxicloud_store::{
    Job, JobFilter, JobStatus, NewJob, Page, PageRequest, ParentFilter, Store, StoreError,
    Timestamp, Uuid,
};
use tokio::sync::Notify;

use super::engine::publish_job;
use super::view::JobView;
use crate::error::{DomainError, DomainResult};
use crate::events::EventBus;
use crate::iam::Principal;
use crate::inventory::load_live_guest;

/// `resource_kind` of the jobs whose visibility follows an instance's.
const INSTANCE_RESOURCE: &str = "instance";
/// How deep `get` nests children (deeper ones are left out).
const MAX_TREE_DEPTH: u32 = 8;

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

    /// Cancels a job and its unfinished children for `caller` (its user or an admin;
    /// readonly callers may not). One nobody started ends at once; a running one
    /// stops at its next step boundary and compensates. `Conflict` (`job_finished`)
    /// when it has already ended.
    pub async fn cancel(&self, caller: &Principal, id: Uuid) -> DomainResult<JobView> {
        if !caller.can_create() {
            return Err(DomainError::forbidden(
                "the readonly role cannot cancel jobs",
            ));
        }
        let job = visible_job(&self.store, caller, id).await?;
        if !caller.can_manage(job.owner_id) {
            return Err(DomainError::forbidden("your role may not cancel this job"));
        }
        let reason = format!("cancelled by {}", caller.username);
        let cancelled = self
            .store
            .jobs()
            .request_cancel(id, &reason, Timestamp::now())
            .await
            .map_err(|error| match error {
                StoreError::Stale(_) => DomainError::conflict(
                    "job_finished",
                    format!("the job has already ended ({})", job.status),
                ),
                StoreError::NotFound => DomainError::NotFound { resource: "job" },
                other => other.into(),
            })?;
        self.announce_tree(&cancelled).await;
        // A parent may have been queued again, and running jobs should notice soon.
        self.wake.notify_one();
        Ok(JobView::from(&cancelled))
    }

    /// Publishes a job, its parent and its descendants after a change to the tree.
    async fn announce_tree(&self, job: &Job) {
        publish_job(&self.events, job);
        if let Some(parent_id) = job.parent_id
            && let Ok(parent) = self.store.jobs().get(parent_id).await
        {
            publish_job(&self.events, &parent);
        }
        if let Ok(descendants) = self.store.jobs().descendants(job.id, u32::MAX).await {
            for descendant in &descendants {
                publish_job(&self.events, descendant);
            }
        }
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
    /// This job's children (to anyone who may see it); without it, top-level jobs only.
    pub parent_id: Option<Uuid>,
}

/// `job`'s view with its descendants nested under it, taken from `by_parent` (each
/// parent's children oldest first, as the store lists them).
fn tree(job: &Job, by_parent: &mut HashMap<Uuid, Vec<Job>>) -> JobView {
    let children = by_parent.remove(&job.id).unwrap_or_default();
    let children = children
        .iter()
        .map(|child| tree(child, by_parent))
        .collect();
    JobView::from(job).with_children(children)
}

/// The job, if `caller` may see it (else `NotFound`, as if it did not exist).
async fn visible_job(store: &Arc<dyn Store>, caller: &Principal, id: Uuid) -> DomainResult<Job> {
    let not_found = || DomainError::NotFound { resource: "job" };
    let mut job = store
        .jobs()
        .get(id)
        .await
        .map_err(DomainError::not_found_as("job"))?;
    let requested = job.clone();
    // A child is visible with the top of its tree.
    for _ in 0..MAX_TREE_DEPTH {
        let Some(parent_id) = job.parent_id else {
            break;
        };
        job = store
            .jobs()
            .get(parent_id)
            .await
            .map_err(DomainError::not_found_as("job"))?;
    }
    if caller.can_view(job.owner_id) {
        return Ok(requested);
    }
    let system_on_instance = job.owner_id.is_none()
        && !job.actor_deleted()
        && job.resource_kind.as_deref() == Some(INSTANCE_RESOURCE);
    let instance = job.resource_id.as_deref().and_then(|id| id.parse().ok());
    if let (true, Some(instance)) = (system_on_instance, instance) {
        match load_live_guest(store.as_ref(), instance).await {
            Ok(guest) if caller.can_view(guest.owner_id) => return Ok(requested),
            Ok(_) | Err(DomainError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Err(not_found())
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

    /// The job with its children, nested (see [`JobView::with_children`] for the
    /// progress of a waiting parent).
    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<JobView> {
        let job = visible_job(&self.store, caller, id).await?;
        let descendants = self
            .store
            .jobs()
            .descendants(job.id, MAX_TREE_DEPTH)
            .await?;
        let mut by_parent: HashMap<Uuid, Vec<Job>> = HashMap::new();
        for descendant in descendants {
            if let Some(parent_id) = descendant.parent_id {
                by_parent.entry(parent_id).or_default().push(descendant);
            }
        }
        Ok(tree(&job, &mut by_parent))
    }

    /// Newest first: top-level jobs, or one job's children (`query.parent_id`).
    pub async fn list(
        &self,
        caller: &Principal,
        query: &JobListQuery,
        page: PageRequest,
    ) -> DomainResult<Page<JobView>> {
        let (owner_id, parent) = match query.parent_id {
            Some(parent_id) => {
                visible_job(&self.store, caller, parent_id).await?;
                (None, ParentFilter::Of(parent_id))
            }
            None if caller.is_admin() => (query.owner_id, ParentFilter::TopLevel),
            None => (Some(caller.user_id), ParentFilter::TopLevel),
        };
        let filter = JobFilter {
            owner_id,
            status: query.status,
            parent,
            ..JobFilter::default()
        };
        let page = self.store.jobs().list(&filter, page).await?;
        Ok(Page {
            items: page.items.iter().map(JobView::from).collect(),
            next: page.next,
        })
    }
}
