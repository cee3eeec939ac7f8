//! Deleting an image (admins): a template or ISO file from its storage (on every node
//! that has it, or one), or a VM template as a guest — only when no instance is a
//! linked clone of it. Proxmox would refuse that inside its destroy task (qemu-server
//! `destroy_vm`: "base volume … is still in use by linked cloned"); we look first, the
//! way pve-storage's `volume_is_base_and_used` does, and answer a clear 409 before
//! anything changes.

use proxicloud_pve::{ContentFilter, GuestType, NodeName, Pve, VmId};
use proxicloud_store::{JobActor, JobStep, NewJob, Uuid};

use super::delete_job::{DELETE_KIND, DeleteParams, DeleteTarget, steps};
use super::service::{ImageKind, ImagesService, images_of, unavailable};
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::jobs::Submitted;

/// `DELETE /images/{id}`.
#[derive(Debug, Clone, Default)]
pub struct DeleteImage {
    pub cluster_id: Option<Uuid>,
    /// [`super::Image::id`]: a volume id or a VM template's vmid.
    pub id: String,
    /// Files on a storage that is not shared: only this node's copy (default: all).
    pub node: Option<String>,
}

impl ImagesService {
    /// Queues `image.delete` once the image is found (404 otherwise) and, for a VM
    /// template, no linked clone uses it (409).
    pub async fn delete(
        &self,
        caller: &Principal,
        request: DeleteImage,
    ) -> DomainResult<Submitted> {
        caller.require_admin()?;
        let options = self.launch.cluster(caller, request.cluster_id).await?;
        let image = images_of(&options)
            .into_iter()
            .find(|i| i.id == request.id)
            .ok_or(DomainError::NotFound { resource: "image" })?;
        let nodes = match &request.node {
            None => image.nodes.clone(),
            Some(node) if image.nodes.contains(node) => vec![node.clone()],
            Some(node) => {
                return Err(DomainError::invalid(
                    "node",
                    format!("'{}' is not on node '{node}'", image.name),
                ));
            }
        };
        let target = match (image.kind, image.vmid, image.volid.clone()) {
            (ImageKind::VmTemplate, Some(vmid), _) => {
                let node = nodes.first().cloned().unwrap_or_default();
                let pve = self.connector.pve(options.cluster_id).await?;
                let clones = linked_clones(pve.as_ref(), &node, vmid).await?;
                if !clones.is_empty() {
                    return Err(DomainError::conflict(
                        "image_in_use",
                        format!(
                            "VM template '{}' is the base of linked clones ({}); delete them first",
                            image.name,
                            clones.join(", ")
                        ),
                    ));
                }
                DeleteTarget::VmTemplate { node, vmid }
            }
            (_, _, Some(volid)) => DeleteTarget::Volume { volid, nodes },
            _ => {
                return Err(DomainError::Internal(format!(
                    "image '{}' has no id",
                    request.id
                )));
            }
        };
        let params = DeleteParams {
            cluster_id: options.cluster_id,
            name: image.name.clone(),
            target,
        };
        let job = NewJob {
            kind: DELETE_KIND.to_owned(),
            actor: JobActor::User(caller.user_id),
            resource_kind: Some("image".to_owned()),
            resource_id: Some(image.id.clone()),
            params: serde_json::to_value(&params).expect("delete params serialise"),
            steps: steps::ALL.iter().map(|s| JobStep::pending(*s)).collect(),
            idempotency_key: None,
            run_after: None,
            parent: None,
        };
        self.queue.submit(job).await
    }
}

/// The volumes cloned from VM template `vmid`'s base disks, as pve-storage's
/// `volume_is_base_and_used` finds them (see [`is_clone_of`]).
async fn linked_clones(pve: &dyn Pve, node: &str, vmid: u32) -> DomainResult<Vec<String>> {
    let node = NodeName::new(node.to_owned()).map_err(|e| DomainError::Internal(e.to_string()))?;
    let vmid = VmId::new(vmid).map_err(|e| DomainError::Internal(e.to_string()))?;
    let config = pve
        .guest_config(&node, GuestType::Qemu, vmid)
        .await
        .map_err(|e| unavailable(&format!("cannot read VM template {vmid}: {e}")))?;
    let bases: Vec<(String, String)> = config
        .raw
        .values()
        .filter_map(|v| v.as_str())
        .filter_map(|v| v.split(',').next())
        .filter_map(|volid| volid.split_once(':'))
        .filter(|(_, volname)| volname.contains(&format!("base-{vmid}-")))
        .map(|(storage, volname)| (storage.to_owned(), volname.to_owned()))
        .collect();
    let mut clones = Vec::new();
    let mut listed: Vec<&str> = Vec::new();
    for (storage, _) in &bases {
        if listed.contains(&storage.as_str()) {
            continue;
        }
        listed.push(storage);
        let filter = ContentFilter {
            content: Some("images".into()),
            vmid: None,
        };
        let volumes = pve
            .storage_content(&node, storage, &filter)
            .await
            .map_err(|e| unavailable(&format!("cannot list storage '{storage}': {e}")))?;
        for volume in volumes {
            if is_clone_of(&bases, &volume.volid) {
                clones.push(
                    volume
                        .vmid
                        .map_or(volume.volid.clone(), |v| format!("VM {v}")),
                );
            }
        }
    }
    clones.sort();
    clones.dedup();
    Ok(clones)
}

/// Whether `volid` is a linked clone of one of `bases` (storage, volume name): its
/// volume name starts with its base's, as the storage plugins' `clone_image` names
/// it — `100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2` on a directory, NFS or
/// CIFS storage, `base-100-disk-0/vm-101-disk-0` on ZFS and Ceph RBD. LVM-thin names a
/// clone `vm-101-disk-0` without its base (pve-storage `LvmThinPlugin::clone_image`);
/// Proxmox cannot tell those apart either and deletes such a template, whose thin
/// clones keep their data.
fn is_clone_of(bases: &[(String, String)], volid: &str) -> bool {
    let Some((storage, volname)) = volid.split_once(':') else {
        return false;
    };
    bases
        .iter()
        .any(|(s, base)| s == storage && volname.starts_with(&format!("{base}/")))
}

#[cfg(test)]
mod tests {
    use super::is_clone_of;

    #[test]
    fn linked_clones_are_found_by_their_base_as_pve_storage_names_them() {
        let dir = [("local".to_owned(), "100/base-100-disk-0.qcow2".to_owned())];
        assert!(is_clone_of(
            &dir,
            "local:100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2"
        ));
        assert!(!is_clone_of(&dir, "local:100/base-100-disk-0.qcow2"));
        assert!(!is_clone_of(
            &dir,
            "nfs:100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2"
        ));
        let zfs = [("tank".to_owned(), "base-100-disk-0".to_owned())];
        assert!(is_clone_of(&zfs, "tank:base-100-disk-0/vm-101-disk-0"));
        // Another template's clone, whose base name merely starts the same.
        assert!(!is_clone_of(&zfs, "tank:base-100-disk-01/vm-102-disk-0"));
        let thin = [("local-lvm".to_owned(), "base-100-disk-0".to_owned())];
        assert!(!is_clone_of(&thin, "local-lvm:vm-101-disk-0"));
    }
}
