//! Deciding what a snapshot changes, before any guest row is written. Pure, so the
//! rules are unit-tested without a database.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::Timestamp;
use crate::repo::guests::Guest;
use crate::repo::inventory::{GuestObservation, IoRates};

pub(crate) struct SyncPlan<'a> {
    /// Observations to upsert, one per vmid (the last one wins if Proxmox repeated one),
    /// each with its I/O rates since the row's previous sample.
    pub upserts: Vec<(&'a GuestObservation, IoRates)>,
    /// Live rows to mark removed: gone from the snapshot, or their vmid now holds the
    /// other kind of guest (a different guest that reused the number).
    pub removed: Vec<Uuid>,
    /// Live rows that stay and whose state changed.
    pub changed: Vec<Uuid>,
    /// Vmids that stay matched to a live row; an upserted vmid not in here is new.
    pub kept_vmids: HashSet<u32>,
}

pub(crate) fn plan<'a>(
    live: &[Guest],
    snapshot: &'a [GuestObservation],
    observed_at: Timestamp,
) -> SyncPlan<'a> {
    let mut by_vmid: HashMap<u32, &'a GuestObservation> = HashMap::with_capacity(snapshot.len());
    let mut order = Vec::with_capacity(snapshot.len());
    for observation in snapshot {
        if by_vmid
            .insert(observation.vmid.get(), observation)
            .is_none()
        {
            order.push(observation.vmid.get());
        }
    }
    // The previous sample of the same guest: the live row at the vmid, if it holds
    // the same kind and Proxmox reported it before (a reservation has no counters).
    let previous: HashMap<u32, &Guest> = live
        .iter()
        .filter(|g| g.seen_at.is_some())
        .map(|g| (g.observed.vmid.get(), g))
        .collect();
    let upserts = order
        .iter()
        .map(|vmid| {
            let seen = by_vmid[vmid];
            let rates = match previous.get(vmid) {
                Some(before) if before.observed.kind == seen.kind => IoRates::between(
                    &before.observed.activity.counters,
                    before.seen_at.unwrap_or(observed_at),
                    &seen.activity.counters,
                    observed_at,
                ),
                _ => IoRates::default(),
            };
            (seen, rates)
        })
        .collect();

    let mut removed = Vec::new();
    let mut changed = Vec::new();
    let mut kept_vmids = HashSet::with_capacity(live.len());
    for guest in live {
        let vmid = guest.observed.vmid.get();
        match by_vmid.get(&vmid) {
            Some(seen) if seen.kind == guest.observed.kind => {
                kept_vmids.insert(vmid);
                // A reservation that Proxmox reports for the first time has changed,
                // whatever its fields say: it stopped being a placeholder.
                if guest.seen_at.is_none() || differs_in_state(&guest.observed, seen) {
                    changed.push(guest.id);
                }
            }
            Some(_) => removed.push(guest.id),
            // Not reported yet: a reservation whose create job is still running.
            None if guest.seen_at.is_none() => {}
            None => removed.push(guest.id),
        }
    }
    SyncPlan {
        upserts,
        removed,
        changed,
        kept_vmids,
    }
}

/// Proxmox's lock on a guest it is still creating (or restoring over); its name is
/// then a placeholder (`CT112`, `VM112`) that `sync` does not store.
pub(crate) const LOCK_CREATE: &str = "create";
/// The lock a VM clone carries while Proxmox copies it (qemu-server's `clone_vm`
/// writes `lock: clone` into the new VM's config): it is being created too.
pub(crate) const LOCK_CLONE: &str = "clone";

/// Whether `seen` changes the stored state, given that a placeholder name reported
/// while the guest is being created is not written (see `guest_upsert`).
fn differs_in_state(stored: &GuestObservation, seen: &GuestObservation) -> bool {
    if matches!(seen.lock.as_deref(), Some(LOCK_CREATE | LOCK_CLONE)) && seen.name != stored.name {
        let written = GuestObservation {
            name: stored.name.clone(),
            ..seen.clone()
        };
        return stored.differs_in_state(&written);
    }
    stored.differs_in_state(seen)
}

#[cfg(test)]
mod tests {
    use proxicloud_types::{GuestType, VmId};

    use super::*;
    use crate::repo::inventory::{GuestActivity, IoCounters};

    fn observation(vmid: u32, kind: GuestType, status: &str) -> GuestObservation {
        GuestObservation {
            vmid: VmId::new(vmid).unwrap(),
            node: "pve1".into(),
            kind,
            name: format!("guest-{vmid}"),
            status: status.into(),
            cpus: 1.0,
            maxmem: 512,
            mem: 100,
            maxdisk: 1024,
            disk: 10,
            uptime: 5,
            template: false,
            lock: None,
            tags: None,
            activity: GuestActivity::default(),
        }
    }

    fn live(observed: GuestObservation, seen: bool) -> Guest {
        Guest {
            id: Uuid::now_v7(),
            cluster_id: Uuid::nil(),
            observed,
            owner_id: None,
            managed: false,
            created_by_job: None,
            created_at: Timestamp::now(),
            seen_at: seen.then(Timestamp::now),
            removed_at: None,
            addresses: None,
            addresses_at: None,
        }
    }

