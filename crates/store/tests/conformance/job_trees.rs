//! Jobs nobody clicked: system actors, history after a user's deletion, `run_after`,
//! child jobs that park their parent, and cancelling a tree.

use std::sync::Arc;

use proxicloud_store::{
    ChildOf, Job, JobActor, JobFilter, JobOutcome, JobStatus, NewJob, PageRequest, ParentFilter,
    Role, Store, StoreError, Timestamp,
};
use uuid::Uuid;

use crate::fixtures::{later, user};
use crate::jobs::{LEASE, new_job};

fn system_job(name: &str, key: Option<&str>) -> NewJob {
    NewJob {
        idempotency_key: key.map(Into::into),
        ..NewJob::new("backup.run", JobActor::System { name: name.into() }, vec![])
    }
}

fn child_of(parent: &Job, key: &str) -> NewJob {
    NewJob {
        parent: Some(ChildOf {
            parent_id: parent.id,
            key: key.into(),
        }),
        ..NewJob::new("backup.instance", parent.actor.clone(), vec![])
    }
}

async fn claim(store: &dyn Store, worker: &str, now: Timestamp) -> Option<Job> {
    store.jobs().claim_next(worker, now, LEASE).await.unwrap()
}

/// Creates `job`; the stored row (the first one, for a repeated key).
async fn create(store: &dyn Store, job: NewJob) -> Job {
    store.jobs().create(job).await.unwrap().job
}

/// A job of `owner` claimed by `worker`: a parent about to start its children.
async fn claimed_parent(store: &dyn Store, owner: Uuid, worker: &str, now: Timestamp) -> Job {
    create(store, new_job(owner, None)).await;
    claim(store, worker, now).await.unwrap()
}

/// `worker` parks `parent` until its children end.
async fn park(store: &dyn Store, parent: &Job, worker: &str, now: Timestamp) -> Job {
    store
        .jobs()
        .wait_for_children(parent.id, worker, now)
        .await
        .unwrap()
}

async fn finish(store: &dyn Store, id: Uuid, worker: &str, outcome: JobOutcome, now: Timestamp) {
    store.jobs().finish(id, worker, outcome, now).await.unwrap();
}

async fn status(store: &dyn Store, id: Uuid) -> JobStatus {
    store.jobs().get(id).await.unwrap().status
}

pub async fn system_jobs_have_no_user_and_their_keys_are_per_actor_name(store: Arc<dyn Store>) {
    let first = store
        .jobs()
        .create(system_job("scheduler", Some("nightly-2026-12-06")))
        .await
        .unwrap();
    assert!(first.created);
    let job = &first.job;
    assert_eq!(
        (&job.actor, job.actor_name.as_str(), job.owner_id),
        (
            &JobActor::System {
                name: "scheduler".into()
            },
            "scheduler",
            None
        )
    );
    assert!(!job.actor_deleted());
    let again = store
        .jobs()
        .create(system_job("scheduler", Some("nightly-2026-12-06")))
        .await
        .unwrap();
    assert!(
        !again.created,
        "catch-up after downtime does not run it twice"
    );
    assert_eq!(again.job.id, job.id);
    let other = store
        .jobs()
        .create(system_job("retention", Some("nightly-2026-12-06")))
        .await
        .unwrap();
    assert!(other.created, "keys are per system actor");
}

