//! `VolumeService`: who may do what to a volume, every check that can be made before
//! Proxmox VE is touched (sizes, node, storage features, attachment state), then the
//! job that does it. Reads come from the store and the inventory mirror only.

use std::sync::Arc;

use proxicloud_pve::GuestType;
use proxicloud_store::repo::volumes::status;
use proxicloud_store::{
    Attachment, JobActor, JobStep, NewJob, NewVolume, Store, StoreError, Uuid, Volume,
    VolumeSnapshot,
};

use super::jobs::{VolumeJob, kinds, steps};
use super::rules::{self, GIB, MAX_SIZE_GIB};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::{JobQueue, Submitted};

const RESOURCE: &str = "volume";
const SNAPSHOT: &str = "volume snapshot";

/// A volume as the API shows it.
#[derive(Debug, Clone)]
pub struct VolumeView {
    pub volume: Volume,
    /// Whether its storage type can take snapshots.
    pub snapshots_supported: bool,
}

#[derive(Debug, Clone)]
pub struct CreateVolume {
    pub name: String,
    pub size_gib: u64,
    pub cluster_id: Uuid,
    pub node: String,
    pub storage: String,
}

#[derive(Debug, Clone)]
pub struct AttachVolume {
    pub instance_id: Uuid,
    pub mount_path: Option<String>,
    pub bus: Option<String>,
}

pub struct VolumeService {
    store: Arc<dyn Store>,
    queue: JobQueue,
}

impl VolumeService {
    pub fn new(store: Arc<dyn Store>, queue: JobQueue) -> Self {
        Self { store, queue }
    }

    /// The caller's volumes (an admin's: all), oldest first.
    pub async fn list(&self, caller: &Principal) -> DomainResult<Vec<VolumeView>> {
        let owner = (!caller.is_admin()).then_some(caller.user_id);
        let volumes = self.store.volumes().list(owner).await?;
        let types = self.storage_types().await?;
        Ok(volumes
            .into_iter()
            .map(|volume| view(volume, &types))
            .collect())
    }

    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<VolumeView> {
        let volume = self.visible(caller, id).await?;
        let types = self.storage_types().await?;
        Ok(view(volume, &types))
    }

    /// Queues `volume.create`; the volume is listed as `creating` at once.
    pub async fn create(
        &self,
        caller: &Principal,
        request: CreateVolume,
    ) -> DomainResult<(Volume, Submitted)> {
        caller.require_create()?;
        let mut errors = FieldErrors::new();
        rules::check_name(&request.name, &mut errors);
        rules::check_size(request.size_gib, &mut errors);
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let storages = self
            .store
            .inventory()
            .list_storages(Some(request.cluster_id))
            .await?;
        if storages.is_empty() {
            return Err(DomainError::invalid(
                "cluster_id",
                "no such cluster, or it has not been seen yet",
            ));
        }
        let on_node: Vec<_> = storages
            .iter()
            .filter(|s| s.observed.node == request.node)
            .collect();
        if on_node.is_empty() {
            return Err(DomainError::invalid("node", "no such node in this cluster"));
        }
        let Some(storage) = on_node
            .iter()
            .find(|s| s.observed.storage == request.storage)
        else {
            return Err(DomainError::invalid(
                "storage",
                "no such storage on this node",
            ));
        };
        if !storage.observed.content.split(',').any(|c| c == "rootdir") {
            return Err(DomainError::invalid(
                "storage",
                "this storage does not hold container volumes (content 'rootdir')",
            ));
        }
        let needed = (request.size_gib + rules::HOLDER_ROOTFS_GIB) * GIB;
        if storage.observed.avail < needed {
            return Err(DomainError::conflict(
                "insufficient_storage",
                format!(
                    "storage '{}' has {} GiB free, the volume needs {} GiB",
                    request.storage,
                    storage.observed.avail / GIB,
                    needed / GIB
                ),
            ));
        }
        let volume = self
            .store
            .volumes()
            .insert(NewVolume {
                cluster_id: request.cluster_id,
                node: request.node,
                storage: request.storage,
                name: request.name,
                size_bytes: request.size_gib * GIB,
                owner_id: Some(caller.user_id),
            })
            .await?;
        let submitted = self
            .submit(
                caller,
                &volume,
                kinds::CREATE,
                &steps::CREATE_JOB,
                VolumeJob::of(volume.id),
            )
            .await?;
        Ok((volume, submitted))
    }

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
        if guest.cluster_id != volume.cluster_id || guest.observed.node != volume.node {
            return Err(DomainError::conflict(
                "different_node",
                format!(
                    "the instance runs on node '{}', the volume is on node '{}': a volume \
                     attaches only to instances on its own node",
                    guest.observed.node, volume.node
                ),
            ));
        }
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
        // The slot is chosen by the job from the live config; this records a
        // placeholder key unique to the volume until then.
        let attachment = Attachment {
            guest_id: guest.id,
            key: format!("pending-{}", volume.id.simple()),
            mount_path: request.mount_path.clone(),
        };
        match self
            .store
            .volumes()
            .attach(volume.id, &attachment, proxicloud_store::Timestamp::now())
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
        self.submit(caller, &volume, kinds::ATTACH, &steps::ATTACH_JOB, params)
            .await
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

