use std::sync::Arc;

use proxicloud_store::{
    GuestQuery, GuestReservation, IoCounters, IoRates, PageRequest, STATUS_CREATING, Store,
};
use proxicloud_types::{GuestType, VmId};

use crate::fixtures::{Lab, cluster, guest, lab_with, reservation, snapshot};

pub async fn the_first_sync_reports_every_guest_as_appeared(store: Arc<dyn Store>) {
    let lab = cluster(&*store, "lab").await;
    let observed = vec![
        guest(100, GuestType::Qemu, "db", "running"),
        guest(101, GuestType::Lxc, "web", "stopped"),
    ];
    let first = snapshot(observed.clone());
    let report = store.inventory().sync(lab.id, &first).await.unwrap();
    assert_eq!(report.appeared.len(), 2);
    assert!(report.changed.is_empty() && report.disappeared.is_empty());

    for (id, expected) in report.appeared.iter().zip(&observed) {
        let stored = store.guests().get(*id).await.unwrap();
        assert_eq!(&stored.observed, expected);
        assert_eq!(stored.cluster_id, lab.id);
        assert_eq!(
            (stored.owner_id, stored.managed, stored.created_by_job),
            (None, false, None),
            "found, not ours"
        );
        assert_eq!(stored.seen_at, Some(first.observed_at));
        assert_eq!(stored.created_at, first.observed_at);
        assert_eq!(stored.removed_at, None);
    }
    let again = store
        .inventory()
        .sync(lab.id, &snapshot(observed))
        .await
        .unwrap();
    assert!(
        again.is_empty(),
        "an identical snapshot changes nothing: {again:?}"
    );
}

pub async fn later_syncs_report_changes_and_disappearances_but_not_usage(store: Arc<dyn Store>) {
    let vms: Vec<_> = (100..105)
        .map(|vmid| guest(vmid, GuestType::Qemu, &format!("vm{vmid}"), "running"))
        .collect();
    let Lab {
        cluster: lab,
        guests: ids,
        ..
    } = lab_with(&*store, vms.clone()).await;

    let mut next = vms.clone();
    next[0].mem += 4096; // usage only
    next[0].uptime += 10;
    next[1].status = "stopped".into();
    next[2].name = "renamed".into();
    next[3].node = "pve2".into();
    next.remove(4); // deleted on Proxmox
    next.push(guest(200, GuestType::Lxc, "new", "running"));
    let second = snapshot(next.clone());
    let report = store.inventory().sync(lab.id, &second).await.unwrap();
    assert_eq!(report.changed, vec![ids[1], ids[2], ids[3]]);
    assert_eq!(report.disappeared, vec![ids[4]]);
    assert_eq!(report.appeared.len(), 1);

    let usage = store.guests().get(ids[0]).await.unwrap();
    let mut expected = next[0].clone();
    // Its I/O counters did not move since the first sync: rates of zero.
    expected.activity.rates = IoRates {
        netin: Some(0.0),
        netout: Some(0.0),
        diskread: Some(0.0),
        diskwrite: Some(0.0),
    };
    assert_eq!(usage.observed, expected, "usage is still refreshed");
    assert_eq!(usage.seen_at, Some(second.observed_at));
    let gone = store.guests().get(ids[4]).await.unwrap();
    assert_eq!(gone.removed_at, Some(second.observed_at), "history is kept");
    let live = store
        .guests()
        .list(&GuestQuery::default(), PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(live.items.len(), 5);
    assert!(live.items.iter().all(|g| g.id != ids[4]));

    // The vmid of a removed guest is free for a new one.
    let back = snapshot(vec![guest(104, GuestType::Qemu, "vm104-again", "running")]);
    let report = store.inventory().sync(lab.id, &back).await.unwrap();
    assert_eq!(report.appeared.len(), 1);
    assert_ne!(report.appeared[0], ids[4]);
}

pub async fn ids_and_ownership_survive_every_sync(store: Arc<dyn Store>) {
    let observed = vec![guest(100, GuestType::Lxc, "ct", "running")];
    let Lab {
        cluster: lab,
        olga: owner,
        guests,
    } = lab_with(&*store, observed.clone()).await;
    let id = guests[0];
    store.guests().set_owner(id, Some(owner.id)).await.unwrap();

    for status in ["stopped", "running", "stopped"] {
        let mut changed = observed.clone();
        changed[0].status = status.into();
        changed[0].name = format!("ct-{status}");
        let report = store
            .inventory()
            .sync(lab.id, &snapshot(changed))
            .await
            .unwrap();
        assert_eq!(report.changed, vec![id]);
        let stored = store.guests().get(id).await.unwrap();
        assert_eq!(stored.owner_id, Some(owner.id));
        assert_eq!(stored.observed.status, status);
    }
    let found = store
        .guests()
        .find_by_vmid(lab.id, VmId::new(100).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
}

pub async fn reservations_wait_for_proxmox_then_become_real(store: Arc<dyn Store>) {
    let Lab {
        cluster: lab,
        olga: owner,
        ..
    } = lab_with(&*store, Vec::new()).await;
    let reservation = GuestReservation {
        name: "brave-otter-07".into(),
        ..reservation(&*store, lab.id, 150, owner.id).await
    };
    let (job_id, chosen_id) = (reservation.job_id, reservation.id);
    let reserved = store.guests().reserve(reservation).await.unwrap();
    assert_eq!(reserved.id, chosen_id, "the caller chose the instance id");
    assert_eq!(reserved.observed.status, STATUS_CREATING);
    assert_eq!(
        (reserved.owner_id, reserved.managed, reserved.created_by_job),
        (Some(owner.id), true, Some(job_id))
    );
    assert_eq!(reserved.seen_at, None);

    // Proxmox has not created it yet: the sync leaves the reservation alone.
    let report = store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![guest(100, GuestType::Qemu, "other", "running")]),
        )
        .await
        .unwrap();
    assert!(!report.disappeared.contains(&reserved.id));
    assert_eq!(
        store.guests().get(reserved.id).await.unwrap().removed_at,
        None
    );

    let mut created = guest(150, GuestType::Lxc, "brave-otter-07", "stopped");
    created.node = "pve2".into();
    let second = snapshot(vec![
        guest(100, GuestType::Qemu, "other", "running"),
        created.clone(),
    ]);
    let report = store.inventory().sync(lab.id, &second).await.unwrap();
    assert_eq!(report.changed, vec![reserved.id]);
    assert!(
        report.appeared.is_empty(),
        "the reservation is the guest, not a new one"
    );
    let real = store.guests().get(reserved.id).await.unwrap();
    assert_eq!(real.observed, created);
    assert_eq!(
        (real.owner_id, real.managed, real.created_by_job),
        (Some(owner.id), true, Some(job_id))
    );
    assert_eq!(real.created_at, reserved.created_at);
    assert_eq!(real.seen_at, Some(second.observed_at));

    // Once Proxmox has reported it, its absence means it is gone.
    let report = store
        .inventory()
        .sync(lab.id, &snapshot(vec![]))
        .await
        .unwrap();
    assert!(report.disappeared.contains(&reserved.id));
}

