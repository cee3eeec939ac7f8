//! `instance.create` against the fake Proxmox: the happy path, crashes at every
//! checkpoint, failing tasks and vmid collisions.

use std::time::Duration;

use proxicloud_pve::fake::TASK_TIME;
use proxicloud_store::{JobStatus, StepStatus, Uuid};
use secrecy::SecretString;

use super::world::{World, lxc};
use crate::instances::{CreateInstance, job_marker};

/// The guest on the fake Proxmox that carries the job's marker, and how many do.
pub(super) fn marked_guests(world: &World, job: Uuid) -> usize {
    let marker = job_marker(job);
    world
        .pve
        .guests()
        .values()
        .filter(|g| {
            g.config
                .get("description")
                .is_some_and(|d| d.contains(&marker))
        })
        .count()
}

#[tokio::test]
async fn a_container_is_reserved_created_started_and_owned() {
    let world = World::new().await;
    let engine = world.engine().await;
    let submitted = world
        .service
        .create(&world.alice, &lxc(Some("web")), None)
        .await
        .unwrap();
    assert_eq!(submitted.job.kind, "instance.create");
    let job = world.finished(submitted.job.id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let steps: Vec<(&str, StepStatus)> = job
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.status))
        .collect();
    assert_eq!(
        steps,
        [
            ("reserve", StepStatus::Succeeded),
            ("create", StepStatus::Succeeded),
            ("await_create", StepStatus::Succeeded),
            ("start", StepStatus::Succeeded),
            ("finalize", StepStatus::Succeeded),
        ]
    );
    let rows = world.guest_rows().await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row.observed.name.as_str(), row.owner_id, row.managed),
        ("web", Some(world.alice.user_id), true)
    );
    assert_eq!(row.created_by_job, Some(job.id));
    assert_eq!(
        row.observed.node, "pve2",
        "placed on the node with the most free memory"
    );
    let guests = world.pve.guests();
    let created = &guests[&row.observed.vmid.get()];
    assert!(created.running && created.config["description"].contains(&job_marker(job.id)));
    assert_eq!(created.config["hostname"], "web");
    assert_eq!(
        (world.pve.calls("create_lxc"), world.pve.calls("power")),
        (1, 1)
    );
    assert!(
        job.steps[4]
            .detail
            .as_deref()
            .unwrap()
            .contains(&row.id.to_string()),
        "finalize names the instance"
    );
}

/// Runs a create job on a store that "dies" at checkpoint `crash_at`, then — `settle`
/// later — lets a second process (whose clock is past the dead one's lease) finish it.
async fn crash_then_resume(
    crash_at: usize,
    settle: Duration,
) -> Option<(World, proxicloud_store::Job)> {
    crash_then_resume_launch(crash_at, settle, &lxc(Some("web")))
        .await
        .map(|(world, job, _)| (world, job))
}

/// [`crash_then_resume`] of `request`, also giving the launch's generated password.
pub(super) async fn crash_then_resume_launch(
    crash_at: usize,
    settle: Duration,
    request: &CreateInstance,
) -> Option<(World, proxicloud_store::Job, Option<SecretString>)> {
    let world = World::new().await;
    let launched = world
        .service
        .launch(&world.alice, request, None)
        .await
        .unwrap();
    let id = launched.submitted.job.id;
    world.run_until_crash(id, crash_at).await?;
    tokio::time::sleep(settle).await;
    let job = world.finish_an_hour_later(id).await;
    Some((world, job, launched.root_password))
}

async fn crash_at_every_checkpoint(settle: Duration) {
    let mut crash_at = 1;
    while let Some((world, job)) = crash_then_resume(crash_at, settle).await {
        let at = format!("crash at checkpoint {crash_at}, resumed after {settle:?}");
        assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        assert_eq!(job.attempts, 2, "{at}");
        assert_eq!(
            world.pve.guests().len(),
            1,
            "{at}: exactly one guest on Proxmox"
        );
        assert_eq!(marked_guests(&world, job.id), 1, "{at}");
        assert_eq!(
            world.pve.calls("create_lxc"),
            1,
            "{at}: the create request is never repeated"
        );
        assert_eq!(
            world.pve.calls("power"),
            1,
            "{at}: the start request is never repeated"
        );
        let rows = world.guest_rows().await;
        assert_eq!(rows.len(), 1, "{at}: one inventory row");
        assert_eq!(rows[0].owner_id, Some(world.alice.user_id), "{at}: owned");
        assert!(
            world.pve.guests().values().all(|g| g.running),
            "{at}: started"
        );
        crash_at += 1;
    }
    assert!(
        crash_at > 10,
        "every checkpoint of a create job was tried ({} crash points)",
        crash_at - 1
    );
}

