//! [`BackupService`]: what callers may do with backups, checked before anything runs.
//!
//! A create is refused at once (nothing queued) when the instance is not the caller's
//! to manage, the storage is not on the instance's node or cannot hold backups (its
//! content as the mirror last saw it has no `backup`), or the notes cannot pass
//! through PVE's notes template. What only vzdump finds out (a guest locked by another
//! backup, a storage that fills up) fails the job with Proxmox's own words and leaves
//! the backup `error`.

use std::sync::Arc;

use proxicloud_pve::{BackupMode, NodeName, Pve, VolumeAttributes};
use proxicloud_store::repo::backups::status;
use proxicloud_store::{
    Backup, BackupFilter, Guest, JobActor, JobStep, NewBackup, NewJob, Page, PageRequest,
    StorageObservation, Store, StoreError, Timestamp, Uuid,
};

use super::archive::check_notes;
use super::jobs::{BackupJob, kinds, steps};
use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::{JobQueue, Submitted};

pub(super) const RESOURCE: &str = "backup";
const INSTANCE: &str = "instance";

/// A backup to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateBackup {
    pub instance_id: Uuid,
    pub mode: BackupMode,
    /// A storage on the instance's node with `backup` content.
    pub storage: String,
    pub notes: Option<String>,
    pub protected: bool,
    pub idempotency_key: Option<String>,
}

/// Which backups a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupQuery {
    pub instance_id: Option<Uuid>,
    pub status: Option<String>,
}

pub struct BackupService {
    pub(super) store: Arc<dyn Store>,
    pub(super) queue: JobQueue,
    pub(super) connector: Arc<dyn PveConnector>,
}

impl BackupService {
    pub fn new(store: Arc<dyn Store>, queue: JobQueue, connector: Arc<dyn PveConnector>) -> Self {
        Self {
            store,
            queue,
            connector,
        }
    }

    /// Records the backup (`creating`) and queues `backup.create`; the job names the
    /// backup in `resource_id`.
    pub async fn create(
        &self,
        caller: &Principal,
        request: CreateBackup,
    ) -> DomainResult<(Backup, Submitted)> {
        let guest = load_live_guest(self.store.as_ref(), request.instance_id).await?;
        caller.authorize_manage(guest.owner_id, INSTANCE)?;
        let notes = request.notes.clone().unwrap_or_default();
        let mut fields = FieldErrors::new();
        if let Err(problem) = check_notes(&notes) {
            fields.insert("notes".to_owned(), problem);
        }
        if let Err(problem) = self.backup_storage(&guest, &request.storage).await? {
            fields.insert("storage".to_owned(), problem);
        }
        if !fields.is_empty() {
            return Err(DomainError::Validation(fields));
        }
        let id = Uuid::now_v7();
        let observed = &guest.observed;
        let backup = NewBackup {
            cluster_id: guest.cluster_id,
            owner_id: guest.owner_id,
            guest_id: Some(guest.id),
            guest_name: observed.name.clone(),
            guest_kind: observed.kind,
            vmid: observed.vmid,
            node: observed.node.clone(),
            storage: request.storage.clone(),
            mode: request.mode.as_str().to_owned(),
            notes,
            protected: request.protected,
        };
        let backup = self.store.backups().insert_as(id, backup).await?;
        let job = NewJob {
            resource_kind: Some(RESOURCE.to_owned()),
            resource_id: Some(id.to_string()),
            params: job_params(id),
            idempotency_key: request.idempotency_key,
            ..NewJob::new(
                kinds::CREATE,
                JobActor::User(caller.user_id),
                steps::CREATE_JOB
                    .iter()
                    .map(|s| JobStep::pending(*s))
                    .collect(),
            )
        };
        let submitted = match self.queue.submit(job).await {
            Ok(submitted) => submitted,
            Err(error) => {
                self.forget_unqueued(id).await;
                return Err(error);
            }
        };
        if !submitted.created {
            // The key was used before: that job's backup is the answer, not this row.
            self.forget_unqueued(id).await;
            let earlier = submitted
                .job
                .resource_id
                .as_deref()
                .and_then(|id| id.parse().ok());
            if let Some(earlier) = earlier {
                let backup = self.get(caller, earlier).await?;
                return Ok((backup, submitted));
            }
        }
        Ok((backup, submitted))
    }

    async fn forget_unqueued(&self, id: Uuid) {
        if let Err(error) = self.store.backups().delete(id).await {
            tracing::warn!(backup = %id, %error, "could not remove a backup row whose job was not queued");
        }
    }

    /// `Ok(Err(problem))` when `storage` cannot take this instance's backups, from the
    /// mirror's view of the node's storages.
    async fn backup_storage(
        &self,
        guest: &Guest,
        storage: &str,
    ) -> DomainResult<Result<(), String>> {
        let node = &guest.observed.node;
        let storages = self
            .store
            .inventory()
            .list_storages(Some(guest.cluster_id))
            .await?;
        let Some(found) = storages
            .iter()
            .find(|s| s.observed.node == *node && s.observed.storage == storage)
        else {
            return Ok(Err(format!("node '{node}' has no storage '{storage}'")));
        };
        let content = &found.observed.content;
        if !content.split(',').any(|c| c.trim() == "backup") {
            return Ok(Err(format!(
                "storage '{storage}' cannot hold backups (its content types are '{content}'); choose one with 'backup' content"
            )));
        }
        if found.observed.total > 0 && found.observed.avail == 0 {
            return Ok(Err(format!("storage '{storage}' is full")));
        }
        Ok(Ok(()))
    }

