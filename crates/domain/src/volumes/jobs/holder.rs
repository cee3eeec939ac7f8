//! Steps that work on a volume's holder container: make it (create or clone), read
//! the volume it formatted, grow it, take/roll back/delete its snapshots, destroy it.

use std::collections::BTreeMap;

use proxicloud_pve::{
    CloneRequest, ContentFilter, DeleteOptions, GuestType, LxcCreate, NodeName, Pve, PveError,
    ResizeRequest, SnapshotRequest, VmId,
};
use proxicloud_store::repo::volumes::status;
use proxicloud_store::{StoreError, Volume};

use super::pve_ops::{
    guest_exists, holder_name, holder_of, holder_vmid, marker, node_name, smallest_template,
};
use super::{VolumeHandler, VolumeJob, kinds};
use crate::instances::{SnapshotAction, run_snapshot_action};
use crate::jobs::pve_task::{Settled, recorded_task, resume_task, settled, start_and_wait};
use crate::jobs::vmids::claim_free_vmid;
use crate::jobs::{JobRun, StepError};
use crate::volumes::rules::{self, GIB, HOLDER_KEY, HOLDER_ROOTFS_GIB, HOLDER_TAG};

impl VolumeHandler {
    /// `volume.create`/`volume.clone` step 1: the holder container.
    pub(super) async fn make_holder(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        params: &VolumeJob,
        volume: &Volume,
        clone: bool,
    ) -> Result<(), StepError> {
        let node = node_name(volume)?;
        let vmid = match holder_vmid(volume)? {
            Some(vmid) => vmid,
            None => self.reserve_holder_vmid(run, pve, volume).await?,
        };
        let source = match clone {
            true => Some(self.clone_source(params).await?),
            false => None,
        };
        let resumed = match &source {
            // A clone's task is named after its source, which other jobs may clone
            // too: only the recorded one is this step's.
            Some((source, _)) => {
                match recorded_task(run, "vzclone", &holder_of(source)?.to_string()) {
                    Some(upid) => {
                        run.wait_task(pve, &upid).await?;
                        true
                    }
                    None => false,
                }
            }
            None => resume_task(run, pve, &node, "vzcreate", vmid).await?,
        };
        if resumed {
            return Ok(());
        }
        let ours = marker(volume.id);
        let is_ours = |d: Option<&str>| d.is_some_and(|d| d.contains(&ours));
        match settled(run, pve, GuestType::Lxc, vmid, is_ours).await? {
            Settled::Absent => {}
            Settled::Ours => {
                run.skip_step(format!("holder container {vmid} exists"));
                return Ok(());
            }
            Settled::Foreign => {
                return Err(StepError::failed(format!(
                    "vmid {vmid} is taken by a guest that is not this volume's holder"
                )));
            }
        }
        let upid = if let Some((source, snapshot)) = source {
            let request = CloneRequest {
                newid: Some(vmid),
                name: Some(holder_name(volume.id)),
                description: Some(marker(volume.id)),
                full: Some(true),
                snapname: Some(snapshot),
                ..CloneRequest::default()
            };
            pve.clone_guest(&node, GuestType::Lxc, holder_of(&source)?, &request)
                .await?
                .upid
        } else {
            let template = smallest_template(pve, &node).await?;
            let request = LxcCreate {
                vmid: Some(vmid),
                ostemplate: template,
                hostname: Some(holder_name(volume.id)),
                description: Some(marker(volume.id)),
                memory_mib: Some(64),
                cores: Some(1),
                rootfs: Some(format!("{}:{HOLDER_ROOTFS_GIB}", volume.storage)),
                mount_points: BTreeMap::from([(
                    0,
                    format!(
                        "{}:{},mp=/volume,backup=1",
                        volume.storage,
                        rules::gib_of(volume.size_bytes)
                    ),
                )]),
                unprivileged: Some(true),
                tags: Some(HOLDER_TAG.to_owned()),
                start: false,
                ..LxcCreate::default()
            };
            pve.create_lxc(&node, &request).await?.upid
        };
        start_and_wait(run, pve, upid).await
    }

