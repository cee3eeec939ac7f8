//! Volume jobs against the fake Proxmox VE (the instances' test world, whose engines
//! also run the volume job kinds).

use std::time::Duration;

use proxicloud_pve::fake::TASK_TIME;
use proxicloud_pve::{GuestType, VmId};
use proxicloud_store::repo::volumes::status;
use proxicloud_store::{GuestReservation, Job, JobActor, JobStatus, NewJob, Timestamp, Uuid};

use super::{AttachVolume, CreateVolume, VolumeService};
use crate::instances::tests::world::World;

fn create_request(world: &World) -> CreateVolume {
    CreateVolume {
        name: "data".into(),
        size_gib: 4,
        cluster_id: Some(world.cluster_id),
        node: Some("pve1".into()),
        storage: Some("local-lvm".into()),
        class: None,
        attach: None,
    }
}

/// A process dies at job checkpoint `crash_at` of a `volume.create`; a second one,
/// started `settle` later (at once: Proxmox may still be creating the holder),
/// finishes the job. `None` when the job has fewer checkpoints.
async fn crash_then_resume(
    crash_at: usize,
    settle: Duration,
) -> Option<(World, proxicloud_store::Job, Uuid)> {
    let world = World::new().await;
    let service = VolumeService::new(world.store.clone(), world.queue.clone());
    let (volume, submitted) = service
        .create(&world.alice, create_request(&world))
        .await
        .unwrap();
    let id: Uuid = submitted.job.id;
    world.run_until_crash(id, crash_at).await?;
    tokio::time::sleep(settle).await;
    let job = world.finish_an_hour_later(id).await;
    Some((world, job, volume.id))
}

async fn crash_at_every_checkpoint(settle: Duration) {
    let mut crash_at = 1;
    while let Some((world, job, volume)) = crash_then_resume(crash_at, settle).await {
        let at = format!("crash at checkpoint {crash_at}, resumed after {settle:?}");
        // Before the shared task resumption, a crash between starting the holder's
        // creation and recording it found the holder locked and unmarked, and failed
        // with "vmid … is taken by a guest that is not this volume's holder".
        assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        assert_eq!(world.pve.calls("create_lxc"), 1, "{at}: created once");
        assert_eq!(world.pve.guests().len(), 1, "{at}: one holder");
        let volume = world.store.volumes().get(volume).await.unwrap();
        assert_eq!(volume.status, status::AVAILABLE, "{at}");
        assert!(volume.volid.is_some(), "{at}: {volume:?}");
        crash_at += 1;
    }
    assert!(crash_at > 3, "the crash points were tried ({crash_at})");
}

#[tokio::test]
async fn a_volume_create_resumed_at_once_after_a_crash_makes_one_holder() {
    crash_at_every_checkpoint(Duration::ZERO).await;
}

#[tokio::test]
async fn a_volume_create_resumed_after_proxmox_finished_makes_one_holder() {
    crash_at_every_checkpoint(TASK_TIME * 2).await;
}

