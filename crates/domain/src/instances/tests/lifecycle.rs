//! Power actions and termination: who may, what happens on Proxmox, and crashes.

use std::time::Duration;

use proxicloud_store::{JobStatus, StepStatus, Uuid};

use super::world::{World, lxc};
use crate::error::DomainError;
use crate::instances::Power;
use crate::jobs::tests::support::wait_for_job;

/// Creates (and starts) an instance for alice; returns its id and vmid.
async fn instance(world: &World, name: &str) -> (Uuid, u32) {
    let row = world.started_instance(name).await;
    (row.id, row.observed.vmid.get())
}

fn running(world: &World, vmid: u32) -> bool {
    world.pve.guests()[&vmid].running
}

#[tokio::test]
async fn power_actions_bring_the_guest_to_the_asked_state() {
    let world = World::new().await;
    let (id, vmid) = instance(&world, "web").await;
    let engine = world.engine().await;
    let alice = &world.alice;

    let stop = world
        .service
        .power(alice, id, Power::Stop, None)
        .await
        .unwrap()
        .submitted
        .job;
    assert_eq!(
        (stop.kind.as_str(), stop.resource_id.clone()),
        ("instance.stop", Some(id.to_string()))
    );
    assert_eq!(world.finished(stop.id).await.status, JobStatus::Succeeded);
    assert!(!running(&world, vmid));

    let again = world
        .service
        .power(alice, id, Power::Shutdown, None)
        .await
        .unwrap()
        .submitted
        .job;
    let again = world.finished(again.id).await;
    assert_eq!(again.status, JobStatus::Succeeded);
    assert_eq!(again.steps[0].status, StepStatus::Skipped);
    assert_eq!(
        again.steps[0].detail.as_deref(),
        Some(format!("CT {vmid} already stopped").as_str())
    );

    let start = world
        .service
        .power(alice, id, Power::Start, None)
        .await
        .unwrap()
        .submitted
        .job;
    assert_eq!(world.finished(start.id).await.status, JobStatus::Succeeded);
    let reboot = world
        .service
        .power(alice, id, Power::Reboot, Some("reboot-1"))
        .await
        .unwrap()
        .submitted
        .job;
    assert_eq!(world.finished(reboot.id).await.status, JobStatus::Succeeded);
    assert!(running(&world, vmid));
    let repeated = world
        .service
        .power(alice, id, Power::Reboot, Some("reboot-1"))
        .await
        .unwrap();
    assert!(
        !repeated.submitted.created && repeated.submitted.job.id == reboot.id,
        "same key, same job"
    );
    engine.shutdown().await;
    // create's start, then stop, start, reboot — the skipped shutdown sent nothing.
    assert_eq!(world.pve.calls("power"), 4);
}

#[tokio::test]
async fn only_the_owner_and_admins_may_act_and_others_do_not_see_it() {
    let world = World::new().await;
    let (id, _) = instance(&world, "web").await;
    let bob = world.service.power(&world.bob, id, Power::Stop, None).await;
    assert!(
        matches!(
            bob,
            Err(DomainError::NotFound {
                resource: "instance"
            })
        ),
        "{bob:?}"
    );
    let bob = world
        .service
        .terminate(&world.bob, id, Some("web"), None)
        .await;
    assert!(matches!(bob, Err(DomainError::NotFound { .. })));
    let reader = world
        .service
        .power(&world.reader, id, Power::Stop, None)
        .await;
    assert!(matches!(reader, Err(DomainError::NotFound { .. })));
    world
        .store
        .guests()
        .set_owner(id, Some(world.reader.user_id))
        .await
        .unwrap();
    let reader = world
        .service
        .power(&world.reader, id, Power::Stop, None)
        .await;
    assert!(
        matches!(reader, Err(DomainError::Forbidden(_))),
        "readonly never changes anything: {reader:?}"
    );
    let admin = world
        .service
        .power(&world.root, id, Power::Stop, None)
        .await
        .unwrap();
    assert_eq!(
        admin.submitted.job.actor.id,
        Some(world.root.user_id),
        "the job belongs to whoever started it"
    );
    let missing = world
        .service
        .power(&world.root, Uuid::now_v7(), Power::Stop, None)
        .await;
    assert!(matches!(missing, Err(DomainError::NotFound { .. })));
}

