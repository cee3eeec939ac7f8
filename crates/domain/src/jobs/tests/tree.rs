//! Parent and child jobs: parents wait without a worker, read their children's
//! outcomes, and survive a crash at every point with each child made once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use proxicloud_store::{Backend, Job, JobStatus, Role, Store, Uuid};

use super::fan_out::{FanOut, fan_out_job, tree_handlers};
use super::support::{
    CrashingStore, fast_config, principal_of, setup, sqlite_store, start_engine, submit, user,
    wait_until_finished,
};
use super::toy::Toy;
use crate::events::EventBus;
use crate::jobs::{EngineConfig, JobQueue, JobService};

async fn children(store: &dyn Store, parent: Uuid) -> Vec<Job> {
    store.jobs().children(parent).await.unwrap()
}

/// Every child exists once per key and ended as `status`.
async fn assert_children(store: &dyn Store, parent: Uuid, count: usize, status: JobStatus) {
    let children = children(store, parent).await;
    let keys: HashSet<_> = children.iter().map(|c| c.child_key.clone()).collect();
    assert_eq!(
        (children.len(), keys.len()),
        (count, count),
        "{children:#?}"
    );
    assert!(children.iter().all(|c| c.status == status), "{children:#?}");
}

#[tokio::test]
async fn parents_waiting_for_children_hold_no_worker_so_two_workers_run_two_trees() {
    let (store, alice, queue, _dir) = setup().await;
    let parent = FanOut::new(5);
    // Two workers, two parents: if a waiting parent kept its worker, no child would run.
    let config = EngineConfig {
        workers: 2,
        ..fast_config()
    };
    let engine = start_engine(
        &queue,
        tree_handlers(&parent, &Arc::new(Toy::default())),
        config,
    )
    .await;
    let first = submit(&queue, fan_out_job(alice.id)).await;
    let second = submit(&queue, fan_out_job(alice.id)).await;
    let jobs = [
        wait_until_finished(store.as_ref(), first).await,
        wait_until_finished(store.as_ref(), second).await,
    ];
    engine.shutdown().await;

    for job in &jobs {
        assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
        assert_children(store.as_ref(), job.id, 5, JobStatus::Succeeded).await;
    }
    let children = children(store.as_ref(), first).await;
    assert!(
        children
            .iter()
            .all(|c| c.actor_name == "alice" && c.owner_id == Some(alice.id))
    );
    let seen = parent.outcomes.lock().clone();
    assert_eq!(
        seen.len(),
        2,
        "each parent read its children's outcomes once"
    );
    assert!(
        seen.iter()
            .all(|s| s.len() == 5 && s.iter().all(|(_, st)| *st == JobStatus::Succeeded))
    );

    let tree = JobService::new(store.clone())
        .get(&principal_of(&alice), first)
        .await
        .unwrap();
    assert_eq!(tree.children.len(), 5);
    assert!(
        tree.children
            .iter()
            .all(|c| c.parent_id == Some(first) && c.progress == 100)
    );
}

#[tokio::test]
async fn the_parent_decides_what_a_failed_child_means() {
    let (store, alice, queue, _dir) = setup().await;
    let parent = Arc::new(FanOut {
        children: 3,
        failing_child: Some("c1".into()),
        ..FanOut::default()
    });
    let engine = start_engine(
        &queue,
        tree_handlers(&parent, &Arc::new(Toy::default())),
        fast_config(),
    )
    .await;
    let id = submit(&queue, fan_out_job(alice.id)).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.error.as_deref(),
        Some("1 of 3 children did not succeed")
    );
    assert_eq!(*parent.compensated.lock(), ["fan_out"]);
    let seen = parent.outcomes.lock()[0].clone();
    assert_eq!(
        seen,
        [
            ("c0".to_owned(), JobStatus::Succeeded),
            ("c1".to_owned(), JobStatus::Failed),
            ("c2".to_owned(), JobStatus::Succeeded),
        ]
    );
}

#[tokio::test]
async fn killed_between_spawning_and_waiting_the_parent_resumes_and_finds_its_children() {
    let (store, alice, queue, _dir) = setup().await;
    let dying = FanOut::new(4);
    dying.hang_after_spawn.store(true, Ordering::SeqCst);
    // One worker, stuck in the parent: no child runs before the "crash".
    let one = EngineConfig {
        workers: 1,
        ..fast_config()
    };
    let first = start_engine(
        &queue,
        tree_handlers(&dying, &Arc::new(Toy::default())),
        one,
    )
    .await;
    let id = submit(&queue, fan_out_job(alice.id)).await;
    dying.spawned.notified().await;
    first.abort();
    assert_children(store.as_ref(), id, 4, JobStatus::Queued).await;

    let parent = FanOut::new(4);
    let child = Arc::new(Toy::default());
    let engine = start_engine(&queue, tree_handlers(&parent, &child), fast_config()).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    assert_children(store.as_ref(), id, 4, JobStatus::Succeeded).await;
    assert_eq!(child.steps_run().len(), 4 * 3, "each child ran once");
}

#[tokio::test]
async fn killed_while_children_run_everything_resumes_and_each_child_exists_once() {
    let (store, _dir) = sqlite_store().await;
    let alice = user(store.as_ref(), "alice", Role::Operator).await;
    // The 8th job checkpoint never returns: the parent has parked (2 checkpoints) and
    // its children are midway through their 3 steps (2 checkpoints each).
    let (crashing, crashed) = CrashingStore::new(store.clone(), Backend::Sqlite, 8);
    let dying = JobQueue::new(crashing.clone(), Arc::new(EventBus::new()));
    let first = start_engine(
        &dying,
        tree_handlers(&FanOut::new(6), &Arc::new(Toy::default())),
        fast_config(),
    )
    .await;
    let id = submit(&dying, fan_out_job(alice.id)).await;
    crashed.notified().await;
    first.abort();
    let unfinished = children(store.as_ref(), id)
        .await
        .iter()
        .filter(|c| !c.status.is_terminal())
        .count();
    assert!(unfinished > 0, "the crash came while children ran");
    assert!(!store.jobs().get(id).await.unwrap().status.is_terminal());

    let queue = JobQueue::new(store.clone(), Arc::new(EventBus::new()));
    let parent = FanOut::new(6);
    let engine = start_engine(
        &queue,
        tree_handlers(&parent, &Arc::new(Toy::default())),
        fast_config(),
    )
    .await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    assert_children(store.as_ref(), id, 6, JobStatus::Succeeded).await;
}
