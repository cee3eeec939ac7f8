//! The vmid of a guest a job is about to create (an instance, a volume's holder
//! container): Proxmox's next free one, claimed in the store, which refuses a vmid
//! another row holds — an instance's guest reservation (not on Proxmox yet) or a
//! volume's holder; then the next one Proxmox calls free. A new kind of row that holds
//! vmids adds its unique constraint to [`VMID_CONSTRAINTS`].

use std::future::Future;

use proxicloud_pve::{Pve, VmId};
use proxicloud_store::{StoreError, constraints};

use super::StepError;

/// vmids tried before giving up on a crowded cluster.
const MAX_VMID_ATTEMPTS: u32 = 64;

/// The store's refusals that mean "another row holds this vmid".
const VMID_CONSTRAINTS: [&str; 2] = [constraints::GUEST_VMID, constraints::VOLUME_HOLDER];

/// Claims a free vmid with `claim` (a store write), trying the next free one while
/// the store says another row holds it; `what` names the guest in the error.
pub(crate) async fn claim_free_vmid<T, F, Fut>(
    pve: &dyn Pve,
    what: &str,
    mut claim: F,
) -> Result<T, StepError>
where
    F: FnMut(VmId) -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut vmid = pve.next_id(None).await?;
    for _ in 0..MAX_VMID_ATTEMPTS {
        match claim(vmid).await {
            Ok(claimed) => return Ok(claimed),
            Err(StoreError::Conflict { constraint })
                if VMID_CONSTRAINTS.contains(&constraint.as_str()) =>
            {
                vmid = next_free_after(pve, vmid, what).await?;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(no_free_vmid(what))
}

/// The first vmid after `vmid` that Proxmox reports free.
async fn next_free_after(pve: &dyn Pve, vmid: VmId, what: &str) -> Result<VmId, StepError> {
    let mut candidate = vmid.get();
    for _ in 0..MAX_VMID_ATTEMPTS {
        candidate += 1;
        let Ok(hint) = VmId::new(candidate) else {
            break;
        };
        match pve.next_id(Some(hint)).await {
            Ok(free) => return Ok(free),
            Err(error) if error.is_already_exists() => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(no_free_vmid(what))
}

fn no_free_vmid(what: &str) -> StepError {
    StepError::failed(format!("no free vmid found for {what}"))
}
