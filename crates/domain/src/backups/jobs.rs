//! `backup.create` and `backup.delete`. Every step first looks at what it already did
//! (the recorded vzdump task, the row's volume id, the storage's content), so running
//! it again after a crash neither starts a second vzdump nor misses the archive.
//!
//! `backup.create`: `vzdump` starts PVE's task (or waits for the one it started) and
//! `record` reads the archive's volume id from that task's log, its size from the
//! storage's content listing and the configuration inside it, then makes the backup
//! `available`. A failure leaves it `error` with PVE's words.
//!
//! `backup.delete`: `delete` removes the archive from the storage (already gone is
//! fine) and `forget` the row. A failure leaves the backup `available` with the reason.
//!
//! `backup.restore` is in `restore_job.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{
    BackupMode, ContentFilter, NodeName, Pve, PveError, TaskFilter, VzdumpRequest,
    parse_extracted_config,
};
use proxicloud_store::repo::backups::status;
use proxicloud_store::{Backup, BackupArchive, StepStatus, Store, StoreError, Timestamp, Uuid};
use serde::{Deserialize, Serialize};

use super::archive::{archive_volid, notes_template};
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::error::DomainError;
use crate::jobs::pve_task::{recorded_task, resume_task, start_and_wait};
use crate::jobs::{JobHandler, JobHandlers, JobRun, StepError};

pub mod kinds {
    pub const CREATE: &str = "backup.create";
    pub const DELETE: &str = "backup.delete";
    pub const RESTORE: &str = "backup.restore";
}

pub mod steps {
    pub const VZDUMP: &str = "vzdump";
    pub const RECORD: &str = "record";
    pub const DELETE: &str = "delete";
    pub const FORGET: &str = "forget";
    pub const CREATE_JOB: [&str; 2] = [VZDUMP, RECORD];
    pub const DELETE_JOB: [&str; 2] = [DELETE, FORGET];
}

/// The parameters of `backup.create` and `backup.delete`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupJob {
    pub backup_id: Uuid,
}

pub fn register(
    handlers: &mut JobHandlers,
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
) {
    let handler = Arc::new(BackupHandler {
        store: store.clone(),
        connector: connector.clone(),
    });
    handlers.register(kinds::CREATE, handler.clone());
    handlers.register(kinds::DELETE, handler);
    super::restore_job::register(handlers, store, connector, refresh);
}

pub(super) fn connect_error(error: DomainError) -> StepError {
    match error {
        DomainError::NotFound { .. } => {
            StepError::failed("the backup's cluster is no longer registered")
        }
        other => StepError::Transient(other.to_string()),
    }
}

pub(super) fn node_of(backup: &Backup) -> Result<NodeName, StepError> {
    NodeName::new(backup.node.clone()).map_err(|e| StepError::failed(e.to_string()))
}

pub(super) fn noun(backup: &Backup) -> &'static str {
    match backup.guest_kind {
        proxicloud_pve::GuestType::Lxc => "CT",
        proxicloud_pve::GuestType::Qemu => "VM",
    }
}

struct BackupHandler {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
}

