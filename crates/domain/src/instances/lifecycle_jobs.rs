//! `instance.start|stop|shutdown|reboot` (one step each) and `instance.terminate`
//! (stop → destroy → forget). Every step re-locates the guest first, so a guest
//! migrated since the mirror last looked is still found.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::Pve;
use proxicloud_store::{Store, StoreError};
use serde_json::json;

use super::addresses::AddressLearner;
use super::create_job::connect_error;
use super::pve_steps::{Power, Target, destroy, run_power};
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::events::{Audience, EventBus};
use crate::jobs::{JobHandler, JobRun, StepError};

pub const TERMINATE_KIND: &str = "instance.terminate";

pub mod terminate_steps {
    pub const STOP: &str = "stop";
    pub const DESTROY: &str = "destroy";
    pub const FORGET: &str = "forget";
    pub const ALL: [&str; 3] = [STOP, DESTROY, FORGET];
}

/// `instance.start` for `Power::Start`, and so on.
pub fn power_kind(power: Power) -> String {
    format!("instance.{}", power.as_str())
}

/// The job's target, with the node the mirror knows now (it may have migrated since
/// the job was queued), then where Proxmox says it is. `None`: no such guest any more.
async fn current_target(
    store: &dyn Store,
    pve: &dyn Pve,
    run: &JobRun<'_>,
) -> Result<Option<Target>, StepError> {
    let mut target: Target = run.params()?;
    match store.guests().get(target.guest_id).await {
        Ok(guest) if guest.observed.vmid == target.vmid => target.node = guest.observed.node,
        Ok(_) | Err(StoreError::NotFound) => {}
        Err(error) => return Err(error.into()),
    }
    Ok(target.locate(pve).await?.then_some(target))
}

pub struct PowerHandler {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    power: Power,
    /// Brings the mirror up to date once the guest changed state, so the console
    /// shows it at once rather than at the next poll.
    refresh: Option<Arc<dyn MirrorRefresh>>,
    /// Learns the addresses of a guest this job started or rebooted.
    addresses: AddressLearner,
}

impl PowerHandler {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        power: Power,
        refresh: Option<Arc<dyn MirrorRefresh>>,
        addresses: AddressLearner,
    ) -> Self {
        Self {
            store,
            connector,
            power,
            refresh,
            addresses,
        }
    }
}

#[async_trait]
impl JobHandler for PowerHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, _step: &str) -> Result<(), StepError> {
        let params: Target = run.params()?;
        let pve = self
            .connector
            .pve(params.cluster_id)
            .await
            .map_err(connect_error)?;
        let Some(target) = current_target(self.store.as_ref(), pve.as_ref(), run).await? else {
            return Err(StepError::failed(format!(
                "guest {} no longer exists on Proxmox VE",
                params.vmid
            )));
        };
        run_power(run, pve.as_ref(), &target, self.power).await?;
        if let Some(refresh) = &self.refresh
            && let Err(error) = refresh.refresh(params.cluster_id).await
        {
            // The next scheduled poll catches up; the power action itself succeeded.
            tracing::warn!(job = %run.id(), %error, "could not refresh the inventory after a power action");
        }
        if matches!(self.power, Power::Start | Power::Reboot) {
            self.addresses
                .learn_after_start(pve.as_ref(), &target)
                .await;
        }
        Ok(())
    }
}

pub struct TerminateHandler {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    events: Arc<EventBus>,
}

impl TerminateHandler {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        events: Arc<EventBus>,
    ) -> Self {
        Self {
            store,
            connector,
            events,
        }
    }

    async fn forget(&self, run: &mut JobRun<'_>) -> Result<(), StepError> {
        let target: Target = run.params()?;
        let owner = match self.store.guests().get(target.guest_id).await {
            Ok(guest) => guest.owner_id,
            Err(StoreError::NotFound) => {
                run.skip_step("already removed from the inventory");
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        match self.store.guests().delete(target.guest_id).await {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
        self.events.publish(
            "instance.disappeared",
            Audience::Owner(owner.map(|id| id.to_string())),
            json!({ "id": target.guest_id, "cluster_id": target.cluster_id, "vmid": target.vmid }),
        );
        run.set_detail(format!("instance {} removed", target.guest_id));
        Ok(())
    }
}

#[async_trait]
impl JobHandler for TerminateHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        if step == terminate_steps::FORGET {
            return self.forget(run).await;
        }
        let params: Target = run.params()?;
        let pve = self
            .connector
            .pve(params.cluster_id)
            .await
            .map_err(connect_error)?;
        let Some(target) = current_target(self.store.as_ref(), pve.as_ref(), run).await? else {
            run.skip_step(format!("guest {} is already gone", params.vmid));
            return Ok(());
        };
        match step {
            terminate_steps::STOP => run_power(run, pve.as_ref(), &target, Power::Stop).await,
            terminate_steps::DESTROY => destroy(run, pve.as_ref(), &target).await,
            other => Err(StepError::failed(format!(
                "unknown step '{other}' of {TERMINATE_KIND}"
            ))),
        }
    }
}
