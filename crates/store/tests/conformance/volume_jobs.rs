//! One unfinished job per volume (`jobs_volume_active_key`): a second job on a volume
//! whose job has not ended is a conflict, atomically, also under concurrent creates.

use std::sync::Arc;

use proxicloud_store::{
    JobActor, JobOutcome, JobStep, NewJob, Role, Store, StoreError, Timestamp, constraints,
};
use uuid::Uuid;

use crate::fixtures::user;
use crate::jobs::{LEASE, new_job};

fn volume_job(owner: Uuid, volume: Uuid, key: Option<&str>) -> NewJob {
    NewJob {
        resource_kind: Some("volume".into()),
        resource_id: Some(volume.to_string()),
        idempotency_key: key.map(str::to_owned),
        ..NewJob::new(
            "volume.grow",
            JobActor::User(owner),
            vec![JobStep::pending("resize")],
        )
    }
}

fn is_busy(result: &Result<proxicloud_store::CreatedJob, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict { constraint }) if constraint == constraints::JOB_VOLUME_ACTIVE)
}

pub async fn a_volume_has_one_unfinished_job_at_a_time(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let (data, logs) = (Uuid::now_v7(), Uuid::now_v7());
    let first = store
        .jobs()
        .create(volume_job(olga.id, data, Some("grow-1")))
        .await
        .unwrap();
    assert!(first.created);

    let second = store.jobs().create(volume_job(olga.id, data, None)).await;
    assert!(is_busy(&second), "{second:?}");
    // A replayed request is still answered with its job, not refused.
    let replay = store
        .jobs()
        .create(volume_job(olga.id, data, Some("grow-1")))
        .await
        .unwrap();
    assert!(!replay.created && replay.job.id == first.job.id);
    // Another volume, and jobs on other kinds of resources, are not held up.
    assert!(
        store
            .jobs()
            .create(volume_job(olga.id, logs, None))
            .await
            .unwrap()
            .created
    );
    assert!(
        store
            .jobs()
            .create(new_job(olga.id, None))
            .await
            .unwrap()
            .created
    );
    assert!(
        store
            .jobs()
            .create(new_job(olga.id, None))
            .await
            .unwrap()
            .created
    );

    // Running still counts; once it ended, the next job may come.
    let claimed = loop {
        let job = store
            .jobs()
            .claim_next("worker", Timestamp::now(), LEASE)
            .await
            .unwrap()
            .expect("a queued job");
        if job.id == first.job.id {
            break job;
        }
    };
    assert!(is_busy(
        &store.jobs().create(volume_job(olga.id, data, None)).await
    ));
    store
        .jobs()
        .finish(
            claimed.id,
            "worker",
            JobOutcome::Succeeded,
            Timestamp::now(),
        )
        .await
        .unwrap();
    let next = store
        .jobs()
        .create(volume_job(olga.id, data, None))
        .await
        .unwrap();
    assert!(next.created);
    // A cancelled job (nobody started it) frees the volume too.
    store
        .jobs()
        .request_cancel(next.job.id, "changed my mind", Timestamp::now())
        .await
        .unwrap();
    assert!(
        store
            .jobs()
            .create(volume_job(olga.id, data, None))
            .await
            .unwrap()
            .created
    );
}

pub async fn concurrent_jobs_on_one_volume_make_one(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let volume = Uuid::now_v7();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(
                async move { store.jobs().create(volume_job(olga.id, volume, None)).await },
            )
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        let result = task.await.unwrap();
        match &result {
            Ok(job) if job.created => created += 1,
            _ => assert!(is_busy(&result), "{result:?}"),
        }
    }
    assert_eq!(created, 1);
}
