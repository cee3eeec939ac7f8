//! Crashes, lost leases, shutdown and Proxmox task outcomes.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_pve::fake::{FakePve, TaskEnd};
use proxicloud_store::{Backend, JobStatus, Role, StepStatus, Store};

use super::engine::handlers;
use super::support::{
    CrashingStore, DONE, fast_config, setup, sqlite_store, start_engine, submit, user,
    wait_for_job, wait_until_finished,
};
use super::toy::{Toy, held_pve, toy_job};
use crate::events::EventBus;
use crate::jobs::{Clock, EngineConfig, JobQueue};

fn waiting_toy(pve: &Arc<FakePve>) -> Arc<Toy> {
    Arc::new(Toy {
        pve: Some(pve.clone()),
        ..Toy::default()
    })
}

#[tokio::test]
async fn shutdown_hands_a_waiting_job_back_and_the_next_engine_waits_for_the_same_task() {
    let (store, alice, queue, _dir) = setup().await;
    let pve = held_pve();
    let engine = start_engine(&queue, handlers(&waiting_toy(&pve)), fast_config()).await;

    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    wait_for_job(store.as_ref(), id, DONE, |j| j.pve_upid.is_some()).await;
    engine.shutdown().await;

    let released = store.jobs().get(id).await.unwrap();
    assert_eq!(
        released.status,
        JobStatus::Queued,
        "handed back, not failed"
    );
    assert_eq!(released.claimed_by, None);
    let upid = pve.task_upids()[0].to_string();
    assert_eq!(released.pve_upid, Some(upid), "the task Proxmox started");
    assert_eq!(released.steps[1].status, StepStatus::Running);

    let toy = waiting_toy(&pve);
    let engine = start_engine(&queue, handlers(&toy), fast_config()).await;
    wait_for_job(store.as_ref(), id, DONE, |j| j.attempts == 2).await;
    pve.hold_tasks(false);
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(
        pve.calls("power"),
        1,
        "the task was waited for, not started again"
    );
    assert!(toy.calls.lock()[0].resumed, "step two knew it was resumed");
}

#[tokio::test]
async fn a_failed_proxmox_task_fails_the_job_with_pves_exit_status_and_log() {
    let (store, alice, queue, _dir) = setup().await;
    let pve = held_pve();
    let toy = waiting_toy(&pve);
    let engine = start_engine(&queue, handlers(&toy), fast_config()).await;

    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    wait_for_job(store.as_ref(), id, DONE, |j| j.pve_upid.is_some()).await;
    pve.script_task_ends([TaskEnd::exit("startup for container '100' failed")]);
    pve.hold_tasks(false);
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(
        job.error.as_deref(),
        Some(
            "startup for container '100' failed\nstarting vzstart 100\nTASK ERROR: startup for container '100' failed"
        )
    );
    assert_eq!(*toy.compensated.lock(), ["two"]);
}

#[tokio::test]
async fn sqlite_start_up_resumes_the_jobs_of_a_dead_process_at_once() {
    let (store, _dir) = sqlite_store().await;
    let alice = user(store.as_ref(), "alice", Role::Operator).await;
    // The dead process held a lease of an hour: only start-up recovery can resume it soon.
    let long_lease = EngineConfig {
        lease: Duration::from_secs(3600),
        ..fast_config()
    };
    let (crashing, crashed) = CrashingStore::new(store.clone(), Backend::Sqlite, 3);
    let dying = JobQueue::new(crashing.clone(), Arc::new(EventBus::new()));
    let first = start_engine(
        &dying,
        handlers(&Arc::new(Toy::default())),
        long_lease.clone(),
    )
    .await;
    let id = submit(&dying, toy_job(alice.id, None, None)).await;
    crashed.notified().await;
    first.abort();

    let before = store.jobs().get(id).await.unwrap();
    assert_eq!(
        before.status,
        JobStatus::Running,
        "left running by the dead process"
    );

    let queue = JobQueue::new(store.clone(), Arc::new(EventBus::new()));
    let toy = Arc::new(Toy::default());
    let engine = start_engine(&queue, handlers(&toy), long_lease).await;
    let job = wait_for_job(store.as_ref(), id, Duration::from_secs(5), |j| {
        j.status.is_terminal()
    })
    .await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.attempts, 2);
    assert!(
        job.claimed_by
            .as_deref()
            .unwrap()
            .starts_with(engine_boot_prefix(&job))
    );
    // Checkpoint 3 was the start of step two: one is done, two and three remain.
    assert_eq!(toy.steps_run(), ["two", "three"]);
}

fn engine_boot_prefix(job: &proxicloud_store::Job) -> &str {
    job.claimed_by
        .as_deref()
        .and_then(|w| w.split('/').next())
        .unwrap()
}

#[tokio::test]
async fn with_several_processes_a_dead_workers_job_waits_for_its_lease() {
    let (store, _dir) = sqlite_store().await;
    let alice = user(store.as_ref(), "alice", Role::Operator).await;
    let config = EngineConfig {
        lease: Duration::from_secs(1),
        ..fast_config()
    };
    let (crashing, crashed) = CrashingStore::new(store.clone(), Backend::Postgres, 3);
    let dying = JobQueue::new(crashing.clone(), Arc::new(EventBus::new()));
    let first = start_engine(&dying, handlers(&Arc::new(Toy::default())), config.clone()).await;
    let id = submit(&dying, toy_job(alice.id, None, None)).await;
    crashed.notified().await;
    first.abort();
    let dead_worker = store.jobs().get(id).await.unwrap().claimed_by;

    let (replica, _) = CrashingStore::new(store.clone(), Backend::Postgres, usize::MAX);
    let queue = JobQueue::new(replica, Arc::new(EventBus::new()));
    let engine = start_engine(&queue, handlers(&Arc::new(Toy::default())), config).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let early = store.jobs().get(id).await.unwrap();
    assert_eq!(
        early.claimed_by, dead_worker,
        "another replica may still be alive: wait for the lease"
    );

    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_ne!(job.claimed_by, dead_worker);
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_stops_and_leaves_the_job_to_its_new_worker() {
    let (store, _dir) = sqlite_store().await;
    let alice = user(store.as_ref(), "alice", Role::Operator).await;
    let (replicas, _) = CrashingStore::new(store.clone(), Backend::Postgres, usize::MAX);
    let replicas: Arc<dyn Store> = replicas;
    let slow = Arc::new(Toy::default());
    *slow.stall.lock() = Some(Duration::from_millis(600));
    let config = EngineConfig {
        lease: Duration::from_millis(200),
        ..fast_config()
    };
    let queue = JobQueue::new(replicas.clone(), Arc::new(EventBus::new()));
    let first = start_engine(&queue, handlers(&slow), config.clone()).await;
    let id = submit(&queue, toy_job(alice.id, None, None)).await;
    wait_for_job(store.as_ref(), id, DONE, |j| {
        j.steps[1].status == StepStatus::Running
    })
    .await;

    // A second replica whose clock says the first one's lease is long gone.
    let later = EngineConfig {
        clock: Clock::ahead_by(Duration::from_secs(60)),
        ..config
    };
    let fast = Arc::new(Toy::default());
    let second = start_engine(&queue, handlers(&fast), later).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    first.shutdown().await;
    second.shutdown().await;

    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(
        slow.steps_run(),
        ["one", "two"],
        "the first worker stopped at its stale checkpoint"
    );
    assert_eq!(fast.steps_run(), ["two", "three"]);
    assert_eq!(
        store.jobs().get(id).await.unwrap().status,
        JobStatus::Succeeded,
        "untouched afterwards"
    );
}
