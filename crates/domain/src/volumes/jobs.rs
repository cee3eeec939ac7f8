//! The volume job kinds. Every step first looks at what Proxmox VE already has (the
//! holder container, a config key naming the volume, a snapshot of that name) or at the
//! task this job recorded, so that running it again after a crash neither repeats a
//! side effect nor misses one. The volume row is the source of truth for what was made.
//!
//! To add a job kind: a `kinds` constant, its `steps`, a `match` arm in
//! [`VolumeHandler::run_step`] and its registration in `register`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use proxicloud_pve::{
    CloneRequest, ConfigUpdate, ContentFilter, DeleteOptions, GuestType, LxcCreate, NodeName, Pve,
    PveError, ResizeRequest, ResourceKind, SnapshotRequest, Upid, VmId,
};
use proxicloud_store::repo::volumes::status;
use proxicloud_store::{Store, StoreError, Uuid, Volume};
use serde::{Deserialize, Serialize};

use super::rules::{self, GIB, HOLDER_KEY, HOLDER_ROOTFS_GIB, HOLDER_TAG};
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::error::DomainError;
use crate::jobs::{JobHandler, JobHandlers, JobRun, StepError};

pub mod kinds {
    pub const CREATE: &str = "volume.create";
    pub const ATTACH: &str = "volume.attach";
    pub const DETACH: &str = "volume.detach";
    pub const GROW: &str = "volume.grow";
    pub const DELETE: &str = "volume.delete";
    pub const SNAPSHOT: &str = "volume.snapshot";
    pub const SNAPSHOT_DELETE: &str = "volume.snapshot_delete";
    pub const RESTORE: &str = "volume.restore";
    pub const CLONE: &str = "volume.clone";
    pub const ALL: [&str; 9] = [
        CREATE,
        ATTACH,
        DETACH,
        GROW,
        DELETE,
        SNAPSHOT,
        SNAPSHOT_DELETE,
        RESTORE,
        CLONE,
    ];
}

pub mod steps {
    pub const HOLDER: &str = "holder";
    pub const READY: &str = "ready";
    pub const CONFIG: &str = "config";
    pub const RESIZE: &str = "resize";
    pub const DESTROY: &str = "destroy";
    pub const FORGET: &str = "forget";
    pub const SNAPSHOT: &str = "snapshot";
    pub const ROLLBACK: &str = "rollback";
    pub const CLONE_HOLDER: &str = "clone";
    pub const CREATE_JOB: [&str; 2] = [HOLDER, READY];
    pub const ATTACH_JOB: [&str; 1] = [CONFIG];
    pub const DETACH_JOB: [&str; 1] = [CONFIG];
    pub const GROW_JOB: [&str; 1] = [RESIZE];
    pub const DELETE_JOB: [&str; 2] = [DESTROY, FORGET];
    pub const SNAPSHOT_JOB: [&str; 1] = [SNAPSHOT];
    pub const RESTORE_JOB: [&str; 1] = [ROLLBACK];
    pub const CLONE_JOB: [&str; 2] = [CLONE_HOLDER, READY];
}

/// The parameters of every volume job: the volume and what the kind needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VolumeJob {
    pub volume_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_gib: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<Uuid>,
    /// `volume.clone`: the volume whose holder is cloned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_volume_id: Option<Uuid>,
    /// `volume.attach` to a VM: `scsi` or `virtio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
}

impl VolumeJob {
    pub fn of(volume_id: Uuid) -> Self {
        Self {
            volume_id,
            ..Self::default()
        }
    }
}

/// The holder's description carries this marker, so a resumed job recognises it.
fn marker(volume_id: Uuid) -> String {
    format!("proxicloud volume {volume_id}")
}

pub fn register(
    handlers: &mut JobHandlers,
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
) {
    let handler = Arc::new(VolumeHandler {
        store,
        connector,
        refresh,
    });
    for kind in kinds::ALL {
        handlers.register(kind, handler.clone());
    }
}

pub struct VolumeHandler {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    refresh: Option<Arc<dyn MirrorRefresh>>,
}

