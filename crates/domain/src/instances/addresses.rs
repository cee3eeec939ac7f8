//! Learning a guest's IP addresses. `/cluster/resources`, the inventory's one call per
//! poll cycle, has none, and asking every guest every cycle would multiply the calls,
//! so addresses are asked for one guest at moments that cost one call anyway: right
//! after a job started or rebooted it, and when someone opens its live config. What
//! the guest says is stored (the mirror serves it from then on) and, when it changed,
//! published as `instance.changed` so open consoles update the row.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_pve::{GuestAddresses, NodeName, Pve, PveError, UnavailableReason};
use proxicloud_store::{Guest, GuestAddresses as LearnedAddresses, Store, Timestamp};
use serde_json::json;

use super::pve_steps::Target;
use crate::events::{Audience, EventBus};

/// Waits before each attempt after a start: a container's DHCP lease or a VM's guest
/// agent usually takes a few seconds to appear, so about ten seconds in all.
pub const AFTER_START_DELAYS: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_millis(1500),
    Duration::from_secs(3),
    Duration::from_secs(5),
];

/// The most a job step spends learning addresses, slow answers included. The step
/// does not checkpoint meanwhile, so this stays well inside the job lease (30 s).
pub const AFTER_START_BUDGET: Duration = Duration::from_secs(12);

/// What asking once gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Learned {
    /// The guest told us (and we stored it).
    Known(Vec<String>),
    /// The guest cannot tell now (stopped, no agent); nothing was stored.
    Unavailable(UnavailableReason),
}

#[derive(Clone)]
pub struct AddressLearner {
    store: Arc<dyn Store>,
    events: Arc<EventBus>,
    delays: Arc<[Duration]>,
}

impl AddressLearner {
    pub fn new(store: Arc<dyn Store>, events: Arc<EventBus>) -> Self {
        Self {
            store,
            events,
            delays: Arc::new(AFTER_START_DELAYS),
        }
    }

    /// Other waits between attempts after a start (tests use short ones).
    pub fn with_delays(mut self, delays: &[Duration]) -> Self {
        self.delays = delays.into();
        self
    }

    /// Asks the guest once and stores what it says.
    pub async fn learn(&self, pve: &dyn Pve, guest: &Guest) -> Result<Learned, PveError> {
        match self.ask(pve, guest).await? {
            // Nothing in the VM will ever report one: known to have none, so the console
            // stops saying it is learning them.
            GuestAddresses::Unavailable(UnavailableReason::NoAgentConfigured) => {
                self.record(guest, &[]).await;
                Ok(Learned::Known(Vec::new()))
            }
            GuestAddresses::Unavailable(reason) => Ok(Learned::Unavailable(reason)),
            known @ GuestAddresses::Known(_) => {
                let addresses = known.texts().unwrap_or_default();
                self.record(guest, &addresses).await;
                Ok(Learned::Known(addresses))
            }
        }
    }

    /// Best effort after a job brought the guest up: a few attempts while DHCP or the
    /// agent catch up. Never fails — the job already did what it was asked; the
    /// addresses are learned again the next time someone opens the instance.
    pub async fn learn_after_start(&self, pve: &dyn Pve, target: &Target) {
        let attempts = self.attempts_after_start(pve, target);
        if tokio::time::timeout(AFTER_START_BUDGET, attempts)
            .await
            .is_err()
        {
            tracing::info!(guest_id = %target.guest_id, "gave up learning the guest's addresses");
        }
    }

    async fn attempts_after_start(&self, pve: &dyn Pve, target: &Target) {
        let guest_id = target.guest_id;
        // Where the job just found it, which the mirror may not know yet.
        let Ok(node) = target.node_name() else {
            return;
        };
        let mut known_empty = false;
        for delay in self.delays.iter() {
            tokio::time::sleep(*delay).await;
            match pve.guest_addresses(&node, target.kind, target.vmid).await {
                Ok(answer @ GuestAddresses::Known(_)) => {
                    let addresses = answer.texts().unwrap_or_default();
                    if !addresses.is_empty() {
                        self.record_for(target, &addresses).await;
                        return;
                    }
                    // Up, but no lease yet.
                    known_empty = true;
                }
                Ok(GuestAddresses::Unavailable(UnavailableReason::NoAgentConfigured)) => {
                    self.record_for(target, &[]).await;
                    return;
                }
                // Still booting, or its agent not started yet.
                Ok(GuestAddresses::Unavailable(_)) => {}
                Err(error) if error.is_transient() => {
                    tracing::debug!(%guest_id, %error, "address lookup failed, trying again");
                }
                Err(error) => {
                    tracing::info!(%guest_id, %error, "cannot learn the guest's addresses");
                    return;
                }
            }
        }
        if known_empty {
            self.record_for(target, &[]).await;
        }
    }

    /// [`Self::record`] for the job's guest, read now: it may have changed (or gone)
    /// while the job ran.
    async fn record_for(&self, target: &Target, addresses: &[String]) {
        match self.store.guests().get(target.guest_id).await {
            Ok(guest) => self.record(&guest, addresses).await,
            Err(error) => {
                tracing::debug!(guest_id = %target.guest_id, %error, "not storing addresses: guest not readable");
            }
        }
    }

    async fn ask(&self, pve: &dyn Pve, guest: &Guest) -> Result<GuestAddresses, PveError> {
        let observed = &guest.observed;
        let node = node_name(&observed.node)?;
        pve.guest_addresses(&node, observed.kind, observed.vmid)
            .await
    }

    /// Stores the addresses; publishes them when they differ from what was known.
    async fn record(&self, guest: &Guest, addresses: &[String]) {
        let learned = [LearnedAddresses {
            guest_id: guest.id,
            addresses: addresses.to_vec(),
        }];
        if let Err(error) = self
            .store
            .guests()
            .set_addresses(&learned, Timestamp::now())
            .await
        {
            tracing::warn!(guest_id = %guest.id, %error, "could not store the guest's addresses");
            return;
        }
        if guest.addresses.as_deref() == Some(addresses) {
            return;
        }
        self.events.publish(
            "instance.changed",
            Audience::Owner(guest.owner_id.map(|owner| owner.to_string())),
            json!({
                "id": guest.id,
                "cluster_id": guest.cluster_id,
                "vmid": guest.observed.vmid,
                "addresses": addresses,
                "addresses_known": true,
            }),
        );
    }
}

fn node_name(node: &str) -> Result<NodeName, PveError> {
    NodeName::new(node).map_err(|e| PveError::InvalidRequest(format!("mirrored node name: {e}")))
}