#[tokio::test]
async fn a_crash_at_any_checkpoint_never_duplicates_or_orphans_the_guest() {
    // Resumed after Proxmox finished what was in flight…
    crash_at_every_checkpoint(TASK_TIME * 2).await;
}

#[tokio::test]
async fn a_crash_resumed_while_proxmox_is_still_working_waits_for_it() {
    // …and at once, while the interrupted task still runs.
    crash_at_every_checkpoint(Duration::ZERO).await;
}

#[tokio::test]
async fn a_failing_create_task_fails_the_job_with_pves_text_and_leaves_nothing_behind() {
    let world = World::new().await;
    world.pve.fail_next_tasks(1);
    let engine = world.engine().await;
    let id = world
        .service
        .create(&world.alice, &lxc(None), None)
        .await
        .unwrap()
        .job
        .id;
    let job = world.finished(id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Failed);
    let error = job.error.as_deref().unwrap();
    assert!(
        error.starts_with("simulated failure (injected)\n"),
        "{error}"
    );
    assert!(
        error.ends_with("TASK ERROR: simulated failure (injected)"),
        "{error}"
    );
    assert_eq!(job.steps[2].status, StepStatus::Failed);
    assert!(
        world.pve.guests().is_empty(),
        "Proxmox rolled the guest back"
    );
    assert!(
        world.guest_rows().await.is_empty(),
        "the reservation was released"
    );
}

#[tokio::test]
async fn a_creation_that_died_halfway_is_cleaned_up_because_its_task_was_recorded() {
    let world = World::new().await;
    world.pve.creations_die_halfway();
    world.pve.fail_next_tasks(1);
    let engine = world.engine().await;
    let id = world
        .service
        .create(&world.alice, &lxc(Some("half")), None)
        .await
        .unwrap()
        .job
        .id;
    let job = world.finished(id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Failed);
    assert!(
        world.pve.guests().is_empty(),
        "the unmarked half-made guest was ours: destroyed"
    );
    assert_eq!(world.pve.calls("delete_guest"), 1);
    assert!(
        world.guest_rows().await.is_empty(),
        "and its reservation released"
    );
}

#[tokio::test]
async fn a_crash_before_recording_a_creation_that_then_dies_still_cleans_it_up() {
    let world = World::new().await;
    world.pve.creations_die_halfway();
    world.pve.fail_next_tasks(1);
    let id = world
        .service
        .create(&world.alice, &lxc(Some("half")), None)
        .await
        .unwrap()
        .job
        .id;
    // Checkpoint 5 records the create task: the request has gone out, the record not.
    let crashed = world.run_until_crash(id, 5).await;
    assert!(crashed.is_some(), "the job has a checkpoint 5");
    assert_eq!(
        world.pve.calls("create_lxc"),
        1,
        "the crash came after the request"
    );
    tokio::time::sleep(TASK_TIME * 2).await;
    let unmarked = world.pve.guests();
    assert!(
        unmarked
            .values()
            .all(|g| !g.config.contains_key("description") && !g.config.contains_key("lock"))
    );

    let job = world.finish_an_hour_later(id).await;
    assert_eq!(job.status, JobStatus::Failed, "{job:#?}");
    assert!(
        job.error
            .as_deref()
            .unwrap()
            .starts_with("simulated failure"),
        "the task's own error"
    );
    assert!(
        world.pve.guests().is_empty(),
        "the half-made guest was found to be ours and removed"
    );
    assert_eq!(world.pve.calls("create_lxc"), 1, "and never created twice");
    assert!(world.guest_rows().await.is_empty());
}

