//! Cancellation: at once when nobody started the job, at the next step boundary with
//! compensation when it runs, down the tree for a parent.

use std::sync::Arc;

use proxicloud_store::{JobStatus, Role, StepStatus};

use super::engine::handlers;
use super::fan_out::{FanOut, fan_out_job, tree_handlers, waiting_child};
use super::support::{
    DONE, fast_config, principal_of, setup, start_engine, submit, user, wait_for_job,
    wait_until_finished,
};
use super::toy::{Toy, held_pve, toy_job};
use crate::error::DomainError;

#[tokio::test]
async fn a_queued_job_is_cancelled_at_once_and_never_runs() {
    let (_store, alice, queue, _dir) = setup().await;
    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    let cancelled = queue.cancel(&principal_of(&alice), id).await.unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(cancelled.error.as_deref(), Some("cancelled by alice"));

    let toy = Arc::new(Toy::default());
    let engine = start_engine(&queue, handlers(&toy), fast_config()).await;
    let again = queue.cancel(&principal_of(&alice), id).await;
    engine.shutdown().await;
    assert!(
        matches!(
            again,
            Err(DomainError::Conflict {
                code: "job_finished",
                ..
            })
        ),
        "{again:?}"
    );
    assert!(toy.steps_run().is_empty());
}

#[tokio::test]
async fn only_the_owner_or_an_admin_may_cancel() {
    let (store, alice, queue, _dir) = setup().await;
    let bob = user(store.as_ref(), "bob", Role::Operator).await;
    let reader = user(store.as_ref(), "reader", Role::Readonly).await;
    let root = user(store.as_ref(), "root", Role::Admin).await;
    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    let bobs = queue.cancel(&principal_of(&bob), id).await;
    assert!(
        matches!(bobs, Err(DomainError::NotFound { resource: "job" })),
        "{bobs:?}"
    );
    let readers = queue.cancel(&principal_of(&reader), id).await;
    assert!(
        matches!(readers, Err(DomainError::Forbidden(_))),
        "{readers:?}"
    );
    let roots = queue.cancel(&principal_of(&root), id).await.unwrap();
    assert_eq!(roots.error.as_deref(), Some("cancelled by root"));
}

#[tokio::test]
async fn a_running_job_stops_at_the_next_step_boundary_and_compensates() {
    let (store, alice, queue, _dir) = setup().await;
    let pve = held_pve();
    let toy = waiting_child(&pve);
    let engine = start_engine(&queue, handlers(&toy), fast_config()).await;
    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    wait_for_job(store.as_ref(), id, DONE, |j| j.pve_upid.is_some()).await;

    let requested = queue.cancel(&principal_of(&alice), id).await.unwrap();
    assert_eq!(requested.status, JobStatus::Running);
    assert!(requested.cancel_requested_at.is_some());
    pve.hold_tasks(false);
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Cancelled);
    assert_eq!(job.error.as_deref(), Some("cancelled by alice"));
    assert_eq!(
        toy.steps_run(),
        ["one", "two"],
        "step two finished its task"
    );
    assert_eq!(job.steps[2].status, StepStatus::Pending);
    assert_eq!(
        *toy.compensated.lock(),
        ["three"],
        "compensation undoes what came before the step that did not run"
    );
}

#[tokio::test]
async fn cancelling_a_parent_cancels_its_children_then_the_parent() {
    let (store, alice, queue, _dir) = setup().await;
    let pve = held_pve();
    let parent = FanOut::new(3);
    let engine = start_engine(
        &queue,
        tree_handlers(&parent, &waiting_child(&pve)),
        fast_config(),
    )
    .await;
    let id = submit(&queue, fan_out_job(alice.id)).await;
    wait_for_job(store.as_ref(), id, DONE, |j| j.status == JobStatus::Waiting).await;

    let root = user(store.as_ref(), "root", Role::Admin).await;
    let requested = queue.cancel(&principal_of(&root), id).await.unwrap();
    assert_eq!(
        requested.status,
        JobStatus::Waiting,
        "its children are still running"
    );
    pve.hold_tasks(false);
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Cancelled, "{job:#?}");
    assert_eq!(job.error.as_deref(), Some("cancelled by root"));
    assert_eq!(*parent.compensated.lock(), ["fan_out"]);
    assert!(
        parent.outcomes.lock().is_empty(),
        "cancelled before judging its children"
    );
    let children = store.jobs().children(id).await.unwrap();
    assert_eq!(children.len(), 3);
    for child in children {
        assert_eq!(child.status, JobStatus::Cancelled, "{child:#?}");
        assert_eq!(child.error.as_deref(), Some("cancelled by root"));
    }
}