    #[test]
    fn classifies_kept_changed_removed_and_new() {
        let unchanged = live(observation(100, GuestType::Qemu, "running"), true);
        let started = live(observation(101, GuestType::Lxc, "stopped"), true);
        let deleted = live(observation(102, GuestType::Lxc, "stopped"), true);
        let reused = live(observation(103, GuestType::Lxc, "stopped"), true);
        let pending = live(observation(104, GuestType::Lxc, "creating"), false);
        let mut busy = observation(100, GuestType::Qemu, "running");
        busy.mem = 999_999;
        busy.uptime = 1000;
        let snapshot = vec![
            busy,
            observation(101, GuestType::Lxc, "running"),
            observation(103, GuestType::Qemu, "stopped"),
            observation(105, GuestType::Qemu, "stopped"),
        ];
        let guests = [
            unchanged,
            started.clone(),
            deleted.clone(),
            reused.clone(),
            pending,
        ];
        let plan = plan(&guests, &snapshot, Timestamp::now());
        assert_eq!(
            plan.changed,
            vec![started.id],
            "usage alone is not a change"
        );
        assert_eq!(plan.removed, vec![deleted.id, reused.id]);
        assert_eq!(plan.kept_vmids, HashSet::from([100, 101]));
        assert_eq!(plan.upserts.len(), 4);
    }

    #[test]
    fn a_reservation_reported_for_the_first_time_is_changed() {
        let pending = live(observation(104, GuestType::Lxc, "running"), false);
        let snapshot = vec![observation(104, GuestType::Lxc, "running")];
        let plan = plan(std::slice::from_ref(&pending), &snapshot, Timestamp::now());
        assert_eq!(plan.changed, vec![pending.id]);
    }

    #[test]
    fn a_placeholder_name_during_creation_is_no_change() {
        let mut creating = observation(104, GuestType::Lxc, "stopped");
        creating.lock = Some(LOCK_CREATE.into());
        let reserved = live(creating.clone(), true);
        let mut placeholder = creating.clone();
        placeholder.name = "CT104".into();
        let during = plan(
            std::slice::from_ref(&reserved),
            std::slice::from_ref(&placeholder),
            Timestamp::now(),
        );
        assert!(during.changed.is_empty());

        let mut created = creating;
        created.lock = None;
        created.name = "CT104".into();
        let after = plan(
            std::slice::from_ref(&reserved),
            std::slice::from_ref(&created),
            Timestamp::now(),
        );
        assert_eq!(
            after.changed,
            vec![reserved.id],
            "a rename after creation is"
        );
    }

    #[test]
    fn repeated_vmids_keep_the_last_observation() {
        let snapshot = vec![
            observation(100, GuestType::Lxc, "stopped"),
            observation(100, GuestType::Lxc, "running"),
        ];
        let plan = plan(&[], &snapshot, Timestamp::now());
        assert_eq!(plan.upserts.len(), 1);
        assert_eq!(plan.upserts[0].0.status, "running");
    }

    fn counters(netin: u64, netout: u64) -> IoCounters {
        IoCounters {
            netin,
            netout,
            diskread: 0,
            diskwrite: 0,
        }
    }

    /// Rate = Δcounter / Δt against the row's previous sample; a counter that went
    /// down (the guest restarted) gives no rate, never a negative one.
    #[test]
    fn rates_come_from_the_previous_sample_and_a_reset_gives_none() {
        let then = Timestamp::now();
        let now = then + std::time::Duration::from_secs(10);
        let mut before = observation(100, GuestType::Qemu, "running");
        before.activity.counters = counters(1_000, 50_000);
        let mut row = live(before, true);
        row.seen_at = Some(then);
        let mut seen = observation(100, GuestType::Qemu, "running");
        seen.activity.counters = counters(21_000, 10);
        let snapshot = [seen, observation(101, GuestType::Lxc, "running")];
        let plan = plan(std::slice::from_ref(&row), &snapshot, now);
        let rates = plan.upserts[0].1;
        assert_eq!(rates.netin, Some(2_000.0));
        assert_eq!(rates.netout, None, "a counter that went down is a reset");
        assert_eq!(rates.diskread, Some(0.0));
        assert_eq!(plan.upserts[1].1, IoRates::default(), "no earlier sample");
    }

    #[test]
    fn no_rate_when_no_time_passed_or_the_vmid_changed_kind() {
        let at = Timestamp::now();
        let mut row = live(observation(100, GuestType::Qemu, "running"), true);
        row.seen_at = Some(at);
        let vm = [observation(100, GuestType::Qemu, "running")];
        let same_time = plan(std::slice::from_ref(&row), &vm, at);
        assert_eq!(same_time.upserts[0].1, IoRates::default());
        let container = [observation(100, GuestType::Lxc, "running")];
        let later = at + std::time::Duration::from_secs(5);
        let other_kind = plan(std::slice::from_ref(&row), &container, later);
        assert_eq!(other_kind.upserts[0].1, IoRates::default());
    }
}