#[tokio::test]
async fn a_guest_that_fails_to_start_is_kept_with_its_owner() {
    let world = World::new().await;
    world.pve.fail_tasks_of_kind("vzstart");
    let engine = world.engine().await;
    let id = world
        .service
        .create(&world.alice, &lxc(Some("db")), None)
        .await
        .unwrap()
        .job
        .id;
    let job = world.finished(id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.steps[3].status, StepStatus::Failed);
    assert!(job.error.as_deref().unwrap().contains("simulated failure"));
    assert_eq!(world.pve.guests().len(), 1);
    let rows = world.guest_rows().await;
    assert_eq!(rows[0].owner_id, Some(world.alice.user_id));
}

#[tokio::test]
async fn a_vmid_taken_by_someone_else_is_given_up_for_another() {
    let world = World::new().await;
    world.pve.snipe_next_create(100);
    let engine = world.engine().await;
    let id = world
        .service
        .create(&world.alice, &lxc(Some("web")), None)
        .await
        .unwrap()
        .job
        .id;
    let job = world.finished(id).await;
    engine.shutdown().await;

    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let guests = world.pve.guests();
    assert_eq!(
        guests[&100].config["hostname"], "sniper",
        "the other guest is left alone"
    );
    assert!(guests[&101].config["description"].contains(&job_marker(id)));
    let rows = world.guest_rows().await;
    assert_eq!(rows.len(), 1, "the abandoned reservation is gone");
    assert_eq!(rows[0].observed.vmid.get(), 101);
}

/// Two launches with one name, both queued before either ran (each passed the check
/// alone): the first creates it, the second fails at `reserve` without touching Proxmox.
#[tokio::test]
async fn two_jobs_queued_with_one_name_create_one_guest() {
    let world = World::new().await;
    let first = world
        .service
        .create(&world.alice, &lxc(Some("twin")), None)
        .await
        .unwrap();
    let second = world
        .service
        .create(&world.alice, &lxc(Some("twin")), None)
        .await
        .unwrap();
    let engine = world.engine().await;
    let first = world.finished(first.job.id).await;
    let second = world.finished(second.job.id).await;
    engine.shutdown().await;
    let mut statuses = [first.status, second.status];
    statuses.sort_by_key(|status| format!("{status:?}"));
    assert_eq!(statuses, [JobStatus::Failed, JobStatus::Succeeded]);
    let failed = if first.status == JobStatus::Failed {
        &first
    } else {
        &second
    };
    assert!(
        failed.error.as_deref().unwrap().contains("already exists"),
        "{failed:#?}"
    );
    assert_eq!(world.guest_rows().await.len(), 1);
    assert_eq!(world.pve.calls("create_lxc"), 1);
    // The check before queueing refuses a third at once.
    let third = world
        .service
        .create(&world.alice, &lxc(Some("TWIN")), None)
        .await;
    assert!(
        matches!(&third, Err(crate::DomainError::Validation(fields)) if fields.contains_key("name")),
        "{third:?}"
    );
}

/// A job resumed after reserving but before it saved that reservation (and the name
/// check made with it) checks the name again: a guest given that name meanwhile,
/// here one made on Proxmox by hand and found by the mirror, keeps it. Crash points
/// after the check was saved go on to create the guest.
#[tokio::test]
async fn a_create_resumed_before_its_name_check_was_saved_checks_the_name_again() {
    let mut crash_at = 1;
    let mut resumed_unsaved = 0;
    loop {
        let world = World::new().await;
        let id = world
            .service
            .create(&world.alice, &lxc(Some("twin")), None)
            .await
            .unwrap()
            .job
            .id;
        let Some(job) = world.run_until_crash(id, crash_at).await else {
            break;
        };
        let reserved = !world.guest_rows().await.is_empty();
        let saved = job.resource_id.is_some();
        world.mirror_finds(900, "twin").await;
        let job = world.finish_an_hour_later(id).await;
        let at = format!("crash at checkpoint {crash_at}");
        if saved {
            assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        } else {
            assert_eq!(job.status, JobStatus::Failed, "{at}: {job:#?}");
            let error = job.error.as_deref().unwrap_or_default();
            assert!(error.contains("already exists"), "{at}: {error}");
            assert_eq!(world.pve.calls("create_lxc"), 0, "{at}");
            resumed_unsaved += usize::from(reserved);
        }
        crash_at += 1;
    }
    assert!(
        resumed_unsaved > 0,
        "a crash between reserving and saving it was tried"
    );
}
