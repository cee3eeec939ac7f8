//! Volume snapshots: taken, deleted, restored and copied into a new volume, each
//! refused up front where the volume's storage type cannot do it.

use proxicloud_store::repo::volumes::status;
use proxicloud_store::{NewVolume, StoreError, Uuid, Volume, VolumeSnapshot};

use super::{SNAPSHOT, VolumeService, require_available, require_detached};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::jobs::Submitted;
use crate::volumes::jobs::{VolumeJob, kinds, steps};
use crate::volumes::rules;

impl VolumeService {
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
            .await;
        match submitted {
            Ok(submitted) => Ok((snapshot, submitted)),
            Err(error) => {
                // Refused (another job came first): no snapshot is being taken.
                self.store.volumes().delete_snapshot(snapshot.id).await?;
                Err(error)
            }
        }
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
                class: source.class.clone(),
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
            .await;
        Ok((self.unless_refused(volume, &submitted).await?, submitted?))
    }

    pub(super) async fn manageable_snapshot(
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
        self.require_idle(&volume).await?;
        if snapshot.status != status::AVAILABLE {
            return Err(DomainError::conflict(
                "snapshot_not_ready",
                format!("the snapshot is {}", snapshot.status),
            ));
        }
        Ok((volume, snapshot))
    }
}