    /// A vmid Proxmox calls free that neither another holder nor an instance's guest
    /// reservation (not on Proxmox yet) holds.
    async fn reserve_holder_vmid(
        &self,
        run: &JobRun<'_>,
        pve: &dyn Pve,
        volume: &Volume,
    ) -> Result<VmId, StepError> {
        let now = run.now();
        let set_holder = |vmid: VmId| async move {
            let volumes = self.store.volumes();
            volumes
                .set_holder(volume.id, vmid.get(), now)
                .await
                .map(|()| vmid)
        };
        claim_free_vmid(pve, "the holder container", set_holder).await
    }

    pub(super) async fn clone_source(
        &self,
        params: &VolumeJob,
    ) -> Result<(Volume, String), StepError> {
        let source_id = params
            .source_volume_id
            .ok_or_else(|| StepError::failed("clone without a source volume"))?;
        let snapshot_id = params
            .snapshot_id
            .ok_or_else(|| StepError::failed("clone without a snapshot"))?;
        let source = self.store.volumes().get(source_id).await?;
        let snapshot = self.store.volumes().get_snapshot(snapshot_id).await?;
        Ok((source, snapshot.name))
    }

    /// Step 2: the holder's `mp0` is the volume.
    pub(super) async fn mark_ready(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        volume: &Volume,
    ) -> Result<(), StepError> {
        let config = pve
            .guest_config(&node_name(volume)?, GuestType::Lxc, holder_of(volume)?)
            .await?;
        let volid = config
            .raw
            .get(HOLDER_KEY)
            .and_then(|v| v.as_str())
            .map(|v| rules::volid_of(v).to_owned())
            .ok_or_else(|| StepError::failed("the holder container has no mp0"))?;
        self.store
            .volumes()
            .set_ready(volume.id, &volid, run.now())
            .await?;
        run.set_detail(format!("volume {volid}"));
        Ok(())
    }

    /// `volume.grow`: resizes the holder's `mp0` to an absolute size, then records the
    /// size Proxmox reports, never the requested one. pve-container's `resize_vm`
    /// (src/PVE/API2/LXC.pm, `$load_and_check`, run before the fork and again in the
    /// worker) dies with "unable to shrink disk size" below the current size and with
    /// "disk is already at specified size" at it: the first fails the job (the volume
    /// grew meanwhile), the second is a resumed run whose resize had landed.
    pub(super) async fn grow(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        params: &VolumeJob,
        volume: &Volume,
    ) -> Result<(), StepError> {
        let size_gib = params
            .size_gib
            .ok_or_else(|| StepError::failed("grow without a size"))?;
        let (node, holder) = (node_name(volume)?, holder_of(volume)?);
        let refused = if resume_task(run, pve, &node, "resize", holder).await? {
            None
        } else {
            let request = ResizeRequest {
                disk: HOLDER_KEY.to_owned(),
                size: format!("{size_gib}G"),
            };
            let resized = pve
                .resize_disk(&node, GuestType::Lxc, holder, &request)
                .await;
            match resized {
                Ok(Some(upid)) => match start_and_wait(run, pve, upid).await {
                    Err(StepError::Failed(message)) if resize_refusal(&message) => Some(message),
                    other => other.map(|()| None)?,
                },
                Ok(None) => None,
                Err(PveError::Server { message, .. }) if resize_refusal(&message) => Some(message),
                Err(error) => return Err(error.into()),
            }
        };
        let real = self.real_size(pve, &node, volume).await?;
        self.store
            .volumes()
            .set_size(volume.id, real, run.now())
            .await?;
        let wanted = size_gib * GIB;
        match refused {
            Some(message) if real != wanted => Err(StepError::failed(format!(
                "Proxmox VE refused to resize the volume to {size_gib} GiB ({}): it is {} GiB there now, and volumes only grow",
                message.trim_end(),
                rules::gib_of(real)
            ))),
            _ if real < wanted => Err(StepError::failed(format!(
                "Proxmox VE reports the volume at {} GiB after growing it to {size_gib} GiB",
                rules::gib_of(real)
            ))),
            _ => Ok(()),
        }
    }