/// An instance's guest reservation holds a vmid before Proxmox knows it (its create
/// job has not run yet): the holder container takes the next one.
#[tokio::test]
async fn a_holder_never_takes_a_vmid_an_instance_reserved() {
    let world = World::new().await;
    let mut later = NewJob::new(
        "instance.create",
        JobActor::User(world.alice.user_id),
        vec![],
    );
    later.run_after = Some(Timestamp::now() + Duration::from_secs(3600));
    let job = world.store.jobs().create(later).await.unwrap().job;
    let reserved = VmId::new(100).unwrap();
    world
        .store
        .guests()
        .reserve(GuestReservation {
            id: Uuid::now_v7(),
            cluster_id: world.cluster_id,
            vmid: reserved,
            node: "pve1".into(),
            kind: GuestType::Lxc,
            name: "web".into(),
            owner_id: world.alice.user_id,
            job_id: job.id,
            cpus: 1.0,
            maxmem: 1 << 29,
            maxdisk: 1 << 33,
        })
        .await
        .unwrap();
    let service = VolumeService::new(world.store.clone(), world.queue.clone());
    let (volume, submitted) = service
        .create(&world.alice, create_request(&world))
        .await
        .unwrap();
    let engine = world.engine().await;
    let job = world.finished(submitted.job.id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let holder = world
        .store
        .volumes()
        .get(volume.id)
        .await
        .unwrap()
        .holder_vmid;
    assert_eq!(
        holder,
        Some(101),
        "the reserved vmid {reserved} is passed over"
    );
    assert!(world.pve.guests().contains_key(&101));
}

/// A create with an initial attachment whose process dies at checkpoint `crash_at`;
/// a second process finishes it. `None` when the job has fewer checkpoints.
async fn attached_create_crash_then_resume(crash_at: usize) -> Option<(World, Job, Uuid, u32)> {
    let world = World::new().await;
    let web = world.started_instance("web").await;
    let service = VolumeService::new(world.store.clone(), world.queue.clone());
    let request = CreateVolume {
        cluster_id: None,
        node: None,
        attach: Some(AttachVolume {
            instance_id: web.id,
            mount_path: Some("/data".into()),
            bus: None,
        }),
        ..create_request(&world)
    };
    let (volume, submitted) = service.create(&world.alice, request).await.unwrap();
    world.run_until_crash(submitted.job.id, crash_at).await?;
    let job = world.finish_an_hour_later(submitted.job.id).await;
    Some((world, job, volume.id, web.observed.vmid.get()))
}

/// Created and attached in one job: a crash anywhere in it (between making the
/// volume and writing it into the instance's config too) resumes to one holder and
/// one mount point.
#[tokio::test]
async fn a_volume_created_attached_is_attached_once_after_a_crash_anywhere() {
    let mut crash_at = 1;
    while let Some((world, job, volume, vmid)) = attached_create_crash_then_resume(crash_at).await {
        let at = format!("crash at checkpoint {crash_at}");
        assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        assert_eq!(job.steps.len(), 3, "{at}: holder, ready, config");
        assert_eq!(
            world.pve.calls("create_lxc"),
            2,
            "{at}: the instance and one holder"
        );
        let volume = world.store.volumes().get(volume).await.unwrap();
        let volid = volume.volid.clone().expect("made");
        let attachment = volume.attachment.expect("attached");
        let config = world.pve.guests()[&vmid].config.clone();
        let mounts: Vec<_> = config
            .iter()
            .filter(|(_, v)| v.starts_with(&volid))
            .collect();
        assert_eq!(mounts.len(), 1, "{at}: mounted once: {config:?}");
        assert_eq!(mounts[0].0, &attachment.key, "{at}");
        assert_eq!(mounts[0].1, &format!("{volid},mp=/data"), "{at}");
        crash_at += 1;
    }
    assert!(crash_at > 4, "the crash points were tried ({crash_at})");
}

/// A launch that brings a new volume, crashed at every checkpoint of its job tree (the
/// launch's steps and its child `volume.create`) and resumed by another process: one
/// instance, one holder, the volume mounted once at its path.
#[tokio::test]
async fn a_launch_with_a_volume_is_resumed_after_a_crash_anywhere() {
    use crate::instances::CreateInstance;
    use crate::instances::tests::world::lxc;
    use crate::volumes::launch::LaunchVolume;

    let mut crash_at = 1;
    loop {
        let world = World::new().await;
        let request = CreateInstance {
            volumes: vec![LaunchVolume {
                name: Some("data".into()),
                size_gib: Some(2),
                mount_path: Some("/data".into()),
                ..LaunchVolume::default()
            }],
            ..lxc(Some("web"))
        };
        let job = world
            .service
            .create(&world.alice, &request, None)
            .await
            .unwrap()
            .job;
        if world.run_until_crash(job.id, crash_at).await.is_none() {
            break;
        }
        let at = format!("crash at checkpoint {crash_at}");
        let job = world.finish_an_hour_later(job.id).await;
        assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        assert_eq!(
            world.pve.calls("create_lxc"),
            2,
            "{at}: the instance and one holder"
        );
        let volumes = world
            .store
            .volumes()
            .list(
                &Default::default(),
                proxicloud_store::PageRequest::first(10),
            )
            .await
            .unwrap()
            .items;
        assert_eq!(volumes.len(), 1, "{at}: {volumes:?}");
        let volid = volumes[0].volid.clone().expect("made");
        let attachment = volumes[0].attachment.clone().expect("attached");
        let guest = world.store.guests().get(attachment.guest_id).await.unwrap();
        let config = world.pve.guests()[&guest.observed.vmid.get()]
            .config
            .clone();
        let mounts: Vec<_> = config
            .iter()
            .filter(|(_, v)| v.starts_with(&volid))
            .collect();
        assert_eq!(mounts.len(), 1, "{at}: mounted once: {config:?}");
        assert_eq!(mounts[0].0, &attachment.key, "{at}");
        crash_at += 1;
    }
    assert!(crash_at > 6, "the crash points were tried ({crash_at})");
}

/// A volume recorded for a job the queue then refused is rolled back: before, it stayed
/// `creating` for ever, a volume no job would ever make.
#[tokio::test]
async fn a_volume_whose_job_cannot_be_queued_is_not_kept() {
    use crate::jobs::JobQueue;
    use crate::jobs::tests::support::CrashingStore;
    use proxicloud_store::{Backend, PageRequest, VolumeFilter};

    let world = World::new().await;
    let store = world.store.clone();
    // An available volume with an available snapshot, to copy from.
    let source = store
        .volumes()
        .insert(proxicloud_store::NewVolume {
            cluster_id: world.cluster_id,
            node: "pve1".into(),
            storage: "local-lvm".into(),
            class: None,
            name: "source".into(),
            size_bytes: 1 << 30,
            owner_id: Some(world.alice.user_id),
        })
        .await
        .unwrap();
    let now = Timestamp::now();
    store
        .volumes()
        .set_holder(source.id, 7001, now)
        .await
        .unwrap();
    store
        .volumes()
        .set_ready(source.id, "local-lvm:vm-7001-disk-1", now)
        .await
        .unwrap();
    let snapshot = store
        .volumes()
        .insert_snapshot(source.id, "before", "", 1 << 30)
        .await
        .unwrap();
    store
        .volumes()
        .set_snapshot_status(snapshot.id, status::AVAILABLE)
        .await
        .unwrap();

    let (refusing, _) = CrashingStore::new(store.clone(), Backend::Sqlite, usize::MAX);
    refusing.refuse_new_jobs();
    let queue = JobQueue::new(refusing.clone(), world.events.clone());
    let service = VolumeService::new(refusing, queue);
    assert!(
        service
            .create(&world.alice, create_request(&world))
            .await
            .is_err()
    );
    assert!(
        service
            .clone_snapshot(&world.alice, snapshot.id, "copy")
            .await
            .is_err()
    );
    let left = store
        .volumes()
        .list(&VolumeFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    let names: Vec<_> = left.items.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["source"], "nothing left creating: {left:?}");
}
