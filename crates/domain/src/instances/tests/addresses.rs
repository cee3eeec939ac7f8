//! Addresses learned after a job brought a guest up: stored, published, retried while
//! the guest cannot tell yet, and never a reason for the job to fail.

use std::time::Duration;

use proxicloud_pve::fake::{AddressAnswer, Failure, FakePve};
use proxicloud_pve::{GuestAddress, GuestAddresses, PveError, UnavailableReason};
use proxicloud_store::JobStatus;

use super::world::World;
use crate::instances::{AddressLearner, Learned, Power, Target};

/// The `instance.changed` events published so far that carry addresses.
fn address_events(world: &World) -> Vec<serde_json::Value> {
    let (replay, _) = world.events.subscribe(Some(0));
    replay
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "instance.changed" && e.data.get("addresses").is_some())
        .map(|e| e.data.clone())
        .collect()
}

#[tokio::test]
async fn a_started_instance_learns_its_addresses_and_tells_open_consoles() {
    let world = World::new().await;
    let guest = world.started_instance("web").await;
    let [_, _, high, low] = guest.observed.vmid.get().to_be_bytes();
    let expected = vec![format!("10.0.{high}.{low}")];
    assert_eq!(guest.addresses.as_ref(), Some(&expected));
    assert!(guest.addresses_at.is_some());

    let events = address_events(&world);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["id"], guest.id.to_string());
    assert_eq!(events[0]["cluster_id"], world.cluster_id.to_string());
    assert_eq!(events[0]["addresses"], serde_json::json!(expected));

    // A reboot learns them again; unchanged addresses are not published again.
    let engine = world.engine().await;
    let reboot = world
        .service
        .power(&world.alice, guest.id, Power::Reboot, None)
        .await
        .unwrap()
        .submitted
        .job;
    assert_eq!(world.finished(reboot.id).await.status, JobStatus::Succeeded);
    engine.shutdown().await;
    assert_eq!(world.pve.calls("guest_addresses"), 2);
    assert_eq!(address_events(&world).len(), 1);
}

#[tokio::test]
async fn a_refused_address_lookup_never_fails_the_job() {
    let world = World::new().await;
    refuse_address_lookups(&world);
    let guest = world.started_instance("web").await;
    assert_eq!(guest.addresses, None, "still unknown");
    // Refused is final: no retries.
    assert_eq!(world.pve.calls("guest_addresses"), 1);
    assert!(address_events(&world).is_empty());
}

/// As for a token without `VM.Audit`: the world's own learner finds nothing.
fn refuse_address_lookups(world: &World) {
    let refused = Failure::Refused;
    world.pve.fail_calls(Some("guest_addresses"), refused);
}

/// A Proxmox that answers address lookups from a script, one answer per call.
fn scripted(answers: Vec<AddressAnswer>) -> FakePve {
    FakePve::builder().addresses(answers).build()
}

/// How many scripted answers are left; panics if it was asked past its script.
fn left(pve: &FakePve, scripted: usize) -> usize {
    let left = pve.scripted_addresses_left();
    let asked = pve.calls("guest_addresses");
    assert_eq!(asked + left, scripted, "asked past the script");
    left
}

fn known(addresses: &[&str]) -> AddressAnswer {
    Ok(GuestAddresses::Known(
        addresses
            .iter()
            .map(|a| GuestAddress {
                interface: "eth0".into(),
                address: a.parse().unwrap(),
                prefix: Some(24),
            })
            .collect(),
    ))
}

fn learner(world: &World) -> AddressLearner {
    AddressLearner::new(world.store.clone(), world.events.clone())
        .with_delays(&[Duration::from_millis(1); 4])
}

#[tokio::test]
async fn learning_after_a_start_waits_for_the_agent_and_the_lease() {
    let world = World::new().await;
    refuse_address_lookups(&world);
    let guest = world.started_instance("vm").await;
    let pve = scripted(vec![
        Ok(GuestAddresses::Unavailable(
            UnavailableReason::AgentNotRunning,
        )),
        Err(PveError::Timeout {
            what: "GET agent".into(),
        }),
        known(&[]),
        known(&["192.0.2.7"]),
    ]);
    learner(&world)
        .learn_after_start(&pve, &Target::of(&guest))
        .await;
    assert_eq!(left(&pve, 4), 0);
    let row = world.store.guests().get(guest.id).await.unwrap();
    assert_eq!(row.addresses, Some(vec!["192.0.2.7".to_owned()]));
}

#[tokio::test]
async fn a_guest_that_never_gets_a_lease_is_known_to_have_none() {
    let world = World::new().await;
    refuse_address_lookups(&world);
    let guest = world.started_instance("quiet").await;
    let pve = scripted(vec![known(&[]), known(&[]), known(&[]), known(&[])]);
    learner(&world)
        .learn_after_start(&pve, &Target::of(&guest))
        .await;
    left(&pve, 4);
    let row = world.store.guests().get(guest.id).await.unwrap();
    assert_eq!(row.addresses, Some(vec![]));
}

#[tokio::test]
async fn a_vm_without_an_agent_is_known_to_report_none() {
    let world = World::new().await;
    refuse_address_lookups(&world);
    let no_agent = || {
        Ok(GuestAddresses::Unavailable(
            UnavailableReason::NoAgentConfigured,
        ))
    };
    // After a start: one call, not asked again, and known (the console stops saying
    // it is learning them).
    let started = world.started_instance("agentless").await;
    assert_eq!(started.addresses, None);
    let pve = scripted(vec![no_agent(), known(&["192.0.2.9"])]);
    learner(&world)
        .learn_after_start(&pve, &Target::of(&started))
        .await;
    assert_eq!(left(&pve, 2), 1, "no agent: not asked again");
    let row = world.store.guests().get(started.id).await.unwrap();
    assert_eq!(row.addresses, Some(vec![]));
    assert_eq!(address_events(&world)[0]["addresses_known"], true);

    // From the background sweep, the same.
    let swept = world.started_instance("agentless-too").await;
    let pve = scripted(vec![no_agent()]);
    let learned = learner(&world).learn(&pve, &swept).await.unwrap();
    assert!(matches!(learned, Learned::Known(ref none) if none.is_empty()));
    let row = world.store.guests().get(swept.id).await.unwrap();
    assert_eq!(row.addresses, Some(vec![]));
}
