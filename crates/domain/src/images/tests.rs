//! Image jobs against the fake Proxmox VE (the instances' test world, whose engines
//! also run the image job kinds).

use std::time::Duration;

use proxicloud_pve::fake::TASK_TIME;
use proxicloud_store::{Job, JobStatus};

use super::download_job::DownloadParams;
use super::service::download_job;
use crate::instances::tests::world::World;
use crate::jobs::tests::support::wait_for_job;

const TEMPLATE: &str = "debian-13-standard_13.1-2_amd64.tar.zst";

fn params(world: &World) -> DownloadParams {
    DownloadParams {
        cluster_id: world.cluster_id,
        node: "pve1".into(),
        storage: "local".into(),
        template: TEMPLATE.into(),
    }
}

/// A process dies at job checkpoint `crash_at` of an `image.download`; a second one,
/// started `settle` later, finishes it. `None` when the job has fewer checkpoints.
async fn crash_then_resume(crash_at: usize, settle: Duration) -> Option<(World, Job)> {
    let world = World::new().await;
    let (crashing, dying) = world.dying_engine(crash_at).await;
    let job = download_job(world.root.user_id, &params(&world));
    let id = world.queue.submit(job).await.unwrap().job.id;
    let job = wait_for_job(world.store.as_ref(), id, Duration::from_secs(10), |j| {
        crashing.crashed() || j.status.is_terminal()
    })
    .await;
    dying.abort();
    if !crashing.crashed() {
        assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
        return None;
    }
    tokio::time::sleep(settle).await;
    let engine = world.engine_an_hour_later().await;
    let job = world.finished(id).await;
    engine.shutdown().await;
    Some((world, job))
}

async fn crash_at_every_checkpoint(settle: Duration) {
    let mut crash_at = 1;
    while let Some((world, job)) = crash_then_resume(crash_at, settle).await {
        let at = format!("crash at checkpoint {crash_at}, resumed after {settle:?}");
        assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        // Without the task lookup, a crash between starting the download and
        // recording its UPID started a second download of the same template.
        assert_eq!(
            world.pve.calls("download_appliance"),
            1,
            "{at}: downloaded once"
        );
        assert_eq!(job.progress, 100, "{at}");
        crash_at += 1;
    }
    assert!(crash_at > 3, "the crash points were tried ({crash_at})");
}

#[tokio::test]
async fn a_download_resumed_at_once_after_a_crash_downloads_once() {
    crash_at_every_checkpoint(Duration::ZERO).await;
}

#[tokio::test]
async fn a_download_resumed_after_proxmox_finished_downloads_once() {
    crash_at_every_checkpoint(TASK_TIME * 2).await;
}

/// The job's progress follows wget's percentages in the task log while it runs.
#[tokio::test]
async fn a_download_reports_the_percentage_proxmox_logs() {
    let world = World::new().await;
    world.pve.hold_tasks(true);
    let engine = world.engine().await;
    let job = download_job(world.root.user_id, &params(&world));
    let id = world.queue.submit(job).await.unwrap().job.id;
    let running = wait_for_job(world.store.as_ref(), id, Duration::from_secs(10), |j| {
        j.steps[1].detail.as_deref() == Some("downloading: 50 %")
    })
    .await;
    // Half of the second (last) step: 50 + 50 / 2.
    assert_eq!(running.progress, 75, "{running:#?}");
    world.pve.hold_tasks(false);
    let done = world.finished(id).await;
    engine.shutdown().await;
    assert_eq!(done.status, JobStatus::Succeeded, "{done:#?}");
    assert_eq!(done.progress, 100);
}
