//! The engine's contract, with the toy job kind: order, checkpoints, events,
//! failures, retries, idempotency and read access.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use proxicloud_store::{JobStatus, PageRequest, Role, StepStatus, Store};

use super::support::{
    DONE, fast_config, principal_of, setup, sqlite_store, start_engine, submit, user, wait_for_job,
    wait_until_finished,
};
use super::toy::{STEPS, TOY, Toy, toy_job};
use crate::error::DomainError;
use crate::events::EventBus;
use crate::jobs::{JobHandlers, JobListQuery, JobQueue, JobService};

pub(super) fn handlers(toy: &Arc<Toy>) -> JobHandlers {
    let mut handlers = JobHandlers::new();
    handlers.register(TOY, toy.clone());
    handlers
}

#[tokio::test]
async fn steps_run_in_order_and_every_checkpoint_is_published_to_the_owner() {
    let (store, _dir) = sqlite_store().await;
    let alice = user(store.as_ref(), "alice", Role::Operator).await;
    let events = Arc::new(EventBus::new());
    let (_, mut feed) = events.subscribe(None);
    let queue = JobQueue::new(store.clone(), events.clone());
    let toy = Arc::new(Toy::default());
    let engine = start_engine(&queue, handlers(&toy), fast_config()).await;

    let submitted = queue.submit(toy_job(alice.id, None, None)).await.unwrap();
    assert_eq!(submitted.job.status, JobStatus::Queued);
    let job = wait_for_job(store.as_ref(), submitted.job.id, DONE, |j| {
        j.status.is_terminal()
    })
    .await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.progress, 100);
    assert!(
        job.steps
            .iter()
            .all(|s| s.status == StepStatus::Succeeded && s.finished_at.is_some())
    );
    assert_eq!(toy.steps_run(), STEPS);

    let mut progress = Vec::new();
    while let Ok(event) = feed.try_recv() {
        assert_eq!(event.kind, "job.updated");
        assert!(event.visible_to(&alice.id.to_string(), false));
        assert!(!event.visible_to(&proxicloud_store::Uuid::now_v7().to_string(), false));
        progress.push(event.data["progress"].as_u64().unwrap());
    }
    // queued, claimed, then a start and an end checkpoint per step, then finished.
    assert_eq!(progress.len(), 2 + 2 * STEPS.len() + 1, "{progress:?}");
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back: {progress:?}"
    );
    assert_eq!(progress.last(), Some(&100));
}

#[tokio::test]
async fn a_failed_step_fails_the_job_with_its_text_and_is_compensated() {
    let (store, alice, queue, _dir) = setup().await;
    let toy = Arc::new(Toy::default());
    let engine = start_engine(&queue, handlers(&toy), fast_config()).await;

    let id = submit(&queue, toy_job(alice.id, Some("two"), None)).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.error.as_deref(), Some("two broke"));
    let statuses: Vec<StepStatus> = job.steps.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            StepStatus::Succeeded,
            StepStatus::Failed,
            StepStatus::Pending
        ]
    );
    assert_eq!(job.steps[1].detail.as_deref(), Some("two broke"));
    assert_eq!(*toy.compensated.lock(), ["two"]);
    assert_eq!(toy.steps_run(), ["one", "two"]);
}

#[tokio::test]
async fn transient_failures_retry_the_same_step_then_give_up() {
    let (store, alice, queue, _dir) = setup().await;
    let toy = Arc::new(Toy::default());
    toy.transient_failures.store(2, Ordering::SeqCst);
    let engine = start_engine(&queue, handlers(&toy), fast_config()).await;

    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(toy.steps_run(), ["one", "two", "two", "two", "three"]);
    let retried: Vec<bool> = toy.calls.lock().iter().map(|c| c.resumed).collect();
    assert_eq!(
        retried,
        [false, false, true, true, false],
        "retries know an attempt came before"
    );

    // More failures than retries: the job fails saying what could not be reached; the
    // error's internals (node address, OS error) stay in the server log.
    toy.transient_failures.store(10, Ordering::SeqCst);
    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.error.as_deref(),
        Some("could not reach Proxmox VE (4 tries); the server log has each error")
    );
    let shown = serde_json::to_string(&job.steps).unwrap();
    assert!(
        !shown.contains("10.0.0.2") && !shown.contains("os error"),
        "{shown}"
    );
}

#[tokio::test]
async fn unknown_job_kinds_fail_instead_of_blocking_the_queue() {
    let (store, alice, queue, _dir) = setup().await;
    let engine = start_engine(&queue, JobHandlers::new(), fast_config()).await;
    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.error.as_deref(), Some("no handler for job kind 'toy'"));
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_job() {
    let (store, alice, queue, _dir) = setup().await;
    let bob = user(store.as_ref(), "bob", Role::Operator).await;

    let first = queue
        .submit(toy_job(alice.id, None, Some("k-1")))
        .await
        .unwrap();
    let again = queue
        .submit(toy_job(alice.id, None, Some("k-1")))
        .await
        .unwrap();
    assert!(first.created && !again.created);
    assert_eq!(first.job.id, again.job.id);
    let bobs = queue
        .submit(toy_job(bob.id, None, Some("k-1")))
        .await
        .unwrap();
    assert!(bobs.created, "keys are per owner");
    assert_ne!(bobs.job.id, first.job.id);

    let bad = queue
        .submit(toy_job(alice.id, None, Some("has space")))
        .await;
    assert!(
        matches!(bad, Err(DomainError::Validation(fields)) if fields.contains_key("Idempotency-Key"))
    );
}

#[tokio::test]
async fn operators_read_their_own_jobs_admins_read_all() {
    let (store, alice, queue, _dir) = setup().await;
    let bob = user(store.as_ref(), "bob", Role::Operator).await;
    let root = user(store.as_ref(), "root", Role::Admin).await;
    let service = JobService::new(store.clone() as Arc<dyn Store>);
    let alices = queue
        .submit(toy_job(alice.id, None, None))
        .await
        .unwrap()
        .job;
    queue.submit(toy_job(bob.id, None, None)).await.unwrap();

    let (alice, bob, root) = (
        principal_of(&alice),
        principal_of(&bob),
        principal_of(&root),
    );
    assert_eq!(service.get(&alice, alices.id).await.unwrap().id, alices.id);
    assert!(matches!(
        service.get(&bob, alices.id).await,
        Err(DomainError::NotFound { resource: "job" })
    ));
    assert_eq!(
        service.get(&root, alices.id).await.unwrap().actor.id,
        Some(alice.user_id)
    );

    let everything = JobListQuery::default();
    let own = service
        .list(&alice, &everything, PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(own.items.len(), 1);
    let all = service
        .list(&root, &everything, PageRequest::first(50))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    let queued = JobListQuery {
        status: Some(JobStatus::Queued),
        ..JobListQuery::default()
    };
    assert_eq!(
        service
            .list(&root, &queued, PageRequest::first(50))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    let done = JobListQuery {
        status: Some(JobStatus::Succeeded),
        ..JobListQuery::default()
    };
    assert!(
        service
            .list(&root, &done, PageRequest::first(50))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