    /// The volume's size as Proxmox VE's storage reports it (what `resize` compares).
    async fn real_size(
        &self,
        pve: &dyn Pve,
        node: &NodeName,
        volume: &Volume,
    ) -> Result<u64, StepError> {
        let volid = volume
            .volid
            .as_deref()
            .ok_or_else(|| StepError::failed("the volume has no Proxmox volume yet"))?;
        let filter = ContentFilter {
            vmid: volume.holder_vmid.and_then(|vmid| VmId::new(vmid).ok()),
            ..ContentFilter::default()
        };
        pve.storage_content(node, &volume.storage, &filter)
            .await?
            .into_iter()
            .find(|item| item.volid == volid)
            .and_then(|item| item.size)
            .ok_or_else(|| {
                StepError::failed(format!(
                    "volume {volid} is not on storage '{}' of node '{node}'",
                    volume.storage
                ))
            })
    }

    pub(super) async fn destroy(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        volume: &Volume,
    ) -> Result<(), StepError> {
        self.store
            .volumes()
            .set_status(volume.id, status::DELETING, None, run.now())
            .await?;
        let Some(holder) = holder_vmid(volume)? else {
            run.skip_step("no holder container was made");
            return Ok(());
        };
        let node = node_name(volume)?;
        if resume_task(run, pve, &node, "vzdestroy", holder).await? {
            return Ok(());
        }
        if !guest_exists(pve, holder).await? {
            run.skip_step("the holder container is gone");
            return Ok(());
        }
        let options = DeleteOptions {
            purge: true,
            destroy_unreferenced_disks: true,
        };
        let upid = pve
            .delete_guest(&node, GuestType::Lxc, holder, options)
            .await?;
        start_and_wait(run, pve, upid).await
    }

    pub(super) async fn snapshot(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        params: &VolumeJob,
        volume: &Volume,
        kind: &str,
    ) -> Result<(), StepError> {
        let snapshot_id = params
            .snapshot_id
            .ok_or_else(|| StepError::failed("no snapshot named"))?;
        let snapshot = match self.store.volumes().get_snapshot(snapshot_id).await {
            Ok(snapshot) => snapshot,
            Err(StoreError::NotFound) if kind == kinds::SNAPSHOT_DELETE => {
                run.skip_step("the snapshot is gone");
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        let action = match kind {
            kinds::SNAPSHOT => SnapshotAction::Create,
            kinds::SNAPSHOT_DELETE => SnapshotAction::Delete,
            _ => SnapshotAction::Rollback,
        };
        let request = SnapshotRequest {
            name: snapshot.name.clone(),
            description: Some(snapshot.description.clone()),
            vmstate: false,
        };
        let on = (&node_name(volume)?, GuestType::Lxc, holder_of(volume)?);
        let what = format!("snapshot '{}'", snapshot.name);
        run_snapshot_action(run, pve, on, action, &request, false, &what).await?;
        match kind {
            kinds::SNAPSHOT => {
                self.store
                    .volumes()
                    .set_snapshot_status(snapshot.id, status::AVAILABLE)
                    .await?
            }
            kinds::SNAPSHOT_DELETE => {
                match self.store.volumes().delete_snapshot(snapshot.id).await {
                    Ok(()) | Err(StoreError::NotFound) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            // A rollback puts back the snapshot's size: record what Proxmox has now.
            _ => {
                let real = self.real_size(pve, &node_name(volume)?, volume).await?;
                self.store
                    .volumes()
                    .set_size(volume.id, real, run.now())
                    .await?
            }
        }
        Ok(())
    }
}

/// pve-container's refusals of a resize to the current size or below.
fn resize_refusal(message: &str) -> bool {
    message.contains("unable to shrink") || message.contains("already at specified size")
}