#[tokio::test]
async fn an_instance_still_being_created_cannot_be_acted_on() {
    let world = World::new().await;
    world.pve.hold_tasks(true);
    let engine = world.engine().await;
    let job = world
        .service
        .create(&world.alice, &lxc(Some("slow")), None)
        .await
        .unwrap()
        .job;
    wait_for_job(world.store.as_ref(), job.id, Duration::from_secs(5), |j| {
        j.pve_upid.is_some()
    })
    .await;
    let rows = world.guest_rows().await;
    let refused = world
        .service
        .power(&world.alice, rows[0].id, Power::Stop, None)
        .await;
    assert!(
        matches!(
            refused,
            Err(DomainError::Conflict {
                code: "instance_not_ready",
                ..
            })
        ),
        "{refused:?}"
    );

    world.pve.hold_tasks(false);
    assert_eq!(world.finished(job.id).await.status, JobStatus::Succeeded);
    engine.shutdown().await;
    let row = world.store.guests().get(rows[0].id).await.unwrap();
    assert_eq!(
        row.observed.status, "creating",
        "the mirror has not polled yet…"
    );
    let stop = world
        .service
        .power(&world.alice, row.id, Power::Stop, None)
        .await;
    assert!(
        stop.is_ok(),
        "…but the create job has ended, so the instance can be used: {stop:?}"
    );
}

#[tokio::test]
async fn terminate_needs_the_name_then_stops_destroys_and_forgets() {
    let world = World::new().await;
    let (id, vmid) = instance(&world, "web").await;
    let wrong = world
        .service
        .terminate(&world.alice, id, Some("Web"), None)
        .await;
    assert!(
        matches!(&wrong, Err(DomainError::Validation(f)) if f.contains_key("confirm")),
        "{wrong:?}"
    );
    let missing = world.service.terminate(&world.alice, id, None, None).await;
    assert!(matches!(missing, Err(DomainError::Validation(_))));
    assert!(world.pve.guests().contains_key(&vmid), "nothing happened");

    let (_, mut feed) = world.events.subscribe(None);
    let engine = world.engine().await;
    let job = world
        .service
        .terminate(&world.alice, id, Some("web"), None)
        .await
        .unwrap()
        .submitted
        .job;
    let job = world.finished(job.id).await;
    engine.shutdown().await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let steps: Vec<_> = job
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.status))
        .collect();
    assert_eq!(
        steps,
        [
            ("stop", StepStatus::Succeeded),
            ("destroy", StepStatus::Succeeded),
            ("forget", StepStatus::Succeeded)
        ]
    );
    assert!(world.pve.guests().is_empty());
    assert!(matches!(
        world.store.guests().get(id).await,
        Err(proxicloud_store::StoreError::NotFound)
    ));
    let mut gone = Vec::new();
    while let Ok(event) = feed.try_recv() {
        if event.kind == "instance.disappeared" {
            assert!(event.visible_to(&world.alice.user_id.to_string(), false));
            assert!(!event.visible_to(&world.bob.user_id.to_string(), false));
            gone.push(event.data["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(gone, [id.to_string()]);
}

#[tokio::test]
async fn a_crash_during_terminate_destroys_the_guest_exactly_once() {
    let mut crash_at = 1;
    loop {
        let world = World::new().await;
        let (id, _) = instance(&world, "web").await;
        let job = world
            .service
            .terminate(&world.alice, id, Some("web"), None)
            .await
            .unwrap()
            .submitted
            .job;
        if world.run_until_crash(job.id, crash_at).await.is_none() {
            break;
        }
        let done = world.finish_an_hour_later(job.id).await;
        let at = format!("crash at checkpoint {crash_at}");
        assert_eq!(done.status, JobStatus::Succeeded, "{at}: {done:#?}");
        assert!(world.pve.guests().is_empty(), "{at}");
        assert_eq!(
            world.pve.calls("delete_guest"),
            1,
            "{at}: destroy is never sent twice"
        );
        assert_eq!(
            world.pve.calls("power"),
            2,
            "{at}: start at create, one stop"
        );
        assert!(
            world.store.guests().get(id).await.is_err(),
            "{at}: forgotten"
        );
        crash_at += 1;
    }
    assert!(
        crash_at > 6,
        "every checkpoint of a terminate job was tried"
    );
}
