//! Create requests are checked completely before anything happens on Proxmox.

use super::world::{World, lxc};
use crate::error::DomainError;
use crate::instances::{CreateInstance, CreatePlan, NetworkRequest, Source, names};
use crate::settings::ResourceDefaults;

async fn rejected(world: &World, request: &CreateInstance) -> Vec<String> {
    match world.service.create(&world.alice, request, None).await {
        Err(DomainError::Validation(fields)) => fields.into_keys().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_malformed_field_is_reported_at_once() {
    let world = World::new().await;
    let request = CreateInstance {
        name: Some("-web".into()),
        cores: Some(0),
        memory: Some(1),
        disk: Some(0),
        template: Some("debian.tar.zst".into()),
        network: NetworkRequest {
            bridge: Some("vmbr 0".into()),
            vlan: Some(5000),
        },
        ssh_public_keys: vec!["ssh-ed25519 not-base64!".into()],
        ..lxc(None)
    };
    let fields = rejected(&world, &request).await;
    assert_eq!(
        fields,
        [
            "cores",
            "disk",
            "memory",
            "name",
            "network.bridge",
            "network.vlan",
            "ssh_public_keys[0]",
            "template"
        ]
    );
    world.assert_no_job_and_no_proxmox_change().await;
}

#[tokio::test]
async fn the_type_decides_which_source_is_needed() {
    let world = World::new().await;
    assert_eq!(rejected(&world, &CreateInstance::default()).await, ["type"]);
    let vm = CreateInstance {
        kind: Some("vm".into()),
        ..CreateInstance::default()
    };
    assert_eq!(rejected(&world, &vm).await, ["iso"]);
    let both = CreateInstance {
        iso: Some("local:iso/x.iso".into()),
        clone_from: Some(9000),
        ..vm.clone()
    };
    assert_eq!(rejected(&world, &both).await, ["iso"]);
    let mixed = CreateInstance {
        iso: Some("local:iso/x.iso".into()),
        ..lxc(None)
    };
    assert_eq!(rejected(&world, &mixed).await, ["iso"]);
    let template = CreateInstance {
        clone_from: Some(9000),
        ..vm
    };
    assert_eq!(
        rejected(&world, &template).await,
        ["clone_from"],
        "no such VM template in the mirror"
    );
    world.assert_no_job_and_no_proxmox_change().await;
}

#[tokio::test]
async fn things_the_cluster_does_not_have_are_field_errors() {
    let world = World::new().await;
    let missing_template = CreateInstance {
        template: Some("local:vztmpl/missing.tar.zst".into()),
        ..lxc(None)
    };
    assert_eq!(rejected(&world, &missing_template).await, ["template"]);
    let bridge = CreateInstance {
        network: NetworkRequest {
            bridge: Some("vmbr9".into()),
            vlan: None,
        },
        ..lxc(None)
    };
    assert_eq!(rejected(&world, &bridge).await, ["network.bridge"]);
    let node = CreateInstance {
        node: Some("pve9".into()),
        ..lxc(None)
    };
    assert_eq!(rejected(&world, &node).await, ["node"]);
    let storage = CreateInstance {
        storage: Some("nfs".into()),
        ..lxc(None)
    };
    assert_eq!(rejected(&world, &storage).await, ["storage"]);
    let cluster = CreateInstance {
        cluster: Some("elsewhere".into()),
        ..lxc(None)
    };
    assert_eq!(rejected(&world, &cluster).await, ["cluster"]);
    let huge = CreateInstance {
        memory: Some(128 << 10),
        cores: Some(64),
        disk: Some(1000),
        ..lxc(None)
    };
    assert_eq!(rejected(&world, &huge).await, ["cores", "disk", "memory"]);
    world.assert_no_job_and_no_proxmox_change().await;
}

#[tokio::test]
async fn what_the_request_leaves_out_is_filled_in() {
    let world = World::new().await;
    let minimal = CreateInstance {
        kind: Some("lxc".into()),
        template: lxc(None).template,
        ssh_public_keys: lxc(None).ssh_public_keys,
        ..CreateInstance::default()
    };
    let job = world
        .service
        .create(&world.alice, &minimal, None)
        .await
        .unwrap()
        .job;
    let stored = world.store.jobs().get(job.id).await.unwrap();
    let plan: CreatePlan = serde_json::from_value(stored.params).unwrap();
    let defaults = ResourceDefaults::default();
    assert_eq!(
        (plan.cores, plan.memory_mib, plan.disk_gib),
        (defaults.cores, defaults.memory_mib, defaults.disk_gib)
    );
    assert_eq!(names::dns_label_problem(&plan.name), None);
    assert_eq!(
        plan.name.split('-').count(),
        3,
        "adjective-animal-NN: {}",
        plan.name
    );
    assert_eq!(
        (
            plan.node.as_str(),
            plan.storage.as_str(),
            plan.bridge.as_str()
        ),
        ("pve2", "local-lvm", "vmbr0")
    );
    assert_eq!(plan.cluster_id, world.cluster_id);
    assert!(plan.start);
    assert!(matches!(plan.source, Source::LxcTemplate { .. }));
    assert_eq!(stored.steps.len(), 5);

    let pinned = CreateInstance {
        node: Some("pve1".into()),
        start: Some(false),
        ..lxc(Some("db"))
    };
    let job = world
        .service
        .create(&world.alice, &pinned, None)
        .await
        .unwrap()
        .job;
    let plan: CreatePlan =
        serde_json::from_value(world.store.jobs().get(job.id).await.unwrap().params).unwrap();
    assert_eq!((plan.node.as_str(), plan.name.as_str()), ("pve1", "db"));
    let steps: Vec<_> = job.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        steps,
        ["reserve", "create", "await_create", "finalize"],
        "no start step"
    );
}

#[tokio::test]
async fn readonly_users_cannot_create_and_keys_return_the_first_job() {
    let world = World::new().await;
    let refused = world.service.create(&world.reader, &lxc(None), None).await;
    assert!(
        matches!(refused, Err(DomainError::Forbidden(_))),
        "{refused:?}"
    );

    let first = world
        .service
        .create(&world.alice, &lxc(None), Some("create-1"))
        .await
        .unwrap();
    // The retry would not even validate any more (no such template): it is not looked at.
    let changed = CreateInstance {
        template: Some("local:vztmpl/gone.tar.zst".into()),
        ..lxc(None)
    };
    let again = world
        .service
        .create(&world.alice, &changed, Some("create-1"))
        .await
        .unwrap();
    assert!(first.created && !again.created);
    assert_eq!(first.job.id, again.job.id);
    let other = world
        .service
        .create(&world.bob, &lxc(None), Some("create-1"))
        .await
        .unwrap();
    assert_ne!(other.job.id, first.job.id, "keys are per user");
}