    /// Queues `volume.grow` (only larger, only while detached).
    pub async fn grow(
        &self,
        caller: &Principal,
        id: Uuid,
        size_gib: u64,
    ) -> DomainResult<Submitted> {
        let volume = self.manageable(caller, id).await?;
        require_available(&volume)?;
        let current = rules::gib_of(volume.size_bytes);
        if size_gib <= current {
            return Err(DomainError::invalid(
                "size_gib",
                format!("volumes only grow: must be larger than the current {current} GiB"),
            ));
        }
        if size_gib > MAX_SIZE_GIB {
            return Err(DomainError::invalid(
                "size_gib",
                format!("at most {MAX_SIZE_GIB} GiB (16 TiB)"),
            ));
        }
        require_detached(&volume, "grown")?;
        let params = VolumeJob {
            size_gib: Some(size_gib),
            ..VolumeJob::of(volume.id)
        };
        self.submit(caller, &volume, kinds::GROW, &steps::GROW_JOB, params)
            .await
    }

    /// Queues `volume.delete` (only while detached); its snapshots go with it.
    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<Submitted> {
        let volume = self.manageable(caller, id).await?;
        require_detached(&volume, "deleted")?;
        if volume.status == status::CREATING {
            return Err(DomainError::conflict(
                "volume_not_ready",
                "the volume is still being created",
            ));
        }
        self.submit(
            caller,
            &volume,
            kinds::DELETE,
            &steps::DELETE_JOB,
            VolumeJob::of(volume.id),
        )
        .await
    }

    pub async fn snapshots(
        &self,
        caller: &Principal,
        id: Uuid,
    ) -> DomainResult<Vec<VolumeSnapshot>> {
        let volume = self.visible(caller, id).await?;
        Ok(self.store.volumes().list_snapshots(volume.id).await?)
    }

    /// Queues `volume.snapshot`; refused before anything happens where the storage
    /// type cannot snapshot.
    pub async fn snapshot(
        &self,
        caller: &Principal,
        id: Uuid,
        name: &str,
        description: &str,
    ) -> DomainResult<(VolumeSnapshot, Submitted)> {
        let volume = self.manageable(caller, id).await?;
        require_available(&volume)?;
        let mut errors = FieldErrors::new();
        rules::check_snapshot_name(name, &mut errors);
        if description.len() > 1024 {
            errors.insert("description".into(), "at most 1024 characters".into());
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let storage_type = self.storage_type(&volume).await?;
        if !rules::storage_features(&storage_type).snapshot {
            return Err(DomainError::conflict(
                "snapshots_not_supported",
                format!(
                    "storage '{}' ({storage_type}) cannot take snapshots of volumes; \
                     LVM-thin, ZFS and Ceph RBD can",
                    volume.storage
                ),
            ));
        }
        let snapshot = match self
            .store
            .volumes()
            .insert_snapshot(volume.id, name, description, volume.size_bytes)
            .await
        {
            Ok(snapshot) => snapshot,
            Err(StoreError::Conflict { .. }) => {
                return Err(DomainError::invalid(
                    "name",
                    "the volume has a snapshot of that name already",
                ));
            }
            Err(other) => return Err(other.into()),
        };
        let params = VolumeJob {
            snapshot_id: Some(snapshot.id),
            ..VolumeJob::of(volume.id)
        };
        let submitted = self
            .submit(
                caller,
                &volume,
                kinds::SNAPSHOT,
                &steps::SNAPSHOT_JOB,
                params,
            )
            .await?;
        Ok((snapshot, submitted))
    }

    /// Queues `volume.snapshot_delete`.
    pub async fn delete_snapshot(
        &self,
        caller: &Principal,
        snapshot_id: Uuid,
    ) -> DomainResult<Submitted> {
        let (volume, snapshot) = self.manageable_snapshot(caller, snapshot_id).await?;
        let params = VolumeJob {
            snapshot_id: Some(snapshot.id),
            ..VolumeJob::of(volume.id)
        };
        self.submit(
            caller,
            &volume,
            kinds::SNAPSHOT_DELETE,
            &steps::SNAPSHOT_JOB,
            params,
        )
        .await
    }

    /// Queues `volume.restore` (rolls the volume back; only while detached).
    pub async fn restore(&self, caller: &Principal, snapshot_id: Uuid) -> DomainResult<Submitted> {
        let (volume, snapshot) = self.manageable_snapshot(caller, snapshot_id).await?;
        require_available(&volume)?;
        require_detached(&volume, "restored")?;
        let params = VolumeJob {
            snapshot_id: Some(snapshot.id),
            ..VolumeJob::of(volume.id)
        };
        self.submit(caller, &volume, kinds::RESTORE, &steps::RESTORE_JOB, params)
            .await
    }

    /// Queues `volume.clone`: a new volume (owned by the caller) from the snapshot.
    pub async fn clone_snapshot(
        &self,
        caller: &Principal,
        snapshot_id: Uuid,
        name: &str,
    ) -> DomainResult<(Volume, Submitted)> {
        caller.require_create()?;
        let (source, snapshot) = self.manageable_snapshot(caller, snapshot_id).await?;
        let mut errors = FieldErrors::new();
        rules::check_name(name, &mut errors);
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let storage_type = self.storage_type(&source).await?;
        if !rules::storage_features(&storage_type).copy_from_snapshot {
            return Err(DomainError::conflict(
                "clone_not_supported",
                format!(
                    "storage '{}' ({storage_type}) cannot copy a volume from a snapshot; \
                     LVM-thin and Ceph RBD can",
                    source.storage
                ),
            ));
        }
        let volume = self
            .store
            .volumes()
            .insert(NewVolume {
                cluster_id: source.cluster_id,
                node: source.node.clone(),
                storage: source.storage.clone(),
                name: name.to_owned(),
                size_bytes: snapshot.size_bytes,
                owner_id: Some(caller.user_id),
            })
            .await?;
        let params = VolumeJob {
            snapshot_id: Some(snapshot.id),
            source_volume_id: Some(source.id),
            ..VolumeJob::of(volume.id)
        };
        let submitted = self
            .submit(caller, &volume, kinds::CLONE, &steps::CLONE_JOB, params)
            .await?;
        Ok((volume, submitted))
    }

    async fn visible(&self, caller: &Principal, id: Uuid) -> DomainResult<Volume> {
        let volume = self
            .store
            .volumes()
            .get(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_view(volume.owner_id, RESOURCE)?;
        Ok(volume)
    }

    async fn manageable(&self, caller: &Principal, id: Uuid) -> DomainResult<Volume> {
        let volume = self.visible(caller, id).await?;
        caller.authorize_manage(volume.owner_id, RESOURCE)?;
        Ok(volume)
    }

    async fn manageable_snapshot(
        &self,
        caller: &Principal,
        snapshot_id: Uuid,
    ) -> DomainResult<(Volume, VolumeSnapshot)> {
        let snapshot = self
            .store
            .volumes()
            .get_snapshot(snapshot_id)
            .await
            .map_err(DomainError::not_found_as(SNAPSHOT))?;
        let volume = self
            .visible(caller, snapshot.volume_id)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => DomainError::NotFound { resource: SNAPSHOT },
                other => other,
            })?;
        caller.authorize_manage(volume.owner_id, SNAPSHOT)?;
        if snapshot.status != status::AVAILABLE {
            return Err(DomainError::conflict(
                "snapshot_not_ready",
                format!("the snapshot is {}", snapshot.status),
            ));
        }
        Ok((volume, snapshot))
    }

