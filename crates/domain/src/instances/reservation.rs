//! The guest row a create job reserves before it touches Proxmox: it holds the vmid
//! (so two jobs never pick the same one), names the owner from the first moment (so
//! no guest we create is ever unowned), and points back at the job (`created_by_job`),
//! which is how a resumed job finds it again.

use proxicloud_pve::Pve;
use proxicloud_store::{
    Guest, GuestFilter, GuestQuery, GuestReservation, GuestSort, OwnerFilter, PageRequest, Store,
    StoreError, Uuid,
};

use super::plan::CreatePlan;
use super::unique_name::guests_named;
use crate::jobs::vmids::claim_free_vmid;
use crate::jobs::{JobRun, StepError};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The live reservation (or, once Proxmox reported it, the guest) this job made.
pub(super) async fn find(
    store: &dyn Store,
    run: &JobRun<'_>,
    plan: &CreatePlan,
) -> Result<Option<Guest>, StepError> {
    // The store has no lookup by job. The reservation was made after the job was, so
    // scanning the owner's guests in that cluster newest first stops quickly; names
    // are not used (a sync may have overwritten ours with a foreign guest's).
    let query = GuestQuery {
        filter: GuestFilter {
            cluster_id: Some(plan.cluster_id),
            owner: OwnerFilter::Owner(run.owner()?),
            ..GuestFilter::default()
        },
        sort: GuestSort::Created,
        descending: true,
    };
    let mut page = PageRequest::first(100);
    loop {
        let found = store.guests().list(&query, page).await?;
        for guest in found.items {
            if guest.created_by_job == Some(run.id()) {
                return Ok(Some(guest));
            }
            if guest.created_at < run.job().created_at {
                return Ok(None);
            }
        }
        match found.next {
            Some(cursor) => page = PageRequest::after(cursor, 100),
            None => return Ok(None),
        }
    }
}

/// The job's reservation, made now if it has none: a vmid Proxmox calls free and no
/// other row holds.
pub(super) async fn ensure(
    store: &dyn Store,
    pve: &dyn Pve,
    run: &mut JobRun<'_>,
    plan: &CreatePlan,
) -> Result<Guest, StepError> {
    if let Some(guest) = find(store, run, plan).await? {
        // A run resumed right after reserving may not have saved the id yet, nor the
        // name check that is saved with it: that check is made now.
        if run.job().resource_id.is_none() {
            refuse_a_name_taken_first(store, plan, &guest).await?;
        }
        run.set_resource_id(guest.id.to_string());
        return Ok(guest);
    }
    let owner_id = run.owner()?;
    let job_id = run.id();
    let reserve = |vmid| {
        store.guests().reserve(GuestReservation {
            id: plan.instance_id.unwrap_or_else(Uuid::now_v7),
            cluster_id: plan.cluster_id,
            vmid,
            node: plan.node.clone(),
            kind: plan.guest_type(),
            name: plan.name.clone(),
            owner_id,
            job_id,
            cpus: f64::from(plan.cores),
            maxmem: plan.memory_mib * MIB,
            maxdisk: plan.disk_gib * GIB,
        })
    };
    let guest = claim_free_vmid(pve, "the new guest", reserve).await?;
    refuse_a_name_taken_first(store, plan, &guest).await?;
    run.set_resource_id(guest.id.to_string());
    run.set_detail(format!(
        "instance {}: vmid {} on node {}",
        guest.id, guest.observed.vmid, plan.node
    ));
    run.checkpoint().await?;
    Ok(guest)
}

/// The request's name was checked when it was queued, but a guest may have taken it
/// since. Checked *after* reserving, and the same way from both sides: between two
/// jobs' reservations the earlier keeps the name (of two racing jobs at least the later
/// one sees the other, and each agrees with the other's verdict); a guest no job of
/// ours is creating (made on Proxmox, found by the mirror) keeps it whenever it came,
/// as it cannot give it up. The losing job fails; its compensation removes the
/// reservation.
async fn refuse_a_name_taken_first(
    store: &dyn Store,
    plan: &CreatePlan,
    ours: &Guest,
) -> Result<(), StepError> {
    let named = guests_named(store, plan.cluster_id, &plan.name)
        .await
        .map_err(|error| StepError::Transient(error.to_string()))?;
    let keeps_it = |other: &Guest| {
        other.created_by_job.is_none() || (other.created_at, other.id) < (ours.created_at, ours.id)
    };
    match named
        .iter()
        .find(|other| other.id != ours.id && keeps_it(other))
    {
        Some(other) => Err(StepError::failed(format!(
            "an instance named '{}' already exists in this cluster",
            other.observed.name
        ))),
        None => Ok(()),
    }
}

/// Gives up a vmid that turned out to hold someone else's guest and reserves another.
pub(super) async fn replace(
    store: &dyn Store,
    pve: &dyn Pve,
    run: &mut JobRun<'_>,
    plan: &CreatePlan,
    taken: Guest,
) -> Result<Guest, StepError> {
    tracing::info!(job = %run.id(), vmid = %taken.observed.vmid, "vmid taken by a guest this job did not create; picking another");
    match store.guests().delete(taken.id).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(error) => return Err(error.into()),
    }
    ensure(store, pve, run, plan).await
}
