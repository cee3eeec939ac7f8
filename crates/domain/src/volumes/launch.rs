//! Volumes a launch brings along: new ones (created on the instance's node and
//! attached) and existing available ones of the caller on that node. Checked when the
//! launch is submitted ([`plan_volumes`], errors at `volumes[i].<field>`), then made by
//! the create job's `volumes` step ([`attach_launch_volumes`]) as one child job per
//! volume — the very jobs `POST /api/v1/volumes` with `attach` and
//! `POST /api/v1/volumes/{id}/attach` queue, so every step of them is checkpointed and
//! a crash anywhere resumes without making anything twice.
//!
//! To let a launch do more with a volume: a field on [`LaunchVolume`] and
//! [`PlannedVolume`], its check in `plan_volumes`, its use in `prepare`.

use std::collections::BTreeSet;

use proxicloud_pve::GuestType;
use proxicloud_store::{Guest, JobStatus, NewVolume, Store, StoreError, Uuid, Volume, constraints};
use serde::{Deserialize, Serialize};

use super::classes::{PlannedSpace, place_volume};
use super::jobs::{VolumeJob, kinds, steps};
use super::rules::{self, GIB};
use super::service::{attachment_placeholder, volume_job};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::jobs::{JobRun, StepError};

/// How many volumes one launch may bring.
pub const MAX_LAUNCH_VOLUMES: usize = 8;

/// One volume of a launch request: an existing volume (`volume_id`), or a new one
/// (`name`, `size_gib`, and `class` or `storage` or neither).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchVolume {
    pub volume_id: Option<Uuid>,
    pub name: Option<String>,
    pub size_gib: Option<u64>,
    pub class: Option<String>,
    pub storage: Option<String>,
    /// Containers: where it is mounted (required).
    pub mount_path: Option<String>,
    /// VMs: `scsi` (default) or `virtio`.
    pub bus: Option<String>,
}

/// What the create job attaches, decided at submission (part of its plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedVolume {
    /// An existing volume's id, or the id the new volume gets (chosen now, so a
    /// resumed step finds the row it made).
    pub volume_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<NewLaunchVolume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
    pub bus: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLaunchVolume {
    pub name: String,
    pub size_gib: u64,
    pub storage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

/// Where the instance goes: its cluster, node and kind, and its root disk (which
/// takes room on its storage before any volume does).
pub struct LaunchTarget<'a> {
    pub cluster_id: Uuid,
    pub node: &'a str,
    pub kind: GuestType,
    pub root_storage: &'a str,
    pub root_disk_gib: u64,
}

/// Checks every volume of a launch against the caller, the target node and each
/// other; a `Validation` error names `volumes[i].<field>`.
pub async fn plan_volumes(
    store: &dyn Store,
    caller: &Principal,
    target: &LaunchTarget<'_>,
    requests: &[LaunchVolume],
) -> DomainResult<Vec<PlannedVolume>> {
    let mut errors = FieldErrors::new();
    if requests.len() > MAX_LAUNCH_VOLUMES {
        errors.insert(
            "volumes".into(),
            format!("at most {MAX_LAUNCH_VOLUMES} volumes per launch"),
        );
        return Err(DomainError::Validation(errors));
    }
    let mut paths = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut space =
        PlannedSpace::from([(target.root_storage.to_owned(), target.root_disk_gib * GIB)]);
    let mut planned = Vec::with_capacity(requests.len());
    for (i, request) in requests.iter().enumerate() {
        let mut own = FieldErrors::new();
        let bus = request.bus.clone().unwrap_or_else(|| "scsi".into());
        match target.kind {
            GuestType::Lxc => match &request.mount_path {
                Some(path) => {
                    rules::check_mount_path(path, &mut own);
                    if !paths.insert(path.trim_end_matches('/').to_owned()) {
                        own.insert("mount_path".into(), "another volume mounts there".into());
                    }
                }
                None => {
                    own.insert("mount_path".into(), "required for a container".into());
                }
            },
            GuestType::Qemu => {
                if request.mount_path.is_some() {
                    own.insert(
                        "mount_path".into(),
                        "a VM mounts its disks itself; leave this out".into(),
                    );
                }
                if !matches!(bus.as_str(), "scsi" | "virtio") {
                    own.insert("bus".into(), "'scsi' or 'virtio'".into());
                }
            }
        }
        let outcome = match request.volume_id {
            Some(id) => existing(store, caller, target, request, id, &mut ids).await,
            None => new_volume(store, target, request, &mut space).await,
        };
        match outcome {
            Ok(Some(new)) => planned.push(PlannedVolume {
                volume_id: new.0,
                new: new.1,
                mount_path: request.mount_path.clone(),
                bus,
            }),
            Ok(None) => {}
            Err(DomainError::Validation(fields)) => own.extend(fields),
            Err(other) => return Err(other),
        }
        errors.extend(
            own.into_iter()
                .map(|(field, problem)| (format!("volumes[{i}].{field}"), problem)),
        );
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(DomainError::Validation(errors))
    }
}