fn connect_error(error: DomainError) -> StepError {
    match error {
        DomainError::NotFound { .. } => {
            StepError::failed("the volume's cluster is no longer registered")
        }
        other => StepError::Transient(other.to_string()),
    }
}

fn node_name(volume: &Volume) -> Result<NodeName, StepError> {
    NodeName::new(volume.node.clone()).map_err(|e| StepError::failed(e.to_string()))
}

fn holder_of(volume: &Volume) -> Result<VmId, StepError> {
    let vmid = volume
        .holder_vmid
        .ok_or_else(|| StepError::failed("the volume has no holder container"))?;
    VmId::new(vmid).map_err(|e| StepError::failed(e.to_string()))
}

/// Waits for the task this step recorded earlier, if it is a `task_type` task on `id`.
async fn resume_task(
    run: &mut JobRun<'_>,
    pve: &dyn Pve,
    task_type: &str,
    id: &str,
) -> Result<bool, StepError> {
    let recorded = run
        .recorded_upid()
        .filter(|upid| upid.task_type() == task_type && upid.id() == id);
    match recorded {
        Some(upid) => {
            run.wait_task(pve, &upid).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

async fn start_and_wait(run: &mut JobRun<'_>, pve: &dyn Pve, upid: Upid) -> Result<(), StepError> {
    run.record_upid(&upid).await?;
    run.wait_task(pve, &upid).await?;
    Ok(())
}

/// Whether a guest with `vmid` exists anywhere in the cluster.
async fn guest_exists(pve: &dyn Pve, vmid: VmId) -> Result<bool, StepError> {
    let resources = pve.cluster_resources(Some(ResourceKind::Vm)).await?;
    Ok(resources.iter().any(|r| r.vmid == Some(vmid)))
}

impl VolumeHandler {
    async fn volume(&self, run: &JobRun<'_>) -> Result<(VolumeJob, Volume), StepError> {
        let params: VolumeJob = run.params()?;
        let volume = match self.store.volumes().get(params.volume_id).await {
            Ok(volume) => volume,
            Err(StoreError::NotFound) => {
                return Err(StepError::failed("the volume no longer exists"));
            }
            Err(error) => return Err(error.into()),
        };
        Ok((params, volume))
    }

    /// `volume.create`/`volume.clone` step 1: the holder container.
    async fn make_holder(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        params: &VolumeJob,
        volume: &Volume,
        clone: bool,
    ) -> Result<(), StepError> {
        let node = node_name(volume)?;
        let vmid = match volume.holder_vmid {
            Some(vmid) => VmId::new(vmid).map_err(|e| StepError::failed(e.to_string()))?,
            None => {
                let vmid = pve.next_id(None).await?;
                match self
                    .store
                    .volumes()
                    .set_holder(volume.id, vmid.get(), run.now())
                    .await
                {
                    Ok(()) => {}
                    Err(StoreError::Conflict { .. }) => {
                        return Err(StepError::Transient(format!(
                            "vmid {vmid} was taken meanwhile"
                        )));
                    }
                    Err(error) => return Err(error.into()),
                }
                vmid
            }
        };
        let task_type = if clone { "vzclone" } else { "vzcreate" };
        if resume_task(run, pve, task_type, &vmid.to_string()).await? {
            return Ok(());
        }
        if guest_exists(pve, vmid).await? {
            let config = pve.guest_config(&node, GuestType::Lxc, vmid).await?;
            if config
                .description
                .as_deref()
                .is_some_and(|d| d.contains(&marker(volume.id)))
            {
                run.skip_step(format!("holder container {vmid} exists"));
                return Ok(());
            }
            return Err(StepError::failed(format!(
                "vmid {vmid} is taken by a guest that is not this volume's holder"
            )));
        }
        let upid = if clone {
            let (source, snapshot) = self.clone_source(params).await?;
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

    async fn clone_source(&self, params: &VolumeJob) -> Result<(Volume, String), StepError> {
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
    async fn mark_ready(
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

    async fn attach(
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
        let guest = self.store.guests().get(attachment.guest_id).await?;
        let (node, kind) = (
            NodeName::new(guest.observed.node.clone())
                .map_err(|e| StepError::failed(e.to_string()))?,
            guest.observed.kind,
        );
        let config = pve.guest_config(&node, kind, guest.observed.vmid).await?;
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
                pve.update_guest_config(&node, kind, guest.observed.vmid, &update)
                    .await?;
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

    async fn detach(
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
        let node = NodeName::new(guest.observed.node.clone())
            .map_err(|e| StepError::failed(e.to_string()))?;
        let kind = guest.observed.kind;
        let vmid = guest.observed.vmid;
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

    async fn grow(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        params: &VolumeJob,
        volume: &Volume,
    ) -> Result<(), StepError> {
        let size_gib = params
            .size_gib
            .ok_or_else(|| StepError::failed("grow without a size"))?;
        let holder = holder_of(volume)?;
        if !resume_task(run, pve, "resize", &holder.to_string()).await? {
            // An absolute size: running it twice changes nothing the second time.
            let request = ResizeRequest {
                disk: HOLDER_KEY.to_owned(),
                size: format!("{size_gib}G"),
            };
            let resized = pve
                .resize_disk(&node_name(volume)?, GuestType::Lxc, holder, &request)
                .await;
            match resized {
                Ok(Some(upid)) => start_and_wait(run, pve, upid).await?,
                Ok(None) => {}
                // Already that size (a resumed run): PVE refuses to shrink or keep.
                Err(PveError::Server { message, .. }) if message.contains("unable to shrink") => {}
                Err(error) => return Err(error.into()),
            }
        }
        self.store
            .volumes()
            .set_size(volume.id, size_gib * GIB, run.now())
            .await?;
        Ok(())
    }

    async fn destroy(
        &self,
        run: &mut JobRun<'_>,
        pve: &dyn Pve,
        volume: &Volume,
    ) -> Result<(), StepError> {
        self.store
            .volumes()
            .set_status(volume.id, status::DELETING, None, run.now())
            .await?;
        let Some(vmid) = volume.holder_vmid else {
            run.skip_step("no holder container was made");
            return Ok(());
        };
        let holder = VmId::new(vmid).map_err(|e| StepError::failed(e.to_string()))?;
        if resume_task(run, pve, "vzdestroy", &holder.to_string()).await? {
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
            .delete_guest(&node_name(volume)?, GuestType::Lxc, holder, options)
            .await?;
        start_and_wait(run, pve, upid).await
    }

    async fn snapshot(
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
        let holder = holder_of(volume)?;
        let node = node_name(volume)?;
        let existing = pve.snapshots(&node, GuestType::Lxc, holder).await?;
        let present = existing.iter().any(|s| s.name == snapshot.name);
        let task_type = match kind {
            kinds::SNAPSHOT => "vzsnapshot",
            kinds::SNAPSHOT_DELETE => "vzdelsnapshot",
            _ => "vzrollback",
        };
        if !resume_task(run, pve, task_type, &holder.to_string()).await? {
            let upid = match kind {
                kinds::SNAPSHOT if present => None,
                kinds::SNAPSHOT => {
                    let request = SnapshotRequest {
                        name: snapshot.name.clone(),
                        description: Some(snapshot.description.clone()),
                        vmstate: false,
                    };
                    Some(
                        pve.create_snapshot(&node, GuestType::Lxc, holder, &request)
                            .await?,
                    )
                }
                kinds::SNAPSHOT_DELETE if !present => None,
                kinds::SNAPSHOT_DELETE => Some(
                    pve.delete_snapshot(&node, GuestType::Lxc, holder, &snapshot.name, false)
                        .await?,
                ),
                _ => Some(
                    pve.rollback_snapshot(&node, GuestType::Lxc, holder, &snapshot.name, false)
                        .await?,
                ),
            };
            if let Some(upid) = upid {
                start_and_wait(run, pve, upid).await?;
            }
        }
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
            _ => {
                self.store
                    .volumes()
                    .set_size(volume.id, snapshot.size_bytes, run.now())
                    .await?
            }
        }
        Ok(())
    }
}

fn holder_name(volume_id: Uuid) -> String {
    let simple = volume_id.simple().to_string();
    format!("vol-{}", &simple[simple.len() - 12..])
}

/// The smallest container template on the node: the holder's root file system is
/// never used, it only lets Proxmox VE create the container that formats the volume.
async fn smallest_template(pve: &dyn Pve, node: &NodeName) -> Result<String, StepError> {
    let storages = pve
        .storages(
            node,
            &proxicloud_pve::StorageFilter {
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

#[async_trait]
impl JobHandler for VolumeHandler {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        let (params, volume) = match self.volume(run).await {
            Ok(found) => found,
            Err(StepError::Failed(_)) if step == steps::FORGET => {
                run.skip_step("already forgotten");
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if step == steps::FORGET {
            self.store.volumes().delete(volume.id).await?;
            return Ok(());
        }
        let pve = self
            .connector
            .pve(volume.cluster_id)
            .await
            .map_err(connect_error)?;
        let pve = pve.as_ref();
        let kind = run.job().kind.clone();
        let result = match (kind.as_str(), step) {
            (kinds::CREATE, steps::HOLDER) => {
                self.make_holder(run, pve, &params, &volume, false).await
            }
            (kinds::CLONE, steps::CLONE_HOLDER) => {
                self.make_holder(run, pve, &params, &volume, true).await
            }
            (kinds::CREATE | kinds::CLONE, steps::READY) => {
                self.mark_ready(run, pve, &volume).await
            }
            (kinds::ATTACH, steps::CONFIG) => self.attach(run, pve, &params, &volume).await,
            (kinds::DETACH, steps::CONFIG) => self.detach(run, pve, &volume).await,
            (kinds::GROW, steps::RESIZE) => self.grow(run, pve, &params, &volume).await,
            (kinds::DELETE, steps::DESTROY) => self.destroy(run, pve, &volume).await,
            (kinds::SNAPSHOT | kinds::SNAPSHOT_DELETE, steps::SNAPSHOT)
            | (kinds::RESTORE, steps::ROLLBACK) => {
                self.snapshot(run, pve, &params, &volume, &kind).await
            }
            (kind, step) => Err(StepError::failed(format!(
                "unknown step '{step}' of {kind}"
            ))),
        };
        if let Some(refresh) = &self.refresh
            && result.is_ok()
            && let Err(error) = refresh.refresh(volume.cluster_id).await
        {
            tracing::warn!(job = %run.id(), %error, "could not refresh the inventory after a volume job");
        }
        result
    }

    /// A failed create/clone leaves the volume in `error` (with PVE's reason); a
    /// failed attach gives the slot back; a failed snapshot is marked `error`.
    async fn compensate(&self, run: &mut JobRun<'_>, failed_step: &str) -> Result<(), StepError> {
        let Ok((params, volume)) = self.volume(run).await else {
            return Ok(());
        };
        let reason = run
            .job()
            .error
            .clone()
            .unwrap_or_else(|| format!("step '{failed_step}' failed"));
        let kind = run.job().kind.clone();
        match kind.as_str() {
            kinds::CREATE | kinds::CLONE => {
                self.store
                    .volumes()
                    .set_status(volume.id, status::ERROR, Some(&reason), run.now())
                    .await?
            }
            kinds::ATTACH => self.store.volumes().detach(volume.id, run.now()).await?,
            kinds::DELETE => {
                self.store
                    .volumes()
                    .set_status(volume.id, status::ERROR, Some(&reason), run.now())
                    .await?
            }
            kinds::SNAPSHOT => {
                if let Some(id) = params.snapshot_id {
                    match self
                        .store
                        .volumes()
                        .set_snapshot_status(id, status::ERROR)
                        .await
                    {
                        Ok(()) | Err(StoreError::NotFound) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
