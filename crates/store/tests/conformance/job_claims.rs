use std::collections::HashSet;
use std::sync::Arc;

use proxicloud_store::{
    JobOutcome, JobProgress, JobStatus, JobStep, Role, StepStatus, Store, StoreError, Timestamp,
};
use uuid::Uuid;

use crate::fixtures::{later, user};
use crate::jobs::{LEASE, new_job};

pub async fn workers_claim_the_oldest_job_first_under_a_lease(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let first = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    let second = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    let now = Timestamp::now();

    let claimed = store
        .jobs()
        .claim_next("worker-a", now, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, first.id);
    assert_eq!(claimed.status, JobStatus::Running);
    assert_eq!(claimed.claimed_by.as_deref(), Some("worker-a"));
    assert_eq!(claimed.lease_until, Some(now + LEASE));
    assert_eq!(claimed.attempts, 1);
    assert_eq!(
        store
            .jobs()
            .claim_next("worker-b", now, LEASE)
            .await
            .unwrap()
            .unwrap()
            .id,
        second.id
    );
    assert_eq!(
        store
            .jobs()
            .claim_next("worker-c", now, LEASE)
            .await
            .unwrap(),
        None,
        "a live lease is respected"
    );
}

pub async fn concurrent_workers_never_claim_the_same_job(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let mut queued = HashSet::new();
    for _ in 0..30 {
        queued.insert(
            store
                .jobs()
                .create(new_job(olga.id, None))
                .await
                .unwrap()
                .job
                .id,
        );
    }
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store
                    .jobs()
                    .claim_next(&format!("worker-{w}"), Timestamp::now(), LEASE)
                    .await
                    .unwrap()
                {
                    assert_eq!(job.claimed_by, Some(format!("worker-{w}")));
                    mine.push(job.id);
                    tokio::task::yield_now().await;
                }
                mine
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for worker in workers {
        claimed.extend(worker.await.unwrap());
    }
    assert_eq!(claimed.len(), 30, "every job claimed exactly once");
    assert_eq!(claimed.into_iter().collect::<HashSet<_>>(), queued);
}

pub async fn an_expired_lease_is_reclaimed_by_another_worker(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let job = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    let t0 = Timestamp::now();
    store
        .jobs()
        .claim_next("crashed", t0, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .jobs()
            .claim_next("rescuer", later(t0, 29), LEASE)
            .await
            .unwrap(),
        None
    );

    let t1 = later(t0, 31);
    let rescued = store
        .jobs()
        .claim_next("rescuer", t1, LEASE)
        .await
        .unwrap()
        .expect("expired lease reclaimed");
    assert_eq!(rescued.id, job.id);
    assert_eq!(rescued.claimed_by.as_deref(), Some("rescuer"));
    assert_eq!(rescued.attempts, 2);
    assert_eq!(rescued.lease_until, Some(t1 + LEASE));

    // The first worker comes back to life: all its writes are refused.
    let progress = JobProgress {
        steps: rescued.steps.clone(),
        current_step: 1,
        progress: 50,
        pve_upid: None,
        resource_id: None,
    };
    let late = store
        .jobs()
        .checkpoint(job.id, "crashed", &progress, t1, LEASE)
        .await;
    assert!(matches!(late, Err(StoreError::Stale(_))), "{late:?}");
    let late = store
        .jobs()
        .finish(job.id, "crashed", JobOutcome::Succeeded, t1)
        .await;
    assert!(matches!(late, Err(StoreError::Stale(_))), "{late:?}");
    assert_eq!(store.jobs().get(job.id).await.unwrap(), rescued);
}

