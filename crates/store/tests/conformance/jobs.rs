use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{
    JobActor, JobFilter, JobProgress, JobResource, JobStatus, JobStep, NewJob, PageRequest, Role,
    Store, StoreError, Timestamp,
};
use serde_json::json;
use uuid::Uuid;

use crate::fixtures::user;

pub const LEASE: Duration = Duration::from_secs(30);

pub fn new_job(owner_id: Uuid, key: Option<&str>) -> NewJob {
    NewJob {
        resource_kind: Some("instance".into()),
        params: json!({"name": "brave-otter-07", "cores": 2}),
        idempotency_key: key.map(str::to_owned),
        ..NewJob::new(
            "instance.create",
            JobActor::User(owner_id),
            vec![
                JobStep::pending("reserve"),
                JobStep::pending("create"),
                JobStep::pending("start"),
            ],
        )
    }
}

pub async fn created_jobs_are_queued_with_their_steps(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let created = store.jobs().create(new_job(olga.id, None)).await.unwrap();
    assert!(created.created);
    let job = created.job;
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.actor, JobActor::User(olga.id));
    assert_eq!(
        (job.owner_id, job.actor_name.as_str()),
        (Some(olga.id), "olga")
    );
    assert!(!job.actor_deleted());
    assert_eq!(
        (job.parent_id, job.run_after, job.cancel_requested_at),
        (None, None, None)
    );
    assert_eq!(job.params, json!({"name": "brave-otter-07", "cores": 2}));
    assert_eq!(
        job.steps
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["reserve", "create", "start"]
    );
    assert_eq!((job.current_step, job.progress, job.attempts), (0, 0, 0));
    assert_eq!(
        (job.claimed_by.as_deref(), job.lease_until, job.finished_at),
        (None, None, None)
    );
    assert_eq!(store.jobs().get(job.id).await.unwrap(), job);
    assert!(matches!(
        store.jobs().get(Uuid::now_v7()).await,
        Err(StoreError::NotFound)
    ));
    let orphan = store.jobs().create(new_job(Uuid::now_v7(), None)).await;
    assert!(
        matches!(orphan, Err(StoreError::MissingReference)),
        "{orphan:?}"
    );
}

pub async fn a_repeated_idempotency_key_returns_the_first_job(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let piotr = user(&*store, "piotr", Role::Operator).await;
    let first = store
        .jobs()
        .create(new_job(olga.id, Some("key-1")))
        .await
        .unwrap();
    let repeat = store
        .jobs()
        .create(new_job(olga.id, Some("key-1")))
        .await
        .unwrap();
    assert!(first.created && !repeat.created);
    assert_eq!(repeat.job, first.job);

    let other_owner = store
        .jobs()
        .create(new_job(piotr.id, Some("key-1")))
        .await
        .unwrap();
    assert!(other_owner.created, "keys are per owner");
    let other_key = store
        .jobs()
        .create(new_job(olga.id, Some("key-2")))
        .await
        .unwrap();
    assert!(other_key.created);
    let no_key = [
        store.jobs().create(new_job(olga.id, None)).await.unwrap(),
        store.jobs().create(new_job(olga.id, None)).await.unwrap(),
    ];
    assert!(
        no_key.iter().all(|c| c.created),
        "without a key every request is a new job"
    );
}

pub async fn concurrent_creates_with_one_key_make_one_job(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .jobs()
                    .create(new_job(olga.id, Some("retry-storm")))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let result = task.await.unwrap();
        ids.insert(result.job.id);
        created += usize::from(result.created);
    }
    assert_eq!((ids.len(), created), (1, 1));
}

