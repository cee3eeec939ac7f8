//! Attaching a volume to an instance and detaching it: every check the store and the
//! mirror can answer (owner, node, kind, mount path, a running container) comes first.

use proxicloud_pve::GuestType;
use proxicloud_store::{Attachment, Guest, StoreError, Timestamp, Uuid};

use super::{AttachVolume, VolumeService, require_available};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::Submitted;
use crate::volumes::jobs::{VolumeJob, kinds, steps};
use crate::volumes::rules;

impl VolumeService {
    /// Queues `volume.attach`: the attachment is recorded at once (the volume is
    /// `in-use`), the job writes it into the instance's config.
    pub async fn attach(
        &self,
        caller: &Principal,
        id: Uuid,
        request: AttachVolume,
    ) -> DomainResult<Submitted> {
        let volume = self.manageable(caller, id).await?;
        require_available(&volume)?;
        if volume.attachment.is_some() {
            return Err(DomainError::conflict(
                "volume_in_use",
                "the volume is attached already; detach it first",
            ));
        }
        let (guest, bus) = self.attachment_target(caller, &request).await?;
        if guest.cluster_id != volume.cluster_id || guest.observed.node != volume.node {
            return Err(different_node(&guest.observed.node, &volume.node));
        }
        // The slot is chosen by the job from the live config; this records a
        // placeholder key unique to the volume until then.
        let attachment = attachment_placeholder(volume.id, guest.id, request.mount_path.clone());
        match self
            .store
            .volumes()
            .attach(volume.id, &attachment, Timestamp::now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::Stale(_)) => {
                return Err(DomainError::conflict(
                    "volume_in_use",
                    "the volume is attached already; detach it first",
                ));
            }
            Err(other) => return Err(other.into()),
        }
        let params = VolumeJob {
            bus: Some(bus),
            ..VolumeJob::of(volume.id)
        };
        let submitted = self
            .submit(caller, &volume, kinds::ATTACH, &steps::ATTACH_JOB, params)
            .await;
        if submitted.is_err() {
            // Refused (another job came first): the attachment was never made.
            self.store
                .volumes()
                .detach(volume.id, Timestamp::now())
                .await?;
        }
        submitted
    }

    /// Queues `volume.detach`. A running container cannot let go of a mount point
    /// (Proxmox VE keeps the change pending until it stops): refused, with the remedy.
    pub async fn detach(&self, caller: &Principal, id: Uuid) -> DomainResult<Submitted> {
        let volume = self.manageable(caller, id).await?;
        let Some(attachment) = &volume.attachment else {
            return Err(DomainError::conflict(
                "volume_not_attached",
                "the volume is not attached",
            ));
        };
        if let Ok(guest) = self.store.guests().get(attachment.guest_id).await
            && guest.observed.kind == GuestType::Lxc
            && guest.observed.status == "running"
        {
            return Err(DomainError::conflict(
                "instance_running",
                format!(
                    "Proxmox VE cannot unmount a volume from a running container: stop \
                     instance '{}' first, then detach",
                    guest.observed.name
                ),
            ));
        }
        self.submit(
            caller,
            &volume,
            kinds::DETACH,
            &steps::DETACH_JOB,
            VolumeJob::of(volume.id),
        )
        .await
    }
}

impl VolumeService {
    /// The instance a new attachment goes to, checked: one the caller may see and
    /// manage, not a template, with the mount path (containers) or bus (VMs) its kind
    /// takes. Returns it and the VM bus.
    pub(super) async fn attachment_target(
        &self,
        caller: &Principal,
        request: &AttachVolume,
    ) -> DomainResult<(Guest, String)> {
        let guest = load_live_guest(self.store.as_ref(), request.instance_id)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => {
                    DomainError::invalid("instance_id", "no such instance")
                }
                other => other,
            })?;
        if !caller.can_view(guest.owner_id) {
            return Err(DomainError::invalid("instance_id", "no such instance"));
        }
        caller.authorize_manage(guest.owner_id, "instance")?;
        if guest.observed.template {
            return Err(DomainError::invalid(
                "instance_id",
                "a template cannot take volumes",
            ));
        }
        let mut errors = FieldErrors::new();
        let bus = request.bus.clone().unwrap_or_else(|| "scsi".into());
        match guest.observed.kind {
            GuestType::Lxc => match &request.mount_path {
                Some(path) => rules::check_mount_path(path, &mut errors),
                None => {
                    errors.insert("mount_path".into(), "required for a container".into());
                }
            },
            GuestType::Qemu => {
                if request.mount_path.is_some() {
                    errors.insert(
                        "mount_path".into(),
                        "a VM mounts its disks itself; leave this out".into(),
                    );
                }
                if !matches!(bus.as_str(), "scsi" | "virtio") {
                    errors.insert("bus".into(), "'scsi' or 'virtio'".into());
                }
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        Ok((guest, bus))
    }
}

pub(super) fn different_node(instance_node: &str, volume_node: &str) -> DomainError {
    DomainError::conflict(
        "different_node",
        format!(
            "the instance runs on node '{instance_node}', the volume is on node \
             '{volume_node}': a volume attaches only to instances on its own node"
        ),
    )
}

/// The attachment recorded when it is asked for; the job replaces the key with the
/// slot it takes in the instance's live config.
pub(crate) fn attachment_placeholder(
    volume_id: Uuid,
    guest_id: Uuid,
    mount_path: Option<String>,
) -> Attachment {
    Attachment {
        guest_id,
        key: format!("pending-{}", volume_id.simple()),
        mount_path,
    }
}
