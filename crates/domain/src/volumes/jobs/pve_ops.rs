//! Proxmox VE helpers the volume steps share: the holder's identity (vmid, node, the
//! marker in its description) and finding a template. Resuming a task after a crash
//! is `jobs::pve_task`'s, shared with the instance steps.

use proxicloud_pve::{ContentFilter, NodeName, Pve, ResourceKind, StorageFilter, VmId};
use proxicloud_store::{Uuid, Volume};

use crate::error::DomainError;
use crate::jobs::StepError;

/// The holder's description carries this marker, so a resumed job recognises it.
pub(super) fn marker(volume_id: Uuid) -> String {
    format!("proxicloud volume {volume_id}")
}

pub(super) fn connect_error(error: DomainError) -> StepError {
    match error {
        DomainError::NotFound { .. } => {
            StepError::failed("the volume's cluster is no longer registered")
        }
        other => StepError::Transient(other.to_string()),
    }
}

pub(super) fn node_name(volume: &Volume) -> Result<NodeName, StepError> {
    NodeName::new(volume.node.clone()).map_err(|e| StepError::failed(e.to_string()))
}

/// The holder container's vmid, if one was chosen yet.
pub(super) fn holder_vmid(volume: &Volume) -> Result<Option<VmId>, StepError> {
    volume
        .holder_vmid
        .map(|vmid| VmId::new(vmid).map_err(|e| StepError::failed(e.to_string())))
        .transpose()
}

/// The holder container's vmid, for steps that run after it was made.
pub(super) fn holder_of(volume: &Volume) -> Result<VmId, StepError> {
    holder_vmid(volume)?.ok_or_else(|| StepError::failed("the volume has no holder container"))
}

/// Whether a guest with `vmid` exists anywhere in the cluster.
pub(super) async fn guest_exists(pve: &dyn Pve, vmid: VmId) -> Result<bool, StepError> {
    let resources = pve.cluster_resources(Some(ResourceKind::Vm)).await?;
    Ok(resources.iter().any(|r| r.vmid == Some(vmid)))
}

pub(super) fn holder_name(volume_id: Uuid) -> String {
    let simple = volume_id.simple().to_string();
    format!("vol-{}", &simple[simple.len() - 12..])
}

/// The smallest container template on the node: the holder's root file system is
/// never used, it only lets Proxmox VE create the container that formats the volume.
pub(super) async fn smallest_template(pve: &dyn Pve, node: &NodeName) -> Result<String, StepError> {
    let storages = pve
        .storages(
            node,
            &StorageFilter {
                content: Some("vztmpl".into()),
                enabled: true,
            },
        )
        .await?;
    let mut best: Option<(u64, String)> = None;
    for storage in storages {
        let filter = ContentFilter {
            content: Some("vztmpl".into()),
            ..ContentFilter::default()
        };
        for volume in pve.storage_content(node, &storage.storage, &filter).await? {
            let size = volume.size.unwrap_or(u64::MAX);
            if best.as_ref().is_none_or(|(s, _)| size < *s) {
                best = Some((size, volume.volid));
            }
        }
    }
    best.map(|(_, volid)| volid).ok_or_else(|| {
        StepError::failed(format!(
            "node '{node}' has no container template: download one to create volumes there"
        ))
    })
}