pub async fn listing_pages_newest_first_per_owner(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let piotr = user(&*store, "piotr", Role::Operator).await;
    let mut olgas = Vec::new();
    for i in 0..7 {
        olgas.push(
            store
                .jobs()
                .create(new_job(olga.id, None))
                .await
                .unwrap()
                .job
                .id,
        );
        if i % 2 == 0 {
            store.jobs().create(new_job(piotr.id, None)).await.unwrap();
        }
    }
    olgas.reverse();
    let filter = JobFilter {
        owner_id: Some(olga.id),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut page = store
        .jobs()
        .list(&filter, PageRequest::first(3))
        .await
        .unwrap();
    loop {
        seen.extend(page.items.iter().map(|j| j.id));
        let Some(next) = page.next.take() else { break };
        store.jobs().create(new_job(olga.id, None)).await.unwrap(); // newer than every page
        page = store
            .jobs()
            .list(&filter, PageRequest::after(next, 3))
            .await
            .unwrap();
    }
    assert_eq!(seen, olgas);

    let all = store
        .jobs()
        .list(&JobFilter::default(), PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 7 + 4 + 2);
    store
        .jobs()
        .claim_next("w", Timestamp::now(), LEASE)
        .await
        .unwrap();
    let running = JobFilter {
        status: Some(JobStatus::Running),
        ..Default::default()
    };
    assert_eq!(
        store
            .jobs()
            .list(&running, PageRequest::first(100))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

/// An instance's jobs: those naming it, including a create job that learnt its
/// instance's id at a checkpoint, newest first and paged.
pub async fn listing_by_resource_finds_only_that_resources_jobs(store: Arc<dyn Store>) {
    let olga = user(&*store, "olga", Role::Operator).await;
    let piotr = user(&*store, "piotr", Role::Operator).await;
    let instance = Uuid::now_v7().to_string();
    let create = store
        .jobs()
        .create(new_job(olga.id, None))
        .await
        .unwrap()
        .job;
    let claimed = store
        .jobs()
        .claim_next("w", Timestamp::now(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, create.id);
    let reserved = JobProgress {
        steps: claimed.steps.clone(),
        current_step: 0,
        progress: 10,
        pve_upid: None,
        resource_id: Some(instance.clone()),
    };
    store
        .jobs()
        .checkpoint(create.id, "w", &reserved, Timestamp::now(), LEASE)
        .await
        .unwrap();
    let about = |owner: Uuid, kind: &str, id: &str| NewJob {
        kind: "instance.stop".into(),
        resource_kind: Some(kind.into()),
        resource_id: Some(id.into()),
        ..new_job(owner, None)
    };
    let stop = store
        .jobs()
        .create(about(piotr.id, "instance", &instance))
        .await
        .unwrap()
        .job;
    let start = store
        .jobs()
        .create(about(olga.id, "instance", &instance))
        .await
        .unwrap()
        .job;
    let other_instance = Uuid::now_v7().to_string();
    store
        .jobs()
        .create(about(olga.id, "instance", &other_instance))
        .await
        .unwrap();
    store
        .jobs()
        .create(about(olga.id, "volume", &instance))
        .await
        .unwrap();
    store.jobs().create(new_job(olga.id, None)).await.unwrap();

    let filter = JobFilter {
        resource: Some(JobResource {
            kind: "instance".into(),
            id: instance.clone(),
        }),
        ..Default::default()
    };
    let first = store
        .jobs()
        .list(&filter, PageRequest::first(2))
        .await
        .unwrap();
    let next = first.next.clone().expect("a second page");
    let second = store
        .jobs()
        .list(&filter, PageRequest::after(next, 2))
        .await
        .unwrap();
    let ids: Vec<Uuid> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, [start.id, stop.id, create.id]);
    assert_eq!(second.next, None);

    let olgas = JobFilter {
        owner_id: Some(olga.id),
        ..filter
    };
    let ids: Vec<Uuid> = store
        .jobs()
        .list(&olgas, PageRequest::first(10))
        .await
        .unwrap()
        .items
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, [start.id, create.id]);
}

pub async fn jobs_are_counted_per_kind_and_status(store: Arc<dyn Store>) {
    use proxicloud_store::JobCount;
    assert_eq!(store.jobs().count_by_kind_and_status().await.unwrap(), []);
    let olga = user(&*store, "olga", Role::Operator).await;
    for _ in 0..3 {
        store.jobs().create(new_job(olga.id, None)).await.unwrap();
    }
    let other = NewJob::new("volume.create", JobActor::User(olga.id), vec![]);
    store.jobs().create(other).await.unwrap();
    let claimed = store
        .jobs()
        .claim_next("w1", Timestamp::now(), LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.kind, "instance.create", "the oldest first");
    let count = |kind: &str, status, count| JobCount {
        kind: kind.into(),
        status,
        count,
    };
    assert_eq!(
        store.jobs().count_by_kind_and_status().await.unwrap(),
        [
            count("instance.create", JobStatus::Queued, 2),
            count("instance.create", JobStatus::Running, 1),
            count("volume.create", JobStatus::Queued, 1),
        ]
    );
}