    /// `(cluster, node, storage) → storage type`, from the inventory mirror.
    async fn storage_types(&self) -> DomainResult<Vec<(Uuid, String, String, String)>> {
        Ok(self
            .store
            .inventory()
            .list_storages(None)
            .await?
            .into_iter()
            .map(|s| {
                (
                    s.cluster_id,
                    s.observed.node,
                    s.observed.storage,
                    s.observed.storage_type,
                )
            })
            .collect())
    }

    async fn storage_type(&self, volume: &Volume) -> DomainResult<String> {
        let types = self.storage_types().await?;
        Ok(type_of(volume, &types).unwrap_or_default())
    }

    async fn submit(
        &self,
        caller: &Principal,
        volume: &Volume,
        kind: &str,
        steps: &[&str],
        params: VolumeJob,
    ) -> DomainResult<Submitted> {
        let job = NewJob {
            kind: kind.to_owned(),
            actor: JobActor::User(caller.user_id),
            resource_kind: Some(RESOURCE.to_owned()),
            resource_id: Some(volume.id.to_string()),
            params: serde_json::to_value(&params).expect("volume jobs serialise"),
            steps: steps.iter().map(|name| JobStep::pending(*name)).collect(),
            idempotency_key: None,
            run_after: None,
            parent: None,
        };
        self.queue.submit(job).await
    }
}

fn type_of(volume: &Volume, types: &[(Uuid, String, String, String)]) -> Option<String> {
    types
        .iter()
        .find(|(cluster, node, storage, _)| {
            *cluster == volume.cluster_id && *node == volume.node && *storage == volume.storage
        })
        .map(|(.., kind)| kind.clone())
}

fn view(volume: Volume, types: &[(Uuid, String, String, String)]) -> VolumeView {
    let snapshots_supported =
        type_of(&volume, types).is_some_and(|kind| rules::storage_features(&kind).snapshot);
    VolumeView {
        volume,
        snapshots_supported,
    }
}

fn require_available(volume: &Volume) -> DomainResult<()> {
    if volume.status == status::AVAILABLE {
        return Ok(());
    }
    Err(DomainError::conflict(
        "volume_not_ready",
        format!("the volume is {}", volume.status),
    ))
}

fn require_detached(volume: &Volume, what: &str) -> DomainResult<()> {
    if volume.attachment.is_none() {
        return Ok(());
    }
    Err(DomainError::conflict(
        "volume_in_use",
        format!("an attached volume cannot be {what}: detach it first"),
    ))
}