    /// The storages of the instance's node that hold backups (as the mirror last saw
    /// them), by name: what a backup of it may be sent to.
    pub async fn storages_for(
        &self,
        caller: &Principal,
        instance_id: Uuid,
    ) -> DomainResult<Vec<StorageObservation>> {
        let guest = load_live_guest(self.store.as_ref(), instance_id).await?;
        caller.authorize_view(guest.owner_id, INSTANCE)?;
        let mut storages: Vec<StorageObservation> = self
            .store
            .inventory()
            .list_storages(Some(guest.cluster_id))
            .await?
            .into_iter()
            .map(|s| s.observed)
            .filter(|s| {
                s.node == guest.observed.node && s.content.split(',').any(|c| c.trim() == "backup")
            })
            .collect();
        storages.sort_by(|a, b| a.storage.cmp(&b.storage));
        Ok(storages)
    }

    /// The caller's backups (an admin's: everyone's), newest first.
    pub async fn list(
        &self,
        caller: &Principal,
        query: BackupQuery,
        page: PageRequest,
    ) -> DomainResult<Page<Backup>> {
        let filter = BackupFilter {
            owner_id: (!caller.is_admin()).then_some(caller.user_id),
            guest_id: query.instance_id,
            status: query.status,
        };
        Ok(self.store.backups().list(&filter, page).await?)
    }

    pub async fn get(&self, caller: &Principal, id: Uuid) -> DomainResult<Backup> {
        let backup = self
            .store
            .backups()
            .get(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_view(backup.owner_id, RESOURCE)?;
        Ok(backup)
    }

    /// A backup the caller may change, in a state that allows it.
    pub(super) async fn manageable(&self, caller: &Principal, id: Uuid) -> DomainResult<Backup> {
        let backup = self.get(caller, id).await?;
        caller.authorize_manage(backup.owner_id, RESOURCE)?;
        match backup.status.as_str() {
            status::AVAILABLE => Ok(backup),
            other => Err(DomainError::conflict(
                "backup_not_available",
                format!("the backup is {other}"),
            )),
        }
    }

    /// Queues `backup.delete` (the archive, then the row). Protected: `409`.
    pub async fn delete(&self, caller: &Principal, id: Uuid) -> DomainResult<Submitted> {
        let backup = self.get(caller, id).await?;
        caller.authorize_manage(backup.owner_id, RESOURCE)?;
        if backup.protected {
            return Err(DomainError::conflict(
                "backup_protected",
                "the backup is protected; unprotect it before deleting it",
            ));
        }
        if backup.status == status::CREATING || backup.status == status::DELETING {
            return Err(DomainError::conflict(
                "backup_busy",
                format!("the backup is {}", backup.status),
            ));
        }
        self.store
            .backups()
            .set_status(id, status::DELETING, None, Timestamp::now())
            .await?;
        let job = NewJob {
            resource_kind: Some(RESOURCE.to_owned()),
            resource_id: Some(id.to_string()),
            params: job_params(id),
            ..NewJob::new(
                kinds::DELETE,
                JobActor::User(caller.user_id),
                steps::DELETE_JOB
                    .iter()
                    .map(|s| JobStep::pending(*s))
                    .collect(),
            )
        };
        self.queue.submit(job).await
    }

    /// Sets the archive's protection on Proxmox (one synchronous call), then here.
    pub async fn set_protected(
        &self,
        caller: &Principal,
        id: Uuid,
        protected: bool,
    ) -> DomainResult<Backup> {
        let backup = self.manageable(caller, id).await?;
        let volid = backup.volid.clone().ok_or_else(|| {
            DomainError::Internal("an available backup without a volume id".to_owned())
        })?;
        let (node, pve) = self.connect(caller, &backup).await?;
        let attributes = VolumeAttributes {
            protected: Some(protected),
            ..VolumeAttributes::default()
        };
        pve.update_volume_attributes(&node, &backup.storage, &volid, &attributes)
            .await
            .map_err(|e| {
                DomainError::from_pve("change the backup's protection", e).for_caller(caller)
            })?;
        match self
            .store
            .backups()
            .set_protected(id, protected, Timestamp::now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(DomainError::NotFound { resource: RESOURCE }),
            Err(error) => return Err(error.into()),
        }
        self.get(caller, id).await
    }

    /// The backup's node and a connection to its cluster.
    pub(super) async fn connect(
        &self,
        caller: &Principal,
        backup: &Backup,
    ) -> DomainResult<(NodeName, Arc<dyn Pve>)> {
        let node = NodeName::new(backup.node.clone())
            .map_err(|e| DomainError::Internal(format!("recorded node name: {e}")))?;
        let pve = self
            .connector
            .pve(backup.cluster_id)
            .await
            .map_err(|e| e.for_caller(caller))?;
        Ok((node, pve))
    }
}

pub(super) fn job_params(backup_id: Uuid) -> serde_json::Value {
    serde_json::to_value(BackupJob { backup_id }).expect("backup jobs serialise")
}