pub async fn a_deleted_users_jobs_stay_listed_with_their_name(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let keyed = create(&*store, new_job(olga.id, Some("k"))).await;
    store.users().delete(olga.id).await.unwrap();

    let all = store
        .jobs()
        .list(&JobFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
    let kept = &all.items[0];
    assert_eq!(kept.id, keyed.id);
    assert!(kept.actor_deleted());
    assert_eq!(
        (&kept.actor, kept.actor_name.as_str(), kept.owner_id),
        (&JobActor::User(olga.id), "olga", None)
    );
}

pub async fn run_after_holds_a_job_back_until_its_time(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let now = Timestamp::now();
    let due = later(now, 60);
    let scheduled = create(
        &*store,
        NewJob {
            run_after: Some(due),
            ..new_job(olga.id, None)
        },
    )
    .await;
    assert_eq!(scheduled.run_after, Some(due));
    let plain = create(&*store, new_job(olga.id, None)).await;

    assert_eq!(
        claim(&*store, "w", now).await.map(|j| j.id),
        Some(plain.id),
        "the older job waits for its time"
    );
    assert_eq!(claim(&*store, "w", now).await, None);
    assert_eq!(store.jobs().next_run_after(now).await.unwrap(), Some(due));
    assert_eq!(
        claim(&*store, "w", due).await.map(|j| j.id),
        Some(scheduled.id),
        "due at its run_after"
    );
    assert_eq!(store.jobs().next_run_after(now).await.unwrap(), None);
}

pub async fn children_are_idempotent_per_key_and_listed_under_their_parent(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let parent = create(&*store, new_job(olga.id, Some("deploy"))).await;
    let a = store.jobs().create(child_of(&parent, "a")).await.unwrap();
    let b = store.jobs().create(child_of(&parent, "b")).await.unwrap();
    let a_again = store.jobs().create(child_of(&parent, "a")).await.unwrap();
    assert!(a.created && b.created && !a_again.created);
    assert_eq!(a_again.job.id, a.job.id);
    assert_eq!(
        (a.job.parent_id, a.job.child_key.as_deref()),
        (Some(parent.id), Some("a"))
    );
    assert_eq!(
        a.job.actor_name, "olga",
        "children act for the parent's actor"
    );
    let other_parent = create(&*store, new_job(olga.id, None)).await;
    assert!(
        store
            .jobs()
            .create(child_of(&other_parent, "a"))
            .await
            .unwrap()
            .created,
        "child keys are per parent"
    );

    let ids = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.jobs().children(parent.id).await.unwrap()),
        [a.job.id, b.job.id]
    );
    let list = |parent| {
        let store = store.clone();
        async move {
            let filter = JobFilter {
                parent,
                ..JobFilter::default()
            };
            ids(store
                .jobs()
                .list(&filter, PageRequest::first(10))
                .await
                .unwrap()
                .items)
        }
    };
    assert_eq!(
        list(ParentFilter::TopLevel).await,
        [other_parent.id, parent.id]
    );
    assert_eq!(
        list(ParentFilter::Of(parent.id)).await,
        [b.job.id, a.job.id]
    );
    assert_eq!(list(ParentFilter::Any).await.len(), 5);
}

pub async fn a_waiting_parent_holds_no_worker_and_its_last_child_requeues_it(
    store: Arc<dyn Store>,
) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let now = Timestamp::now();
    let parent = claimed_parent(&*store, olga.id, "w", now).await;
    let a = create(&*store, child_of(&parent, "a")).await;
    let b = create(&*store, child_of(&parent, "b")).await;

    let parked = park(&*store, &parent, "w", now).await;
    assert_eq!(
        (parked.status, parked.claimed_by, parked.lease_until),
        (JobStatus::Waiting, None, None)
    );
    assert!(matches!(
        store.jobs().wait_for_children(parent.id, "w", now).await,
        Err(StoreError::Stale(_))
    ));
    let expired = later(now, 3600);
    assert_eq!(claim(&*store, "w", expired).await.unwrap().id, a.id);
    assert_eq!(
        claim(&*store, "w", expired).await.unwrap().id,
        b.id,
        "a waiting parent is never claimed, even much later"
    );
    assert_eq!(claim(&*store, "w", expired).await, None);

    finish(&*store, a.id, "w", JobOutcome::Succeeded, now).await;
    assert_eq!(status(&*store, parent.id).await, JobStatus::Waiting);
    let failed = JobOutcome::Failed {
        error: "disk full".into(),
    };
    finish(&*store, b.id, "w", failed, now).await;
    assert_eq!(
        status(&*store, parent.id).await,
        JobStatus::Queued,
        "the last child's end queues the parent, whatever the outcome"
    );
    let resumed = claim(&*store, "w2", now).await.unwrap();
    assert_eq!((resumed.id, resumed.attempts), (parent.id, 2));
    let outcomes: Vec<_> = store
        .jobs()
        .children(parent.id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.status, c.error))
        .collect();
    assert_eq!(
        outcomes,
        [
            (JobStatus::Succeeded, None),
            (JobStatus::Failed, Some("disk full".into()))
        ]
    );
    let again = park(&*store, &parent, "w2", now).await;
    assert_eq!(
        again.status,
        JobStatus::Queued,
        "with every child ended, parking queues it straight away"
    );
}

