//! A job's sealed parameters ([`SEALED_PARAMS`]) last only as long as they are needed:
//! dropped on request, and whenever the job ends.

use std::sync::Arc;

use proxicloud_store::{JobOutcome, JobStatus, NewJob, Role, SEALED_PARAMS, Store, Timestamp};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::user;
use crate::jobs::{LEASE, new_job};

fn with_secret(owner_id: Uuid) -> NewJob {
    NewJob {
        params: json!({"name": "web", SEALED_PARAMS: {"root_password": "c2VhbGVk"}}),
        ..new_job(owner_id, None)
    }
}

pub async fn sealed_params_are_dropped_on_request_and_when_a_job_ends(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let jobs = store.jobs();
    let now = Timestamp::now();
    let stored = jobs.create(with_secret(olga.id)).await.unwrap().job;
    assert_eq!(stored.params[SEALED_PARAMS]["root_password"], "c2VhbGVk");

    // On request, by the worker holding it; the other parameters stay.
    let claimed = jobs.claim_next("w", now, LEASE).await.unwrap().unwrap();
    assert_eq!(claimed.id, stored.id);
    assert!(jobs.drop_sealed(claimed.id, "other", now).await.is_err());
    let dropped = jobs.drop_sealed(claimed.id, "w", now).await.unwrap();
    assert_eq!(dropped.params, json!({"name": "web"}));
    assert_eq!(jobs.get(claimed.id).await.unwrap().params, dropped.params);
    jobs.finish(claimed.id, "w", JobOutcome::Succeeded, now)
        .await
        .unwrap();

    // When it fails (or succeeds) with them still there.
    let failing = jobs.create(with_secret(olga.id)).await.unwrap().job;
    jobs.claim_next("w", now, LEASE).await.unwrap().unwrap();
    let failed = jobs
        .finish(
            failing.id,
            "w",
            JobOutcome::Failed {
                error: "boom".into(),
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(failed.params, json!({"name": "web"}));

    // When it is cancelled before any worker started it.
    let unstarted = jobs.create(with_secret(olga.id)).await.unwrap().job;
    let cancelled = jobs
        .request_cancel(unstarted.id, "not wanted", now)
        .await
        .unwrap();
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(cancelled.params, json!({"name": "web"}));
    assert_eq!(
        jobs.get(unstarted.id).await.unwrap().params,
        cancelled.params
    );
}
