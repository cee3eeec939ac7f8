//! `instance.create`: reserve → create → await_create → [configure] → [volumes] →
//! [secrets] → [start] → finalize.
//!
//! The guest is marked as this job's (`proxicloud-job=<job id>` in its description)
//! in the very request that creates it, so a job resumed after a crash — even one
//! that died between Proxmox accepting the request and the UPID being recorded —
//! recognises its guest and never creates a second one. A vmid that turns out to hold
//! someone else's guest is given up for another.
//!
//! A generated root password rides sealed in the plan until the create step has
//! handed it to Proxmox; the step then drops it from the job (`JobRun::drop_sealed`).

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{GuestType, Pve, PveError, Upid, VmId};
use proxicloud_store::{Guest, Store, StoreError};
use secrecy::SecretString;

use super::addresses::AddressLearner;
use super::clone_config::configure_clone;
use super::plan::{CreatePlan, Source, description, steps};
use super::pve_steps::{Power, Presence, Settled, Target, inspect, run_power, settled};
use super::reservation;
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::error::DomainError;
use crate::jobs::pve_task::{find_started_task, recorded_task};
use crate::jobs::{JobHandler, JobRun, StepError};
use crate::secrets::MasterKey;
use crate::vault::{Applier, VaultConfig, VaultService};
use crate::volumes::launch::attach_launch_volumes;

pub const KIND: &str = "instance.create";

/// Rounds of "someone else took the vmid".
const MAX_CREATE_ROUNDS: u32 = 30;

pub struct CreateHandler {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
    /// Learns the addresses of the guest once it started.
    addresses: AddressLearner,
    /// Opens the generated root password the plan carries sealed.
    master_key: Arc<MasterKey>,
    /// Sets the secrets chosen at launch (`secrets` step).
    secrets: Applier,
}

/// A cluster that cannot be reached is worth retrying; one that was removed is not.
pub(super) fn connect_error(error: DomainError) -> StepError {
    match error {
        DomainError::NotFound { .. } => {
            StepError::failed("the instance's cluster is no longer registered")
        }
        other => StepError::Transient(other.to_string()),
    }
}

