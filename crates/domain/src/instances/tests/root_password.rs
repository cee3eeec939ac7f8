//! A container needs a way in: an SSH key or a generated root password, which reaches
//! Proxmox (even through a crash) and nothing else.

use std::time::Duration;

use proxicloud_pve::fake::TASK_TIME;
use proxicloud_store::{JobStatus, SEALED_PARAMS};
use secrecy::ExposeSecret;

use super::create::{crash_then_resume_launch, marked_guests};
use super::world::{World, lxc};
use crate::error::DomainError;
use crate::instances::{CreateInstance, NO_WAY_IN, NetworkRequest, root_password};

fn keyless(name: &str) -> CreateInstance {
    CreateInstance {
        ssh_public_keys: Vec::new(),
        ..lxc(Some(name))
    }
}

fn with_password(name: &str) -> CreateInstance {
    CreateInstance {
        generate_root_password: true,
        ..keyless(name)
    }
}

#[tokio::test]
async fn a_container_with_no_key_and_no_password_is_refused_before_anything_happens() {
    let world = World::new().await;
    for check in [
        world.service.validate(&world.alice, &keyless("web")).await,
        world
            .service
            .create(&world.alice, &keyless("web"), None)
            .await
            .map(drop),
    ] {
        match check {
            Err(DomainError::Validation(fields)) => {
                assert_eq!(fields.len(), 1, "{fields:?}");
                assert_eq!(fields["ssh_public_keys"], NO_WAY_IN);
            }
            other => panic!("expected the field error, got {other:?}"),
        }
    }
    world.assert_no_job_and_no_proxmox_change().await;
}

/// The wizard asks for access last: a missing way in must not hide what the cluster
/// says about the earlier steps (here a bridge no node has), nor a taken name.
#[tokio::test]
async fn a_missing_way_in_is_reported_with_the_clusters_problems() {
    let world = World::new().await;
    world.started_instance("taken").await;
    let request = CreateInstance {
        network: NetworkRequest {
            bridge: Some("vmbr9".into()),
            vlan: None,
        },
        ..keyless("taken")
    };
    match world.service.validate(&world.alice, &request).await {
        Err(DomainError::Validation(fields)) => assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["name", "network.bridge", "ssh_public_keys"]
        ),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[tokio::test]
async fn a_root_password_is_for_containers_only() {
    let world = World::new().await;
    let vm = CreateInstance {
        kind: Some("vm".into()),
        template: None,
        iso: Some("local:iso/debian-12.iso".into()),
        ..with_password("vm")
    };
    match world.service.create(&world.alice, &vm, None).await {
        Err(DomainError::Validation(fields)) => {
            assert_eq!(
                fields.keys().collect::<Vec<_>>(),
                ["generate_root_password"]
            );
        }
        other => panic!("expected the field error, got {other:?}"),
    }
    world.assert_no_job_and_no_proxmox_change().await;
}

#[tokio::test]
async fn a_generated_password_reaches_proxmox_and_leaves_the_job_once_used() {
    let world = World::new().await;
    let launched = world
        .service
        .launch(&world.alice, &with_password("web"), Some("launch-1"))
        .await
        .unwrap();
    let password = launched.root_password.expect("a generated password");
    let password = password.expose_secret();
    assert_eq!(password.len(), root_password::LENGTH);
    // Queued: the job carries it sealed, never in clear.
    let queued = world
        .store
        .jobs()
        .get(launched.submitted.job.id)
        .await
        .unwrap();
    assert!(queued.params[SEALED_PARAMS]["root_password"].is_string());
    assert!(!format!("{queued:?}").contains(password));

    let engine = world.engine().await;
    let job = world.finished(queued.id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let guests = world.pve.guests();
    let (vmid, guest) = guests.iter().next().expect("the container");
    assert_eq!(world.pve.root_password(*vmid).as_deref(), Some(password));
    assert!(!guest.config.values().any(|value| value.contains(password)));
    // Used: the sealed copy is gone; the plan still says a password was set.
    assert!(job.params.get(SEALED_PARAMS).is_none(), "{}", job.params);
    assert_eq!(job.params["root_password"], true);
    assert!(!format!("{job:?}").contains(password));

    // A retry with the same key gets the job back, not a password.
    let replay = world
        .service
        .launch(&world.alice, &with_password("web"), Some("launch-1"))
        .await
        .unwrap();
    engine.shutdown().await;
    assert_eq!(replay.submitted.job.id, job.id);
    assert!(!replay.submitted.created && replay.root_password.is_none());
}

/// A crash anywhere — before Proxmox got the request, after it, before the UPID was
/// recorded — resumes into one container created with the password, and the sealed
/// copy gone.
async fn crash_with_password_at_every_checkpoint(settle: Duration) {
    let mut crash_at = 1;
    while let Some((world, job, password)) =
        crash_then_resume_launch(crash_at, settle, &with_password("web")).await
    {
        let at = format!("crash at checkpoint {crash_at}, resumed after {settle:?}");
        let password = password.expect("a generated password");
        assert_eq!(job.status, JobStatus::Succeeded, "{at}: {job:#?}");
        assert_eq!(marked_guests(&world, job.id), 1, "{at}");
        assert_eq!(world.pve.calls("create_lxc"), 1, "{at}");
        let vmid = *world.pve.guests().keys().next().unwrap();
        assert_eq!(
            world.pve.root_password(vmid).as_deref(),
            Some(password.expose_secret()),
            "{at}: the container got the password"
        );
        assert!(job.params.get(SEALED_PARAMS).is_none(), "{at}");
        crash_at += 1;
    }
    assert!(crash_at > 10, "{} crash points", crash_at - 1);
}

#[tokio::test]
async fn a_create_resumed_after_a_crash_still_sets_the_password() {
    crash_with_password_at_every_checkpoint(TASK_TIME * 2).await;
    crash_with_password_at_every_checkpoint(Duration::ZERO).await;
}
