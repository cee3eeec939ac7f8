//! `validate`: the create path's checks without the create (the wizard's live
//! validation).

use super::world::{World, lxc};
use crate::error::DomainError;
use crate::instances::CreateInstance;

#[tokio::test]
async fn a_valid_request_passes_and_nothing_happens() {
    let world = World::new().await;
    world
        .service
        .validate(&world.alice, &lxc(None))
        .await
        .unwrap();
    world
        .service
        .validate(&world.root, &lxc(Some("web-1")))
        .await
        .unwrap();
    world.assert_no_job_and_no_proxmox_change().await;
}

#[tokio::test]
async fn a_dry_run_reports_the_same_problems_as_the_create() {
    let world = World::new().await;
    let requests = [
        CreateInstance {
            memory: Some(16),
            name: Some("-x".into()),
            ..lxc(None)
        },
        // Checked against the cluster: no node has that much memory.
        CreateInstance {
            memory: Some(1 << 20),
            ..lxc(None)
        },
        CreateInstance {
            node: Some("nowhere".into()),
            ..lxc(None)
        },
    ];
    for request in requests {
        let dry = world.service.validate(&world.alice, &request).await;
        let real = world.service.create(&world.alice, &request, None).await;
        match (dry, real) {
            (Err(DomainError::Validation(dry)), Err(DomainError::Validation(real))) => {
                assert_eq!(dry, real, "{request:?}");
            }
            other => panic!("expected two validation errors, got {other:?}"),
        }
    }
    world.assert_no_job_and_no_proxmox_change().await;
}

#[tokio::test]
async fn readonly_callers_may_not_even_validate() {
    let world = World::new().await;
    let result = world.service.validate(&world.reader, &lxc(None)).await;
    assert!(matches!(result, Err(DomainError::Forbidden(_))));
}