pub async fn a_parent_parking_while_its_last_child_ends_is_never_stranded(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let now = Timestamp::now();
    for round in 0..20 {
        let parent = claimed_parent(&*store, olga.id, "parent-worker", now).await;
        let child = create(&*store, child_of(&parent, "only")).await;
        assert_eq!(
            claim(&*store, "child-worker", now).await.unwrap().id,
            child.id
        );
        let (parked, finished) = tokio::join!(
            store
                .jobs()
                .wait_for_children(parent.id, "parent-worker", now),
            store
                .jobs()
                .finish(child.id, "child-worker", JobOutcome::Succeeded, now),
        );
        parked.unwrap();
        finished.unwrap();
        assert_eq!(
            status(&*store, parent.id).await,
            JobStatus::Queued,
            "round {round}: the parent must not wait for a child that has ended"
        );
        let parent = claim(&*store, "parent-worker", now).await.unwrap();
        finish(
            &*store,
            parent.id,
            "parent-worker",
            JobOutcome::Succeeded,
            now,
        )
        .await;
    }
}

pub async fn cancelling_a_parent_cancels_its_unfinished_children(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let now = Timestamp::now();
    let parent = claimed_parent(&*store, olga.id, "w", now).await;
    let running = create(&*store, child_of(&parent, "running")).await;
    claim(&*store, "w", now).await.unwrap();
    let done = create(&*store, child_of(&parent, "done")).await;
    claim(&*store, "w", now).await.unwrap();
    finish(&*store, done.id, "w", JobOutcome::Succeeded, now).await;
    let unstarted = create(&*store, child_of(&parent, "later")).await;
    park(&*store, &parent, "w", now).await;

    let at = later(now, 1);
    let reason = "cancelled by olga";
    let cancelled = store
        .jobs()
        .request_cancel(parent.id, reason, at)
        .await
        .unwrap();
    assert_eq!(
        (
            cancelled.status,
            cancelled.cancel_requested_at,
            cancelled.cancel_reason.as_deref()
        ),
        (JobStatus::Waiting, Some(at), Some(reason)),
        "still waiting for its running child"
    );
    let child = |id| store.jobs().get(id);
    let unstarted = child(unstarted.id).await.unwrap();
    assert_eq!(
        (unstarted.status, unstarted.error.as_deref()),
        (JobStatus::Cancelled, Some(reason))
    );
    let running = child(running.id).await.unwrap();
    assert_eq!(
        (running.status, running.cancel_requested_at),
        (JobStatus::Running, Some(at))
    );
    assert_eq!(child(done.id).await.unwrap().cancel_requested_at, None);

    let stopped = JobOutcome::Cancelled {
        reason: Some(reason.into()),
    };
    finish(&*store, running.id, "w", stopped, at).await;
    let woken = claim(&*store, "w", at).await.unwrap();
    assert_eq!(
        (woken.id, woken.cancel_requested_at),
        (parent.id, Some(at)),
        "the parent runs again, to compensate"
    );
}

pub async fn cancelling_a_waiting_parents_last_unstarted_child_wakes_the_parent(
    store: Arc<dyn Store>,
) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let now = Timestamp::now();
    let parent = claimed_parent(&*store, olga.id, "w", now).await;
    let only = create(&*store, child_of(&parent, "only")).await;
    park(&*store, &parent, "w", now).await;
    store
        .jobs()
        .request_cancel(only.id, "cancelled by root", now)
        .await
        .unwrap();
    let parent = store.jobs().get(parent.id).await.unwrap();
    assert_eq!(
        (parent.status, parent.cancel_requested_at),
        (JobStatus::Queued, None),
        "the parent decides what a cancelled child means"
    );
}

/// A tree read in one query: every job below one, down to a depth, oldest first.
pub async fn descendants_are_read_to_a_depth_oldest_first(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let root = create(&*store, new_job(olga.id, None)).await;
    let first = create(&*store, child_of(&root, "a")).await;
    let second = create(&*store, child_of(&root, "b")).await;
    let grandchild = create(&*store, child_of(&first, "a1")).await;
    let great = create(&*store, child_of(&grandchild, "a1x")).await;
    let unrelated = create(&*store, new_job(olga.id, None)).await;
    create(&*store, child_of(&unrelated, "z")).await;
    let ids = |jobs: Vec<Job>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    let below = |id: Uuid, depth: u32| {
        let store = store.clone();
        async move { ids(store.jobs().descendants(id, depth).await.unwrap()) }
    };
    assert_eq!(
        below(root.id, 10).await,
        [first.id, second.id, grandchild.id, great.id]
    );
    assert_eq!(below(root.id, 1).await, [first.id, second.id]);
    assert_eq!(
        below(root.id, 2).await,
        [first.id, second.id, grandchild.id]
    );
    assert_eq!(below(first.id, 10).await, [grandchild.id, great.id]);
    assert!(below(great.id, 10).await.is_empty());
    assert!(below(Uuid::now_v7(), 10).await.is_empty());
    assert!(below(root.id, 0).await.is_empty());
}