type Planned = Option<(Uuid, Option<NewLaunchVolume>)>;

async fn existing(
    store: &dyn Store,
    caller: &Principal,
    target: &LaunchTarget<'_>,
    request: &LaunchVolume,
    id: Uuid,
    ids: &mut BTreeSet<Uuid>,
) -> DomainResult<Planned> {
    let problem = |text: String| DomainError::invalid("volume_id", text);
    if request.name.is_some()
        || request.size_gib.is_some()
        || request.class.is_some()
        || request.storage.is_some()
    {
        return Err(problem(
            "an existing volume takes no name, size, class or storage".into(),
        ));
    }
    if !ids.insert(id) {
        return Err(problem("this volume is in the list twice".into()));
    }
    let volume = match store.volumes().get(id).await {
        Ok(volume) if caller.can_view(volume.owner_id) => volume,
        Ok(_) | Err(StoreError::NotFound) => return Err(problem("no such volume".into())),
        Err(other) => return Err(other.into()),
    };
    if volume.status != proxicloud_store::repo::volumes::status::AVAILABLE {
        return Err(problem(format!("the volume is {}", volume.status)));
    }
    if volume.attachment.is_some() {
        return Err(problem(
            "the volume is attached already; detach it first".into(),
        ));
    }
    if volume.cluster_id != target.cluster_id || volume.node != target.node {
        return Err(problem(format!(
            "the volume is on node '{}', the instance goes to node '{}': a volume attaches \
             only to instances on its own node",
            volume.node, target.node
        )));
    }
    Ok(Some((id, None)))
}

async fn new_volume(
    store: &dyn Store,
    target: &LaunchTarget<'_>,
    request: &LaunchVolume,
    space: &mut PlannedSpace,
) -> DomainResult<Planned> {
    let mut errors = FieldErrors::new();
    let name = request.name.clone().unwrap_or_default();
    rules::check_name(&name, &mut errors);
    let size_gib = request.size_gib.unwrap_or(0);
    rules::check_size(size_gib, &mut errors);
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let (storage, class) = place_volume(
        store,
        target.cluster_id,
        target.node,
        size_gib,
        request.class.as_deref(),
        request.storage.as_deref(),
        space,
    )
    .await?;
    let new = NewLaunchVolume {
        name,
        size_gib,
        storage,
        class,
    };
    Ok(Some((Uuid::now_v7(), Some(new))))
}