pub async fn checkpoints_record_progress_and_extend_the_lease(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    store.jobs().create(new_job(olga.id, None)).await.unwrap();
    let t0 = Timestamp::now();
    let job = store
        .jobs()
        .claim_next("w", t0, LEASE)
        .await
        .unwrap()
        .unwrap();

    let mut steps = job.steps.clone();
    steps[0] = JobStep {
        status: StepStatus::Succeeded,
        started_at: Some(t0),
        finished_at: Some(later(t0, 1)),
        ..steps[0].clone()
    };
    steps[1] = JobStep {
        status: StepStatus::Running,
        started_at: Some(later(t0, 1)),
        detail: Some("cloning".into()),
        ..steps[1].clone()
    };
    let upid = "UPID:pve1:0000ABCD:00112233:65A1B2C3:vzcreate:150:root@pam:";
    let progress = JobProgress {
        steps: steps.clone(),
        current_step: 1,
        progress: 40,
        pve_upid: Some(upid.into()),
        resource_id: Some("guest-150".into()),
    };
    let t1 = later(t0, 20);
    let saved = store
        .jobs()
        .checkpoint(job.id, "w", &progress, t1, LEASE)
        .await
        .unwrap();
    assert_eq!(saved.steps, steps);
    assert_eq!((saved.current_step, saved.progress), (1, 40));
    assert_eq!(saved.pve_upid.as_deref(), Some(upid));
    assert_eq!(saved.resource_id.as_deref(), Some("guest-150"));
    assert_eq!(saved.lease_until, Some(t1 + LEASE));
    assert_eq!(saved.updated_at, t1);

    // The extended lease protects the job past its first deadline.
    assert_eq!(
        store
            .jobs()
            .claim_next("other", later(t0, 40), LEASE)
            .await
            .unwrap(),
        None
    );
    let kept = store
        .jobs()
        .checkpoint(
            job.id,
            "w",
            &JobProgress {
                pve_upid: None,
                resource_id: None,
                progress: 250,
                ..progress
            },
            t1,
            LEASE,
        )
        .await
        .unwrap();
    assert_eq!(
        kept.pve_upid.as_deref(),
        Some(upid),
        "no new UPID keeps the old one"
    );
    assert_eq!(
        kept.resource_id.as_deref(),
        Some("guest-150"),
        "no new resource id keeps the old one"
    );
    assert_eq!(kept.progress, 100, "progress is clamped");
    assert_eq!(store.jobs().get(job.id).await.unwrap(), kept);
}

pub async fn finishing_releasing_and_cancelling_follow_the_job_state(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let now = Timestamp::now();
    let ok = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    let bad = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    let back = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    let waiting = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    for _ in 0..3 {
        store
            .jobs()
            .claim_next("w", now, LEASE)
            .await
            .unwrap()
            .unwrap();
    }

    let done = store
        .jobs()
        .finish(ok.id, "w", JobOutcome::Succeeded, later(now, 5))
        .await
        .unwrap();
    assert_eq!(
        (done.status, done.progress, done.error.as_deref()),
        (JobStatus::Succeeded, 100, None)
    );
    assert_eq!(
        (done.finished_at, done.lease_until),
        (Some(later(now, 5)), None)
    );
    assert!(done.status.is_terminal());
    let again = store
        .jobs()
        .finish(ok.id, "w", JobOutcome::Succeeded, now)
        .await;
    assert!(
        matches!(again, Err(StoreError::Stale(_))),
        "a finished job stays finished: {again:?}"
    );

    let error = "command 'lxc-start -n 150' failed: exit code 1";
    let failed = store
        .jobs()
        .finish(
            bad.id,
            "w",
            JobOutcome::Failed {
                error: error.into(),
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (JobStatus::Failed, Some(error))
    );

    let released = store.jobs().release(back.id, "w", now).await.unwrap();
    assert_eq!(
        (released.status, released.claimed_by, released.lease_until),
        (JobStatus::Queued, None, None)
    );
    let reclaimed = store
        .jobs()
        .claim_next("w2", now, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        reclaimed.id, back.id,
        "a released job is the oldest claimable again"
    );
    assert_eq!(reclaimed.attempts, 2);

    let cancelled = store
        .jobs()
        .request_cancel(waiting.id, "cancelled by olga", now)
        .await
        .unwrap();
    assert_eq!(
        (cancelled.status, cancelled.finished_at),
        (JobStatus::Cancelled, Some(now)),
        "a job nobody started ends at once"
    );
    assert_eq!(cancelled.error.as_deref(), Some("cancelled by olga"));
    let running = store
        .jobs()
        .request_cancel(back.id, "cancelled by olga", now)
        .await
        .unwrap();
    assert_eq!(
        (running.status, running.cancel_requested_at),
        (JobStatus::Running, Some(now)),
        "a running job is asked to stop"
    );
    let finished = store.jobs().request_cancel(ok.id, "too late", now).await;
    assert!(
        matches!(finished, Err(StoreError::Stale(_))),
        "{finished:?}"
    );
    assert!(matches!(
        store.jobs().request_cancel(Uuid::now_v7(), "?", now).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.jobs().claim_next("w3", now, LEASE).await.unwrap(),
        None,
        "terminal jobs are never claimed"
    );
}
