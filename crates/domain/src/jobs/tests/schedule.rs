//! `run_after`: a job does not start before its time, and an idle worker wakes for it
//! on time rather than at its next poll.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{JobStatus, NewJob};

use super::engine::handlers;
use super::support::{fast_config, setup, start_engine, submit, wait_until_finished};
use super::toy::{Toy, toy_job};
use crate::jobs::{Clock, EngineConfig};

#[tokio::test]
async fn an_idle_worker_wakes_when_the_earliest_run_after_is_due_not_at_its_poll() {
    let (store, alice, queue, _dir) = setup().await;
    // A poll this long would time the test out: only the run_after wake-up can run it.
    let config = EngineConfig {
        idle_poll: Duration::from_secs(3600),
        ..fast_config()
    };
    let clock = config.clock.clone();
    let toy = Arc::new(Toy::default());
    let engine = start_engine(&queue, handlers(&toy), config).await;
    let due = clock.now() + Duration::from_millis(300);
    let id = submit(
        &queue,
        NewJob {
            run_after: Some(due),
            ..toy_job(alice.id, None, None)
        },
    )
    .await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded);
    let started = job.steps[0].started_at.unwrap();
    assert!(started >= due, "started {started}, due {due}");
}

#[tokio::test]
async fn a_job_is_due_by_the_engines_clock() {
    let (store, alice, queue, _dir) = setup().await;
    let in_an_hour = Clock::system().now() + Duration::from_secs(3600);
    let id = submit(
        &queue,
        NewJob {
            run_after: Some(in_an_hour),
            ..toy_job(alice.id, None, None)
        },
    )
    .await;
    let later = EngineConfig {
        clock: Clock::ahead_by(Duration::from_secs(7200)),
        ..fast_config()
    };
    let engine = start_engine(&queue, handlers(&Arc::new(Toy::default())), later).await;
    let job = wait_until_finished(store.as_ref(), id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded);
}
