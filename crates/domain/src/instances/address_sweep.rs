//! Addresses learned in the background for every running guest (`instances.addresses`,
//! a deployment-scoped [`Periodic`] worker), never per list request.
//!
//! `/cluster/resources` has no addresses, so each guest is asked on its own: one call
//! per guest. A cycle makes at most [`Sweep::budget`] of them, in this order:
//! 1. running guests whose addresses are unknown, or were learned before the guest
//!    last started (a new lease is likely) — the most recently started first;
//! 2. guests whose addresses are older than [`Sweep::refresh_after`], oldest first.
//!
//! A guest that could not tell (no agent, still booting, node unreachable) is left
//! alone for [`Sweep::retry_after`], so a few silent guests never starve the others.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use proxicloud_pve::Pve;
use proxicloud_store::{Guest, Store, Timestamp, Uuid};

use super::addresses::{AddressLearner, Learned};
use crate::clusters::PveConnector;
use crate::workers::{Periodic, WorkerScope};

pub const WORKER: &str = "instances.addresses";

/// How the sweep spends its calls.
#[derive(Debug, Clone, Copy)]
pub struct Sweep {
    /// Time between cycles.
    pub interval: Duration,
    /// Proxmox calls per cycle at most.
    pub budget: usize,
    /// Known addresses are asked again after this long.
    pub refresh_after: Duration,
    /// A guest that did not answer is asked again after this long.
    pub retry_after: Duration,
}

impl Default for Sweep {
    /// 10 calls every 5 s: 40 new guests known within 20 s; at most 2 calls/s to Proxmox.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            budget: 10,
            refresh_after: Duration::from_secs(15 * 60),
            retry_after: Duration::from_secs(60),
        }
    }
}

pub struct AddressSweep {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    learner: AddressLearner,
    sweep: Sweep,
    /// When each guest was last asked without an answer.
    unanswered: Mutex<HashMap<Uuid, Timestamp>>,
}

impl AddressSweep {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        learner: AddressLearner,
        sweep: Sweep,
    ) -> Self {
        Self {
            store,
            connector,
            learner,
            sweep,
            unanswered: Mutex::new(HashMap::new()),
        }
    }

    /// The sweep as a background worker.
    pub fn worker(self: Arc<Self>) -> Arc<dyn crate::workers::BackgroundWorker> {
        let interval = self.sweep.interval;
        Arc::new(Periodic::new(
            WORKER,
            WorkerScope::Deployment,
            interval,
            move || {
                let sweep = self.clone();
                async move { sweep.cycle().await.map(drop) }
            },
        ))
    }

    /// One cycle: asks up to `budget` guests; returns how many were asked.
    pub async fn cycle(&self) -> Result<usize, String> {
        let guests = self
            .store
            .guests()
            .list_live()
            .await
            .map_err(|e| e.to_string())?;
        let now = Timestamp::now();
        let chosen = {
            let mut unanswered = self.unanswered.lock();
            unanswered.retain(|_, at| *at + self.sweep.retry_after > now);
            choose(&guests, now, &unanswered, &self.sweep)
        };
        // One connection per cluster and cycle, not one per guest (a cluster that cannot
        // be reached is not tried again for its other guests).
        let mut clusters: HashMap<Uuid, Option<Arc<dyn Pve>>> = HashMap::new();
        for guest in &chosen {
            if let Entry::Vacant(entry) = clusters.entry(guest.cluster_id) {
                entry.insert(self.connector.pve(guest.cluster_id).await.ok());
            }
            let answered = match &clusters[&guest.cluster_id] {
                Some(pve) => matches!(
                    self.learner.learn(pve.as_ref(), guest).await,
                    Ok(Learned::Known(_))
                ),
                None => false,
            };
            if !answered {
                self.unanswered.lock().insert(guest.id, now);
            }
        }
        Ok(chosen.len())
    }
}