/// The create job's `volumes` step: one child job per volume (create-and-attach, or
/// attach), then their outcome. Re-run after the children ended (or after a crash),
/// it starts nothing twice: a volume whose child exists is left alone.
pub async fn attach_launch_volumes(
    run: &mut JobRun<'_>,
    store: &dyn Store,
    volumes: &[PlannedVolume],
    guest: &Guest,
) -> Result<(), StepError> {
    let children = run.children().await?;
    let mut refused = Vec::new();
    for (i, planned) in volumes.iter().enumerate() {
        let key = format!("volume-{i}");
        if children
            .iter()
            .any(|c| c.child_key.as_deref() == Some(key.as_str()))
        {
            continue;
        }
        match prepare(run, store, planned, guest).await? {
            Ok((volume, kind, job_steps)) => {
                let params = VolumeJob {
                    bus: Some(planned.bus.clone()),
                    ..VolumeJob::of(volume.id)
                };
                let job = volume_job(guest.owner_id, &volume, kind, job_steps, params);
                match run.spawn_child(&key, job).await {
                    Ok(_) => {}
                    // Another job took the volume first (one job at a time per volume).
                    Err(StepError::Transient(why))
                        if why.contains(constraints::JOB_VOLUME_ACTIVE) =>
                    {
                        store.volumes().detach(volume.id, run.now()).await?;
                        refused.push(format!("'{}' is busy with another job", volume.name));
                    }
                    Err(other) => return Err(other),
                }
            }
            Err(why) => refused.push(why),
        }
    }
    let ended = run.wait_for_children().await?;
    let mut failed: Vec<String> = ended
        .iter()
        .filter(|job| job.status != JobStatus::Succeeded)
        .map(|job| {
            job.error
                .clone()
                .unwrap_or_else(|| format!("{} {}", job.kind, job.status))
        })
        .collect();
    failed.extend(refused);
    if failed.is_empty() {
        run.set_detail(format!("{} volume(s) attached", volumes.len()));
        return Ok(());
    }
    Err(StepError::failed(format!(
        "the instance was made but not started: not every volume could be attached ({}); \
         attach them and start it, or terminate it",
        failed.join("; ")
    )))
}

/// The volume row (made for a new volume) with its placeholder attachment to `guest`,
/// and the job kind that finishes it; `Err(why)` when an existing volume was taken
/// meanwhile.
async fn prepare(
    run: &JobRun<'_>,
    store: &dyn Store,
    planned: &PlannedVolume,
    guest: &Guest,
) -> Result<Result<(Volume, &'static str, &'static [&'static str]), String>, StepError> {
    let now = run.now();
    let (volume, kind, job_steps): (Volume, &'static str, &'static [&'static str]) =
        match (&planned.new, store.volumes().get(planned.volume_id).await) {
            (Some(_), Ok(volume)) => (volume, kinds::CREATE, &steps::CREATE_ATTACHED_JOB),
            (Some(new), Err(StoreError::NotFound)) => {
                let row = NewVolume {
                    cluster_id: guest.cluster_id,
                    node: guest.observed.node.clone(),
                    storage: new.storage.clone(),
                    class: new.class.clone(),
                    name: new.name.clone(),
                    size_bytes: new.size_gib * GIB,
                    owner_id: guest.owner_id,
                };
                let volume = store.volumes().insert_as(planned.volume_id, row).await?;
                (volume, kinds::CREATE, &steps::CREATE_ATTACHED_JOB)
            }
            (None, Ok(volume)) => (volume, kinds::ATTACH, &steps::ATTACH_JOB),
            (None, Err(StoreError::NotFound)) => {
                return Ok(Err(format!(
                    "volume {} no longer exists",
                    planned.volume_id
                )));
            }
            (_, Err(other)) => return Err(other.into()),
        };
    match &volume.attachment {
        Some(attachment) if attachment.guest_id == guest.id => {}
        Some(_) => {
            return Ok(Err(format!(
                "'{}' was attached elsewhere meanwhile",
                volume.name
            )));
        }
        None => {
            let placeholder =
                attachment_placeholder(volume.id, guest.id, planned.mount_path.clone());
            match store.volumes().attach(volume.id, &placeholder, now).await {
                Ok(()) => {}
                Err(StoreError::Stale(_)) => {
                    return Ok(Err(format!(
                        "'{}' was attached elsewhere meanwhile",
                        volume.name
                    )));
                }
                Err(other) => return Err(other.into()),
            }
        }
    }
    if planned.new.is_none() && volume.status != proxicloud_store::repo::volumes::status::AVAILABLE
    {
        store.volumes().detach(volume.id, now).await?;
        return Ok(Err(format!("'{}' is {}", volume.name, volume.status)));
    }
    Ok(Ok((volume, kind, job_steps)))
}