pub async fn a_vmid_reused_by_another_kind_of_guest_is_a_new_guest(store: Arc<dyn Store>) {
    let vm = vec![guest(100, GuestType::Qemu, "vm", "running")];
    let Lab {
        cluster: lab,
        olga: owner,
        guests,
    } = lab_with(&*store, vm).await;
    let old = guests[0];
    store.guests().set_owner(old, Some(owner.id)).await.unwrap();

    let report = store
        .inventory()
        .sync(
            lab.id,
            &snapshot(vec![guest(100, GuestType::Lxc, "ct", "running")]),
        )
        .await
        .unwrap();
    assert_eq!(report.disappeared, vec![old]);
    assert_eq!(report.appeared.len(), 1);
    let new = store.guests().get(report.appeared[0]).await.unwrap();
    assert_eq!(
        new.owner_id, None,
        "the owner of the old VM does not get the new container"
    );
    assert_eq!(new.observed.kind, GuestType::Lxc);
}

/// While Proxmox creates a guest it reports a placeholder name (`CT150`) under
/// `lock: create`; the name the user chose must survive, or finding the instance by
/// name fails until the creation ends.
pub async fn a_reserved_name_survives_the_placeholder_reported_during_creation(
    store: Arc<dyn Store>,
) {
    let Lab {
        cluster: lab,
        olga: owner,
        ..
    } = lab_with(&*store, Vec::new()).await;
    let reservation = GuestReservation {
        name: "brave-otter-07".into(),
        ..reservation(&*store, lab.id, 150, owner.id).await
    };
    let reserved = store.guests().reserve(reservation).await.unwrap();

    let mut creating = guest(150, GuestType::Lxc, "CT150", "stopped");
    creating.lock = Some("create".into());
    for poll in 0..2 {
        let report = store
            .inventory()
            .sync(lab.id, &snapshot(vec![creating.clone()]))
            .await
            .unwrap();
        // First reported: changed; the same placeholder again is no change to announce.
        let expected = if poll == 0 { vec![reserved.id] } else { vec![] };
        assert_eq!(report.changed, expected);
        let mirrored = store.guests().get(reserved.id).await.unwrap();
        assert_eq!(mirrored.observed.name, "brave-otter-07");
        assert_eq!(mirrored.observed.lock.as_deref(), Some("create"));
        assert_eq!(mirrored.observed.status, "stopped", "the rest is Proxmox's");
    }
    let by_name = store
        .guests()
        .list(
            &GuestQuery {
                filter: proxicloud_store::GuestFilter {
                    name_contains: Some("brave-otter-07".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap();
    assert_eq!(
        by_name.items.iter().map(|g| g.id).collect::<Vec<_>>(),
        [reserved.id]
    );

    // Once the lock is gone, Proxmox's name is the truth again (here: a later rename).
    let renamed = guest(150, GuestType::Lxc, "renamed-later", "running");
    let report = store
        .inventory()
        .sync(lab.id, &snapshot(vec![renamed]))
        .await
        .unwrap();
    assert_eq!(report.changed, vec![reserved.id]);
    let real = store.guests().get(reserved.id).await.unwrap();
    assert_eq!(real.observed.name, "renamed-later");
    assert_eq!(real.observed.lock, None);
}

/// A VM clone is created under `lock: clone` (qemu-server's `clone_vm` writes it into
/// the new VM's config until the copy ends), reported as `VM151` meanwhile: the chosen
/// name survives that too (the console read "VM151 · stopped" before).
pub async fn a_reserved_name_survives_the_placeholder_of_a_vm_being_cloned(store: Arc<dyn Store>) {
    let Lab {
        cluster: lab,
        olga: owner,
        ..
    } = lab_with(&*store, Vec::new()).await;
    let reservation = GuestReservation {
        name: "web-clone".into(),
        kind: GuestType::Qemu,
        ..reservation(&*store, lab.id, 151, owner.id).await
    };
    let reserved = store.guests().reserve(reservation).await.unwrap();
    let mut cloning = guest(151, GuestType::Qemu, "VM151", "stopped");
    cloning.lock = Some("clone".into());
    for _ in 0..2 {
        store
            .inventory()
            .sync(lab.id, &snapshot(vec![cloning.clone()]))
            .await
            .unwrap();
        let mirrored = store.guests().get(reserved.id).await.unwrap();
        assert_eq!(mirrored.observed.name, "web-clone");
        assert_eq!(mirrored.observed.lock.as_deref(), Some("clone"));
    }
}

/// The sync keeps CPU and I/O counters and stores each guest's rate since its previous
/// sample (Δcounter / Δt); a counter that went down (a restart) stores no rate.
pub async fn io_rates_come_from_consecutive_samples(store: Arc<dyn Store>) {
    let mut vm = guest(100, GuestType::Qemu, "db", "running");
    vm.activity.cpu = 0.25;
    vm.activity.counters = IoCounters {
        netin: 1_000,
        netout: 5_000,
        diskread: 0,
        diskwrite: 100,
    };
    let Lab {
        cluster: lab,
        guests: ids,
        ..
    } = lab_with(&*store, vec![vm.clone()]).await;
    let first = store.guests().get(ids[0]).await.unwrap();
    assert_eq!(first.observed.activity.cpu, 0.25);
    assert_eq!(first.observed.activity.counters, vm.activity.counters);
    assert_eq!(first.observed.activity.rates, IoRates::default());

    let later = |counters: IoCounters, seconds: u64| {
        let mut next = vm.clone();
        next.activity.counters = counters;
        let mut taken = snapshot(vec![next]);
        taken.observed_at = first.seen_at.unwrap() + std::time::Duration::from_secs(seconds);
        taken
    };
    let grown = later(
        IoCounters {
            netin: 21_000,
            netout: 5_000,
            diskread: 4_000,
            diskwrite: 100,
        },
        10,
    );
    let report = store.inventory().sync(lab.id, &grown).await.unwrap();
    assert!(report.is_empty(), "usage is not a change: {report:?}");
    let rates = store
        .guests()
        .get(ids[0])
        .await
        .unwrap()
        .observed
        .activity
        .rates;
    assert_eq!(
        rates,
        IoRates {
            netin: Some(2_000.0),
            netout: Some(0.0),
            diskread: Some(400.0),
            diskwrite: Some(0.0),
        }
    );

    let restarted = later(
        IoCounters {
            netin: 10,
            netout: 9_000,
            diskread: 0,
            diskwrite: 0,
        },
        20,
    );
    store.inventory().sync(lab.id, &restarted).await.unwrap();
    let rates = store
        .guests()
        .get(ids[0])
        .await
        .unwrap()
        .observed
        .activity
        .rates;
    assert_eq!(rates.netin, None, "a counter that went down has no rate");
    assert_eq!(rates.netout, Some(400.0));
}
