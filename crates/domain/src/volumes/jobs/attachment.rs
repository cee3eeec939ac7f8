//! Steps that write a volume into an instance's config and take it out again. The
//! holder container keeps owning the volume, so Proxmox VE never frees it with the
//! instance.

use std::collections::BTreeMap;

use proxicloud_pve::{ConfigUpdate, GuestType, Pve};
use proxicloud_store::{StoreError, Volume};

use super::{VolumeHandler, VolumeJob};
use crate::instances::Target;
use crate::jobs::{JobRun, StepError};
use crate::volumes::rules;

impl VolumeHandler {
    pub(super) async fn attach(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        params: &VolumeJob,
        volume: &Volume,
    ) -> Result<(), StepError> {
        let (attachment, volid) = match (&volume.attachment, &volume.volid) {
            (Some(a), Some(v)) => (a.clone(), v.clone()),
            _ => {
                run.skip_step("the volume is no longer attached");
                return Ok(());
            }
        };
        let target = Target::of(&self.store.guests().get(attachment.guest_id).await?);
        let (node, kind, vmid) = (target.node_name()?, target.kind, target.vmid);
        let config = pve.guest_config(&node, kind, vmid).await?;
        // Already in the config (a resumed run): record the key it took.
        let present = config.raw.iter().find(|(key, value)| {
            !key.starts_with("unused")
                && value.as_str().is_some_and(|v| rules::volid_of(v) == volid)
        });
        let key = match present {
            Some((key, _)) => key.clone(),
            None => {
                let bus = params.bus.as_deref().unwrap_or("scsi");
                let key = rules::next_free_key(kind, bus, &config.raw)
                    .ok_or_else(|| StepError::failed("the instance has no free disk slot left"))?;
                let value = rules::attachment_value(kind, &volid, attachment.mount_path.as_deref());
                let update = ConfigUpdate {
                    set: BTreeMap::from([(key.clone(), value)]),
                    digest: config.digest.clone(),
                    ..ConfigUpdate::default()
                };
                pve.update_guest_config(&node, kind, vmid, &update).await?;
                key
            }
        };
        // Replace the placeholder key with the real one.
        let now = run.now();
        self.store.volumes().detach(volume.id, now).await?;
        let recorded = proxicloud_store::Attachment {
            key: key.clone(),
            ..attachment
        };
        self.store
            .volumes()
            .attach(volume.id, &recorded, now)
            .await?;
        run.set_detail(format!("attached as {key}"));
        Ok(())
    }

    pub(super) async fn detach(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        volume: &Volume,
    ) -> Result<(), StepError> {
        let (Some(attachment), Some(volid)) = (&volume.attachment, &volume.volid) else {
            run.skip_step("the volume is not attached");
            return Ok(());
        };
        let guest = match self.store.guests().get(attachment.guest_id).await {
            Ok(guest) => guest,
            Err(StoreError::NotFound) => {
                self.store.volumes().detach(volume.id, run.now()).await?;
                run.skip_step("the instance is gone");
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        let target = Target::of(&guest);
        let (node, kind, vmid) = (target.node_name()?, target.kind, target.vmid);
        if kind == GuestType::Lxc && pve.guest_status(&node, kind, vmid).await?.status == "running"
        {
            return Err(StepError::failed(
                "Proxmox VE cannot unmount a volume from a running container: stop the \
                 instance first, then detach",
            ));
        }
        let config = pve.guest_config(&node, kind, vmid).await?;
        // The volume's key, and an `unusedN` a container leaves behind for it (PVE never
        // frees it: the holder owns the volume).
        let keys: Vec<String> = config
            .raw
            .iter()
            .filter(|(_, value)| value.as_str().is_some_and(|v| rules::volid_of(v) == volid))
            .map(|(key, _)| key.clone())
            .collect();
        for key in keys.iter().filter(|k| !k.starts_with("unused")) {
            let update = ConfigUpdate {
                delete: vec![key.clone()],
                ..ConfigUpdate::default()
            };
            pve.update_guest_config(&node, kind, vmid, &update).await?;
        }
        let after = pve.guest_config(&node, kind, vmid).await?;
        let unused: Vec<String> = after
            .raw
            .iter()
            .filter(|(key, value)| {
                key.starts_with("unused")
                    && value.as_str().is_some_and(|v| rules::volid_of(v) == volid)
            })
            .map(|(key, _)| key.clone())
            .collect();
        if !unused.is_empty() {
            let update = ConfigUpdate {
                delete: unused,
                ..ConfigUpdate::default()
            };
            pve.update_guest_config(&node, kind, vmid, &update).await?;
        }
        self.store.volumes().detach(volume.id, run.now()).await?;
        Ok(())
    }
}