impl CreateHandler {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        refresh: Option<Arc<dyn MirrorRefresh>>,
        addresses: AddressLearner,
        master_key: Arc<MasterKey>,
    ) -> Self {
        let vault = VaultService::new(store.clone(), master_key.clone(), VaultConfig::default());
        let secrets = Applier {
            store: store.clone(),
            connector: connector.clone(),
            vault: Arc::new(vault),
        };
        Self {
            store,
            connector,
            refresh,
            addresses,
            master_key,
            secrets,
        }
    }

    /// The generated root password, when the plan has one (opened per request, never
    /// kept). Gone although generated: the create step already handed it over.
    fn root_password(&self, plan: &CreatePlan) -> Result<Option<SecretString>, StepError> {
        if !plan.root_password {
            return Ok(None);
        }
        let (Some(sealed), Some(instance_id)) = (&plan.sealed, plan.instance_id) else {
            return Err(StepError::failed(
                "the generated root password is no longer available; launch again",
            ));
        };
        sealed
            .root_password(&self.master_key, instance_id)
            .map(Some)
    }

    async fn reservation(&self, run: &JobRun<'_>, plan: &CreatePlan) -> Result<Guest, StepError> {
        reservation::find(self.store.as_ref(), run, plan)
            .await?
            .ok_or_else(|| StepError::failed("the job's guest reservation has disappeared"))
    }

    async fn create(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        plan: &CreatePlan,
    ) -> Result<(), StepError> {
        let store = self.store.as_ref();
        let kind = plan.guest_type();
        let mut guest = reservation::ensure(store, pve, run, plan).await?;
        // Died between Proxmox accepting the request and recording its task? The task
        // list still names it; it, not the guest's marker (which a task that died
        // halfway never wrote), proves the guest is ours.
        if run.resumed_mid_step()
            && creation_task(run, plan, guest.observed.vmid).is_none()
            && let Some(upid) = started_creation(run, pve, plan, guest.observed.vmid).await?
        {
            return run.record_upid(&upid).await;
        }
        for _ in 0..MAX_CREATE_ROUNDS {
            let vmid = guest.observed.vmid;
            if creation_task(run, plan, vmid).is_some() {
                return Ok(());
            }
            match settled(run, pve, kind, vmid).await? {
                Settled::Ours => {
                    run.set_detail(format!(
                        "guest {vmid} was already created by an earlier attempt"
                    ));
                    return Ok(());
                }
                Settled::Foreign => {
                    guest = reservation::replace(store, pve, run, plan, guest).await?;
                    continue;
                }
                Settled::Absent => {}
            }
            let root_password = self.root_password(plan)?;
            match submit(
                pve,
                plan,
                vmid,
                &description(run.id()),
                root_password.as_ref(),
            )
            .await
            {
                Ok(upid) => return run.record_upid(&upid).await,
                // Taken since we looked: the next round tells ours from someone else's.
                Err(error) if error.is_already_exists() => {
                    if inspect(pve, kind, vmid, run.id()).await? == Presence::Absent {
                        guest = reservation::replace(store, pve, run, plan, guest).await?;
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StepError::failed(
            "could not find a vmid to create the guest under; the cluster is very busy",
        ))
    }

    async fn await_create(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        plan: &CreatePlan,
    ) -> Result<(), StepError> {
        let guest = self.reservation(run, plan).await?;
        let vmid = guest.observed.vmid;
        if let Some(upid) = creation_task(run, plan, vmid) {
            run.wait_task(pve, &upid).await?;
        }
        match settled(run, pve, plan.guest_type(), vmid).await? {
            Settled::Ours => {
                self.remember_key_pairs(&guest, plan).await?;
                run.set_detail(format!(
                    "{} {vmid} created on node {}",
                    noun(plan.guest_type()),
                    plan.node
                ));
                Ok(())
            }
            Settled::Absent => Err(StepError::failed(format!(
                "Proxmox VE has no guest {vmid} after creating it"
            ))),
            Settled::Foreign => Err(StepError::failed(format!(
                "vmid {vmid} holds a guest this job did not create"
            ))),
        }
    }

    /// Which key pairs the instance was launched with (idempotent when retried).
    async fn remember_key_pairs(&self, guest: &Guest, plan: &CreatePlan) -> Result<(), StepError> {
        if plan.key_pairs.is_empty() {
            return Ok(());
        }
        self.store
            .key_pairs()
            .record_for_guest(guest.id, &plan.key_pairs)
            .await?;
        Ok(())
    }

    async fn finalize(&self, run: &mut JobRun<'_>, plan: &CreatePlan) -> Result<(), StepError> {
        let guest = self.reservation(run, plan).await?;
        self.store
            .guests()
            .set_owner(guest.id, run.owner_id())
            .await?;
        if let Some(refresh) = &self.refresh
            && let Err(error) = refresh.refresh(plan.cluster_id).await
        {
            // Not a failure of the job: the next inventory cycle catches up.
            tracing::warn!(job = %run.id(), %error, "could not refresh the inventory after creating a guest");
        }
        run.set_detail(format!(
            "instance {} ({} {}) is ready on node {}",
            guest.id,
            noun(plan.guest_type()),
            guest.observed.vmid,
            plan.node
        ));
        Ok(())
    }

    fn target(guest: &Guest, plan: &CreatePlan) -> Target {
        Target {
            cluster_id: plan.cluster_id,
            guest_id: guest.id,
            node: plan.node.clone(),
            kind: plan.guest_type(),
            vmid: guest.observed.vmid,
            name: plan.name.clone(),
        }
    }

    async fn destroy(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        guest: &Guest,
        plan: &CreatePlan,
    ) -> Result<(), StepError> {
        let mut target = Self::target(guest, plan);
        target.locate(pve).await?;
        super::pve_steps::destroy(run, pve, &target).await
    }

    /// After a failed create: remove our guest if it exists (PVE normally rolls a
    /// failed creation back itself), then the reservation. A guest that is still
    /// being created keeps its reservation, so it never ends up without an owner.
    async fn undo_create(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        plan: &CreatePlan,
    ) -> Result<(), StepError> {
        let Some(guest) = reservation::find(self.store.as_ref(), run, plan).await? else {
            return Ok(());
        };
        let vmid = guest.observed.vmid;
        // A recorded creation task proves Proxmox accepted this job's request for the
        // vmid: an unmarked guest there is ours, left half-made by a task that died
        // before writing the final config (e.g. its node restarted).
        let we_created_it = creation_task(run, plan, vmid).is_some();
        match inspect(pve, plan.guest_type(), vmid, run.id()).await? {
            Presence::Ours { locked: false } => self.destroy(run, pve, &guest, plan).await?,
            Presence::Foreign if we_created_it => self.destroy(run, pve, &guest, plan).await?,
            Presence::Ours { locked: true } | Presence::BeingCreated => {
                return Err(StepError::failed(format!(
                    "guest {vmid} is still being created; it was kept with its owner"
                )));
            }
            Presence::Absent | Presence::Foreign => {}
        }
        match self.store.guests().delete(guest.id).await {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// The recorded task that creates this job's guest at `vmid` (a clone's task is named
/// after its template).
fn creation_task(run: &JobRun<'_>, plan: &CreatePlan, vmid: VmId) -> Option<Upid> {
    match &plan.source {
        Source::LxcTemplate { .. } => recorded_task(run, "vzcreate", &vmid.to_string()),
        Source::Iso { .. } => recorded_task(run, "qmcreate", &vmid.to_string()),
        Source::VmTemplate { vmid: template, .. } => {
            recorded_task(run, "qmclone", &template.to_string())
        }
    }
}

/// A creation task for `vmid` started since this step began (containers and ISO VMs;
/// a clone's task is named after its template, which other jobs may clone too).
async fn started_creation(
    run: &JobRun<'_>,
    pve: &dyn Pve,
    plan: &CreatePlan,
    vmid: VmId,
) -> Result<Option<Upid>, StepError> {
    let task_type = match plan.source {
        Source::LxcTemplate { .. } => "vzcreate",
        Source::Iso { .. } => "qmcreate",
        Source::VmTemplate { .. } => return Ok(None),
    };
    let node = plan.node_name().map_err(StepError::Failed)?;
    find_started_task(run, pve, &node, task_type, vmid).await
}

async fn submit(
    pve: &dyn Pve,
    plan: &CreatePlan,
    vmid: VmId,
    description: &str,
    root_password: Option<&SecretString>,
) -> Result<Upid, PveError> {
    let node = plan.node_name().map_err(PveError::InvalidRequest)?;
    let created = match &plan.source {
        Source::LxcTemplate { .. } => {
            let request = plan
                .lxc_request(vmid, description, root_password)
                .expect("a container plan");
            pve.create_lxc(&node, &request).await?
        }
        Source::Iso { .. } => {
            let request = plan.qemu_request(vmid, description).expect("an ISO plan");
            pve.create_qemu(&node, &request).await?
        }
        Source::VmTemplate {
            vmid: template,
            node: template_node,
        } => {
            let request = plan.clone_request(vmid, description).expect("a clone plan");
            let template_node = proxicloud_pve::NodeName::new(template_node.clone())
                .map_err(|e| PveError::InvalidRequest(e.to_string()))?;
            pve.clone_guest(&template_node, GuestType::Qemu, *template, &request)
                .await?
        }
    };
    Ok(created.upid)
}

fn noun(kind: GuestType) -> &'static str {
    match kind {
        GuestType::Lxc => "CT",
        GuestType::Qemu => "VM",
    }
}

#[async_trait]
impl JobHandler for CreateHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let plan: CreatePlan = run.params()?;
        if step == steps::FINALIZE {
            return self.finalize(run, &plan).await;
        }
        let pve = self
            .connector
            .pve(plan.cluster_id)
            .await
            .map_err(connect_error)?;
        let pve = pve.as_ref();
        match step {
            steps::RESERVE => reservation::ensure(self.store.as_ref(), pve, run, &plan)
                .await
                .map(drop),
            steps::CREATE => {
                self.create(run, pve, &plan).await?;
                // Proxmox has the password (or the guest): the sealed copy goes now.
                run.drop_sealed().await
            }
            steps::AWAIT_CREATE => self.await_create(run, pve, &plan).await,
            steps::CONFIGURE => {
                let guest = self.reservation(run, &plan).await?;
                configure_clone(run, pve, &plan, guest.observed.vmid).await
            }
            steps::VOLUMES => {
                let guest = self.reservation(run, &plan).await?;
                attach_launch_volumes(run, self.store.as_ref(), &plan.volumes, &guest).await
            }
            steps::SECRETS => {
                let guest = self.reservation(run, &plan).await?;
                self.secrets.launch_step(run, guest.id, &plan.secrets).await
            }
            steps::START => {
                let guest = self.reservation(run, &plan).await?;
                let target = Self::target(&guest, &plan);
                run_power(run, pve, &target, Power::Start).await?;
                // Best effort: a guest whose addresses stay unknown is still started.
                self.addresses.learn_after_start(pve, &target).await;
                Ok(())
            }
            other => Err(StepError::failed(format!(
                "unknown step '{other}' of {KIND}"
            ))),
        }
    }

    async fn compensate(&self, run: &mut JobRun<'_>, failed_step: &str) -> Result<(), StepError> {
        // A guest that failed to start is still a good guest: it stays, owned. So does
        // one whose volumes could not all be attached: it is kept stopped, with the
        // volumes that did attach, and the job's error names the others. Destroying it
        // would take the attached volumes (the user's data, possibly existing volumes)
        // down with it, and the user can attach the rest and start it.
        if !matches!(
            failed_step,
            steps::RESERVE | steps::CREATE | steps::AWAIT_CREATE | steps::CONFIGURE
        ) {
            return Ok(());
        }
        let plan: CreatePlan = run.params()?;
        let pve = self
            .connector
            .pve(plan.cluster_id)
            .await
            .map_err(connect_error)?;
        self.undo_create(run, pve.as_ref(), &plan).await
    }
}