/// The guests to ask this cycle, in the order of the module's rules.
fn choose<'a>(
    guests: &'a [Guest],
    now: Timestamp,
    unanswered: &HashMap<Uuid, Timestamp>,
    sweep: &Sweep,
) -> Vec<&'a Guest> {
    let running = guests.iter().filter(|guest| {
        guest.observed.status == "running"
            && !guest.observed.template
            && !unanswered.contains_key(&guest.id)
    });
    // The uptime is as of when the mirror last saw the guest, not as of now.
    let started_at =
        |guest: &Guest| guest.seen_at.unwrap_or(now) - Duration::from_secs(guest.observed.uptime);
    let (mut fresh, mut stale): (Vec<&Guest>, Vec<&Guest>) = running
        .filter(|guest| match guest.addresses_at {
            None => true,
            Some(at) => at < started_at(guest) || at + sweep.refresh_after < now,
        })
        .partition(|guest| guest.addresses_at.is_none_or(|at| at < started_at(guest)));
    fresh.sort_by_key(|guest| std::cmp::Reverse(started_at(guest)));
    stale.sort_by_key(|guest| guest.addresses_at);
    fresh.into_iter().chain(stale).take(sweep.budget).collect()
}

#[cfg(test)]
mod tests {
    use proxicloud_pve::{GuestType, VmId};
    use proxicloud_store::GuestObservation;

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn guest(vmid: u32, status: &str, uptime_secs: u64, learned: Option<Timestamp>) -> Guest {
        Guest {
            id: Uuid::now_v7(),
            cluster_id: Uuid::nil(),
            observed: GuestObservation {
                vmid: VmId::new(vmid).unwrap(),
                node: "pve1".into(),
                kind: GuestType::Lxc,
                name: format!("g{vmid}"),
                status: status.into(),
                cpus: 1.0,
                maxmem: 1 << 30,
                mem: 0,
                maxdisk: 1 << 32,
                disk: 0,
                uptime: uptime_secs,
                template: false,
                lock: None,
                tags: None,
                activity: Default::default(),
            },
            owner_id: None,
            managed: false,
            created_by_job: None,
            created_at: Timestamp::now(),
            seen_at: Some(Timestamp::now()),
            removed_at: None,
            addresses: learned.map(|_| vec!["10.0.0.1".into()]),
            addresses_at: learned,
        }
    }

    fn vmids(chosen: &[&Guest]) -> Vec<u32> {
        chosen.iter().map(|g| g.observed.vmid.get()).collect()
    }

    #[test]
    fn unknown_and_restarted_guests_come_first_newest_start_first_then_the_stalest() {
        let now = Timestamp::now();
        let sweep = Sweep {
            budget: 4,
            ..Sweep::default()
        };
        let guests = vec![
            guest(100, "stopped", 0, None),                  // not running: never
            guest(101, "running", 3600, Some(now - MINUTE)), // known, recent: not yet
            guest(102, "running", 7200, Some(now - MINUTE * 30)), // known, stale
            guest(103, "running", 7200, Some(now - MINUTE * 20)), // known, less stale
            guest(104, "running", 600, None),                // unknown, started 10 min ago
            guest(105, "running", 30, None),                 // unknown, just started
            guest(106, "running", 60, Some(now - MINUTE * 5)), // learned before it restarted
        ];
        let chosen = choose(&guests, now, &HashMap::new(), &sweep);
        assert_eq!(
            vmids(&chosen),
            [105, 106, 104, 102],
            "the budget cuts the rest"
        );

        let everything = Sweep {
            budget: 100,
            ..sweep
        };
        let chosen = choose(&guests, now, &HashMap::new(), &everything);
        assert_eq!(vmids(&chosen), [105, 106, 104, 102, 103]);

        // A guest that did not answer waits its turn out.
        let silent = HashMap::from([(guests[5].id, now)]);
        let chosen = choose(&guests, now, &silent, &everything);
        assert_eq!(vmids(&chosen), [106, 104, 102, 103]);
    }

    #[test]
    fn a_guests_uptime_counts_from_when_the_mirror_saw_it() {
        let now = Timestamp::now();
        let seconds = Duration::from_secs;
        // Seen 30 s ago with 60 s of uptime: started 90 s ago, so addresses learned
        // 75 s ago are from this boot (counting from now, it would seem restarted).
        let mut seen_earlier = guest(107, "running", 60, Some(now - seconds(75)));
        seen_earlier.seen_at = Some(now - seconds(30));
        // Learned 100 s ago, before it started (95 s ago): asked again.
        let mut restarted = guest(108, "running", 65, Some(now - seconds(100)));
        restarted.seen_at = Some(now - seconds(30));
        let guests = vec![seen_earlier, restarted];
        let chosen = choose(&guests, now, &HashMap::new(), &Sweep::default());
        assert_eq!(vmids(&chosen), [108]);
    }
}