#[async_trait]
impl JobHandler for BackupHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let params: BackupJob = run.params()?;
        let backup = match self.store.backups().get(params.backup_id).await {
            Ok(backup) => backup,
            Err(StoreError::NotFound) if step == steps::FORGET => {
                run.skip_step("already forgotten");
                return Ok(());
            }
            Err(StoreError::NotFound) => {
                return Err(StepError::failed("the backup no longer exists"));
            }
            Err(error) => return Err(error.into()),
        };
        if step == steps::FORGET {
            return match self.store.backups().delete(backup.id).await {
                Ok(()) | Err(StoreError::NotFound) => Ok(()),
                Err(error) => Err(error.into()),
            };
        }
        let pve = self
            .connector
            .pve(backup.cluster_id)
            .await
            .map_err(connect_error)?;
        let kind = run.job().kind.clone();
        match (kind.as_str(), step) {
            (kinds::CREATE, steps::VZDUMP) => vzdump(run, pve.as_ref(), &backup).await,
            (kinds::CREATE, steps::RECORD) => self.record(run, pve.as_ref(), &backup).await,
            (kinds::DELETE, steps::DELETE) => remove_archive(run, pve.as_ref(), &backup).await,
            (kind, step) => Err(StepError::failed(format!(
                "unknown step '{step}' of {kind}"
            ))),
        }
    }

    async fn compensate(&self, run: &mut JobRun<'_>, failed_step: &str) -> Result<(), StepError> {
        let params: BackupJob = run.params()?;
        // The failed step's detail holds the error (the job's own is written after).
        let reason = run
            .job()
            .steps
            .iter()
            .find(|s| s.name == failed_step && s.status == StepStatus::Failed)
            .and_then(|s| s.detail.clone())
            .or_else(|| run.job().error.clone())
            .unwrap_or_else(|| format!("step '{failed_step}' failed"));
        let to = match run.job().kind.as_str() {
            kinds::CREATE => status::ERROR,
            kinds::DELETE => status::AVAILABLE,
            _ => return Ok(()),
        };
        match self
            .store
            .backups()
            .set_status(params.backup_id, to, Some(&reason), run.now())
            .await
        {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Starts vzdump for the one guest (or waits for the task started before a crash).
async fn vzdump(run: &mut JobRun<'_>, pve: &dyn Pve, backup: &Backup) -> Result<(), StepError> {
    let node = node_of(backup)?;
    let what = format!("{} {} to '{}'", noun(backup), backup.vmid, backup.storage);
    if backup.volid.is_some() {
        run.skip_step(format!("{what}: already recorded"));
        return Ok(());
    }
    if resume_task(run, pve, &node, "vzdump", backup.vmid).await? {
        run.set_detail(format!("backed up {what}"));
        return Ok(());
    }
    // vzdump answers "OK" without a task for a guest on another node: say so instead.
    match pve
        .guest_status(&node, backup.guest_kind, backup.vmid)
        .await
    {
        Ok(_) => {}
        Err(PveError::NotFound { .. }) => {
            return Err(StepError::failed(format!(
                "{} {} is no longer on node '{}'",
                noun(backup),
                backup.vmid,
                backup.node
            )));
        }
        Err(error) => return Err(error.into()),
    }
    let mode = match backup.mode.as_str() {
        "suspend" => BackupMode::Suspend,
        "stop" => BackupMode::Stop,
        _ => BackupMode::Snapshot,
    };
    let request = VzdumpRequest {
        vmids: vec![backup.vmid],
        storage: Some(backup.storage.clone()),
        mode: Some(mode),
        compress: Some("zstd".to_owned()),
        notes_template: (!backup.notes.is_empty()).then(|| notes_template(&backup.notes)),
        protected: backup.protected.then_some(true),
        remove: Some(false),
        ..VzdumpRequest::default()
    };
    run.set_detail(format!("backing up {what}"));
    let upid = pve.vzdump(&node, &request).await?;
    start_and_wait(run, pve, upid).await?;
    run.set_detail(format!("backed up {what}"));
    Ok(())
}

impl BackupHandler {
    /// The archive as PVE reports it: its name from the task log, its size from the
    /// storage, the configuration from inside it.
    async fn record(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        backup: &Backup,
    ) -> Result<(), StepError> {
        if backup.status == status::AVAILABLE {
            run.skip_step("already recorded");
            return Ok(());
        }
        let node = node_of(backup)?;
        let upid = recorded_task(run, "vzdump", &backup.vmid.to_string())
            .ok_or_else(|| StepError::failed("no vzdump task was recorded for this backup"))?;
        let log = pve.task_log(&upid, 0, 0).await?;
        let lines: Vec<String> = log.lines.into_iter().map(|line| line.t).collect();
        let volid = archive_volid(&backup.storage, backup.guest_kind, backup.vmid, &lines)
            .ok_or_else(|| {
                StepError::failed(format!(
                    "vzdump's task log names no archive of {} {}",
                    noun(backup),
                    backup.vmid
                ))
            })?;
        let filter = ContentFilter {
            content: Some("backup".to_owned()),
            vmid: Some(backup.vmid),
        };
        let content = pve.storage_content(&node, &backup.storage, &filter).await?;
        let archive = content.iter().find(|v| v.volid == volid).ok_or_else(|| {
            StepError::failed(format!(
                "the archive '{volid}' that vzdump's log names is not on storage '{}'",
                backup.storage
            ))
        })?;
        let config = parse_extracted_config(&pve.extract_config(&node, &volid).await?);
        let finished = task_end(pve, &node, backup, &upid).await;
        let seconds = |s: i64| Timestamp::from_unix_micros(s.saturating_mul(1_000_000));
        let started_at = seconds(upid.starttime()).unwrap_or_else(|| run.now());
        let recorded = BackupArchive {
            volid: volid.clone(),
            size_bytes: archive.size.unwrap_or(0),
            config: serde_json::to_value(config).expect("a config map serialises"),
            started_at,
            finished_at: finished.and_then(seconds).unwrap_or_else(|| run.now()),
        };
        self.store
            .backups()
            .record_archive(backup.id, &recorded, run.now())
            .await?;
        run.set_detail(format!("archive {volid}"));
        Ok(())
    }
}

/// When the vzdump task ended, from the node's task list (`None` if not listed).
async fn task_end(
    pve: &dyn Pve,
    node: &NodeName,
    backup: &Backup,
    upid: &proxicloud_pve::Upid,
) -> Option<i64> {
    let filter = TaskFilter {
        limit: Some(50),
        vmid: Some(backup.vmid),
        typefilter: Some("vzdump".to_owned()),
        source: Some("all".to_owned()),
        ..TaskFilter::default()
    };
    let tasks = pve.node_tasks(node, &filter).await.ok()?;
    tasks
        .into_iter()
        .find(|t| t.upid == *upid)
        .and_then(|t| t.endtime)
}

/// Deletes the archive (an `imgdel` task on file storages); already gone is fine.
async fn remove_archive(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    backup: &Backup,
) -> Result<(), StepError> {
    let Some(volid) = backup.volid.clone() else {
        run.skip_step("the backup never got an archive");
        return Ok(());
    };
    let node = node_of(backup)?;
    let task_id = format!("{}@{}", backup.vmid, backup.storage);
    if let Some(upid) = recorded_task(run, "imgdel", &task_id) {
        run.wait_task(pve, &upid).await?;
        run.set_detail(format!("deleted {volid}"));
        return Ok(());
    }
    let filter = ContentFilter {
        content: Some("backup".to_owned()),
        vmid: Some(backup.vmid),
    };
    let listed = pve.storage_content(&node, &backup.storage, &filter).await?;
    if !listed.iter().any(|v| v.volid == volid) {
        run.skip_step(format!("{volid} is already gone"));
        return Ok(());
    }
    if let Some(upid) = pve.delete_volume(&node, &backup.storage, &volid).await? {
        start_and_wait(run, pve, upid).await?;
    }
    run.set_detail(format!("deleted {volid}"));
    Ok(())
}
