//! Backup jobs against the fake Proxmox VE (the instances' test world, whose engines
//! also run the backup job kinds): a process killed at any checkpoint of a
//! `backup.create` leaves, once resumed, exactly one archive, recorded from the task
//! log; requests Proxmox would refuse are refused before anything runs.

use std::sync::Arc;

use proxicloud_pve::BackupMode;
use proxicloud_store::repo::backups::status;
use proxicloud_store::{Guest, Job, JobStatus, PageRequest, Uuid};

use super::{BackupQuery, BackupService, CreateBackup};
use crate::error::DomainError;
use crate::instances::tests::world::World;
use crate::testing::FakeConnector;

fn service(world: &World) -> BackupService {
    BackupService::new(
        world.store.clone(),
        world.queue.clone(),
        Arc::new(FakeConnector(world.pve.clone())),
    )
}

fn request(guest: &Guest, storage: &str) -> CreateBackup {
    CreateBackup {
        instance_id: guest.id,
        mode: BackupMode::Snapshot,
        storage: storage.into(),
        notes: Some("before upgrade".into()),
        protected: false,
        idempotency_key: None,
    }
}

/// A process dies at job checkpoint `crash_at` of a `backup.create`; a second one, an
/// hour later, finishes it. `None` when the job has fewer checkpoints.
async fn crash_then_resume(crash_at: usize) -> Option<(World, Job, Uuid, Guest)> {
    let world = World::new().await;
    let guest = world.started_instance("web").await;
    let (backup, submitted) = service(&world)
        .create(&world.alice, request(&guest, "local"))
        .await
        .unwrap();
    let id = submitted.job.id;
    world.run_until_crash(id, crash_at).await?;
    let job = world.finish_an_hour_later(id).await;
    Some((world, job, backup.id, guest))
}

#[tokio::test]
async fn a_backup_killed_at_any_checkpoint_is_taken_once_and_recorded_from_the_log() {
    let mut crash_at = 1;
    while let Some((world, job, backup, guest)) = crash_then_resume(crash_at).await {
        let at = format!("crash at checkpoint {crash_at}");
        assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        assert_eq!(world.pve.calls("vzdump"), 1, "{at}: one vzdump");
        let backup = world.store.backups().get(backup).await.unwrap();
        assert_eq!(backup.status, status::AVAILABLE, "{at}");
        let volid = backup.volid.clone().unwrap();
        let prefix = format!("local:backup/vzdump-lxc-{}-", guest.observed.vmid);
        assert!(volid.starts_with(&prefix), "{at}: {volid}");
        assert_eq!(backup.size_bytes, Some(64 << 20), "{at}");
        assert!(
            backup
                .config
                .as_ref()
                .is_some_and(|c| c.get("hostname").is_some()),
            "{at}: {:?}",
            backup.config
        );
        assert!(backup.finished_at >= backup.started_at, "{at}");
        crash_at += 1;
    }
    assert!(crash_at > 3, "the crash points were tried ({crash_at})");
}

#[tokio::test]
async fn a_failed_vzdump_leaves_the_backup_in_error_with_pves_words() {
    let world = World::new().await;
    let guest = world.started_instance("web").await;
    world.pve.fail_tasks_of_kind("vzdump");
    let engine = world.engine().await;
    let (backup, submitted) = service(&world)
        .create(&world.alice, request(&guest, "local"))
        .await
        .unwrap();
    let job = world.finished(submitted.job.id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Failed, "{job:#?}");
    let backup = world.store.backups().get(backup.id).await.unwrap();
    assert_eq!(backup.status, status::ERROR);
    assert!(
        backup
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("simulated failure"),
        "{backup:?}"
    );
    assert_eq!(backup.volid, None);
}

#[tokio::test]
async fn requests_proxmox_would_refuse_are_refused_before_anything_runs() {
    let world = World::new().await;
    let guest = world.started_instance("web").await;
    let backups = service(&world);
    let jobs_before = world.pve.calls("vzdump");

    let wrong_content = backups
        .create(&world.alice, request(&guest, "local-lvm"))
        .await
        .unwrap_err();
    let DomainError::Validation(fields) = wrong_content else {
        panic!("{wrong_content:?}");
    };
    assert!(
        fields["storage"].contains("cannot hold backups"),
        "{fields:?}"
    );
    let missing = backups
        .create(&world.alice, request(&guest, "nfs"))
        .await
        .unwrap_err();
    assert!(matches!(missing, DomainError::Validation(_)), "{missing:?}");
    let mut templated = request(&guest, "local");
    templated.notes = Some("{{guestname}}".into());
    assert!(matches!(
        backups.create(&world.alice, templated).await,
        Err(DomainError::Validation(_))
    ));
    // Someone else's instance does not exist for bob; the reader may not act.
    assert!(matches!(
        backups.create(&world.bob, request(&guest, "local")).await,
        Err(DomainError::NotFound { .. })
    ));
    assert!(
        backups
            .create(&world.reader, request(&guest, "local"))
            .await
            .is_err()
    );
    assert_eq!(world.pve.calls("vzdump"), jobs_before);
    let listed = backups
        .list(&world.root, BackupQuery::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert!(
        listed.items.is_empty(),
        "nothing recorded: {:?}",
        listed.items
    );
}

#[tokio::test]
async fn lists_are_the_owners_and_a_protected_backup_is_not_deleted() {
    let world = World::new().await;
    let guest = world.started_instance("web").await;
    let backups = service(&world);
    let engine = world.engine().await;
    let mut protected = request(&guest, "local");
    protected.protected = true;
    let (backup, submitted) = backups.create(&world.alice, protected).await.unwrap();
    assert_eq!(
        world.finished(submitted.job.id).await.status,
        JobStatus::Succeeded
    );
    engine.shutdown().await;

    let of_web = BackupQuery {
        instance_id: Some(guest.id),
        ..BackupQuery::default()
    };
    let alices = backups
        .list(&world.alice, of_web.clone(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(alices.items.len(), 1);
    assert!(alices.items[0].protected);
    let bobs = backups
        .list(&world.bob, of_web, PageRequest::first(10))
        .await
        .unwrap();
    assert!(bobs.items.is_empty());
    assert!(matches!(
        backups.get(&world.bob, backup.id).await,
        Err(DomainError::NotFound { .. })
    ));
    let refused = backups.delete(&world.alice, backup.id).await.unwrap_err();
    assert!(
        matches!(
            refused,
            DomainError::Conflict {
                code: "backup_protected",
                ..
            }
        ),
        "{refused:?}"
    );
}
