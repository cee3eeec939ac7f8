//! `VolumeService`: who may do what to a volume, every check that can be made before
//! Proxmox VE is touched (sizes, node, storage features, attachment state), then the
//! job that does it. Reads come from the store and the inventory mirror only; the list
//! from an in-memory index of them (`super::index`).
//!
//! Create, grow and delete are here; attaching in `attachments`, snapshots in
//! `snapshots`. A new operation checks with `manageable` (which also refuses a volume
//! whose job has not ended: `busy`) and queues with `submit`.

mod attachments;
mod busy;
mod snapshots;

pub(crate) use attachments::attachment_placeholder;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::repo::volumes::status;
use proxicloud_store::{
    JobActor, JobStep, MAX_PAGE_LIMIT, NewJob, NewVolume, Page, PageRequest, Storage, Store, Table,
    Timestamp, Uuid, Volume, VolumeFilter,
};

use super::classes::{PlannedSpace, place_volume};
use super::index::{IndexedVolume, VolumeIndex, VolumeSort};
use super::jobs::{VolumeJob, kinds, steps};
use super::rules::{self, GIB, MAX_SIZE_GIB};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::jobs::{JobQueue, Submitted};
use crate::read_index::IndexCache;

const RESOURCE: &str = "volume";
const SNAPSHOT: &str = "volume snapshot";

/// A volume as the API shows it.
#[derive(Debug, Clone)]
pub struct VolumeView {
    pub volume: Volume,
    /// Whether its storage type can take snapshots.
    pub snapshots_supported: bool,
}

/// Where to create a volume: a node of a cluster, or — with `attach` — the node of the
/// instance it is attached to in the same job (then `cluster_id` and `node` may be
/// left out; given, they must be the instance's).
#[derive(Debug, Clone)]
pub struct CreateVolume {
    pub name: String,
    pub size_gib: u64,
    pub cluster_id: Option<Uuid>,
    pub node: Option<String>,
    /// A storage of the node, or `class`, or neither (any storage with room).
    pub storage: Option<String>,
    pub class: Option<String>,
    pub attach: Option<AttachVolume>,
}

#[derive(Debug, Clone)]
pub struct AttachVolume {
    pub instance_id: Uuid,
    pub mount_path: Option<String>,
    pub bus: Option<String>,
}

pub struct VolumeService {
    pub(in crate::volumes) store: Arc<dyn Store>,
    queue: JobQueue,
    index: IndexCache<VolumeIndex>,
}

/// How old the volume index may get before a read rebuilds it, to show volume writes
/// made by other processes sharing the database (this process's own rebuild it at once).
const MAX_INDEX_AGE: Duration = Duration::from_secs(5);

impl VolumeService {
    pub fn new(store: Arc<dyn Store>, queue: JobQueue) -> Self {
        Self {
            store,
            queue,
            index: IndexCache::new(MAX_INDEX_AGE),
        }
    }

    /// The caller's volumes (an admin's: all) that match `filter`, in `sort` order, a
    /// page at a time (keyset cursors: pages neither skip nor repeat), from the index.
    pub async fn list(
        &self,
        caller: &Principal,
        filter: VolumeFilter,
        sort: VolumeSort,
        descending: bool,
        page: PageRequest,
    ) -> DomainResult<Page<VolumeView>> {
        let rows = self
            .list_rows(caller, filter, sort, descending, page)
            .await?;
        Ok(Page {
            items: rows.items.iter().map(|row| row.view.clone()).collect(),
            next: rows.next,
        })
    }

    /// [`Self::list`] as the index's rows, shared, each with its rendered API form.
    pub async fn list_rows(
        &self,
        caller: &Principal,
        mut filter: VolumeFilter,
        sort: VolumeSort,
        descending: bool,
        page: PageRequest,
    ) -> DomainResult<Page<Arc<IndexedVolume>>> {
        if !(1..=MAX_PAGE_LIMIT).contains(&page.limit) {
            return Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE_LIMIT}"),
            ));
        }
        filter.owner_id = (!caller.is_admin()).then_some(caller.user_id);
        filter.name_contains = filter.name_contains.filter(|q| !q.trim().is_empty());
        let index = self.index().await?;
        let found = index.page(
            &filter,
            sort,
            descending,
            page.after.as_ref(),
            page.limit as usize,
        )?;
        Ok(Page {
            items: found.items,
            next: found.next,
        })
    }

    /// The index of every volume, rebuilt first if this process wrote one since.
    async fn index(&self) -> DomainResult<Arc<VolumeIndex>> {
        let store = &self.store;
        self.index
            .get(
                || store.writes(Table::Volumes),
                || async {
                    let started = std::time::Instant::now();
                    let volumes = store.volumes().list_all().await?;
                    let types = StorageTypes::new(store.inventory().list_storages(None).await?);
                    let index = VolumeIndex::build(volumes, &types);
                    tracing::debug!(
                        volumes = index.len(),
                        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                        "volume index rebuilt"
                    );
                    Ok::<_, DomainError>(index)
                },
            )
            .await
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
        if request.attach.is_none() {
            for (field, missing) in [
                ("cluster_id", request.cluster_id.is_none()),
                ("node", request.node.is_none()),
            ] {
                if missing {
                    errors.insert(
                        field.into(),
                        "required unless `attach` names an instance".into(),
                    );
                }
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let target = match &request.attach {
            Some(attach) => Some(self.attachment_target(caller, attach).await?),
            None => None,
        };
        let (cluster_id, node) = match &target {
            Some((guest, _)) => {
                if request.cluster_id.is_some_and(|id| id != guest.cluster_id)
                    || request
                        .node
                        .as_ref()
                        .is_some_and(|n| *n != guest.observed.node)
                {
                    let node = request.node.as_deref().unwrap_or("another cluster's");
                    return Err(attachments::different_node(&guest.observed.node, node));
                }
                (guest.cluster_id, guest.observed.node.clone())
            }
            None => (
                request.cluster_id.expect("checked above"),
                request.node.clone().expect("checked above"),
            ),
        };
        let (storage, class) = place_volume(
            self.store.as_ref(),
            cluster_id,
            &node,
            request.size_gib,
            request.class.as_deref(),
            request.storage.as_deref(),
            &mut PlannedSpace::new(),
        )
        .await?;
        let volume = self
            .store
            .volumes()
            .insert(NewVolume {
                cluster_id,
                node,
                storage,
                class,
                name: request.name,
                size_bytes: request.size_gib * GIB,
                owner_id: Some(caller.user_id),
            })
            .await?;
        let (job_steps, params): (&[&str], _) = match (&target, &request.attach) {
            (Some((guest, bus)), Some(attach)) => {
                // Recorded now (the volume shows where it goes); the job's last step
                // writes it into the instance's config once the volume exists.
                let attachment =
                    attachment_placeholder(volume.id, guest.id, attach.mount_path.clone());
                self.store
                    .volumes()
                    .attach(volume.id, &attachment, Timestamp::now())
                    .await?;
                let params = VolumeJob {
                    bus: Some(bus.clone()),
                    ..VolumeJob::of(volume.id)
                };
                (&steps::CREATE_ATTACHED_JOB, params)
            }
            _ => (&steps::CREATE_JOB, VolumeJob::of(volume.id)),
        };
        let submitted = self
            .submit(caller, &volume, kinds::CREATE, job_steps, params)
            .await;
        Ok((self.unless_refused(volume, &submitted).await?, submitted?))
    }

    /// A volume recorded for a job that was then refused is forgotten again (with its
    /// initial attachment): no job will ever make it, and it would stay `creating`.
    pub(super) async fn unless_refused(
        &self,
        volume: Volume,
        submitted: &DomainResult<Submitted>,
    ) -> DomainResult<Volume> {
        if submitted.is_err() {
            self.store.volumes().delete(volume.id).await?;
        }
        Ok(volume)
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
            return Err(DomainError::conflict(
                "volume_shrink_refused",
                format!(
                    "volumes only grow: the new size must be larger than the current \
                     {current} GiB (Proxmox VE cannot shrink a volume)"
                ),
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

    pub(super) async fn visible(&self, caller: &Principal, id: Uuid) -> DomainResult<Volume> {
        let volume = self
            .store
            .volumes()
            .get(id)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        caller.authorize_view(volume.owner_id, RESOURCE)?;
        Ok(volume)
    }

    /// A volume the caller may change and no job is working on.
    pub(super) async fn manageable(&self, caller: &Principal, id: Uuid) -> DomainResult<Volume> {
        let volume = self.visible(caller, id).await?;
        caller.authorize_manage(volume.owner_id, RESOURCE)?;
        self.require_idle(&volume).await?;
        Ok(volume)
    }

    /// The storage types of every storage the mirror knows (for a list).
    async fn storage_types(&self) -> DomainResult<StorageTypes> {
        Ok(StorageTypes::new(
            self.store.inventory().list_storages(None).await?,
        ))
    }

    /// The type of the volume's storage (`lvmthin`, `zfspool`, …; empty if unseen).
    pub(super) async fn storage_type(&self, volume: &Volume) -> DomainResult<String> {
        let storages = self
            .store
            .inventory()
            .list_storages(Some(volume.cluster_id))
            .await?;
        Ok(StorageTypes::new(storages)
            .of(volume)
            .unwrap_or_default()
            .to_owned())
    }

    pub(super) async fn submit(
        &self,
        caller: &Principal,
        volume: &Volume,
        kind: &str,
        steps: &[&str],
        params: VolumeJob,
    ) -> DomainResult<Submitted> {
        let job = volume_job(Some(caller.user_id), volume, kind, steps, params);
        match self.queue.submit(job).await {
            Ok(submitted) => Ok(submitted),
            Err(error) => Err(self.busy_on_conflict(volume, error).await),
        }
    }
}

/// The job of `kind` on `volume`, acting for `actor` (a child job acts for its
/// parent's actor whatever this says).
pub(crate) fn volume_job(
    actor: Option<Uuid>,
    volume: &Volume,
    kind: &str,
    steps: &[&str],
    params: VolumeJob,
) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        actor: match actor {
            Some(user) => JobActor::User(user),
            None => JobActor::System {
                name: "volumes".to_owned(),
            },
        },
        resource_kind: Some(RESOURCE.to_owned()),
        resource_id: Some(volume.id.to_string()),
        params: serde_json::to_value(&params).expect("volume jobs serialise"),
        steps: steps.iter().map(|name| JobStep::pending(*name)).collect(),
        idempotency_key: None,
        run_after: None,
        parent: None,
    }
}

/// The type of every storage of the mirror, to tell what each volume's storage can do
/// (looked up once per volume: a list of 10,000 volumes is one pass, not a scan of
/// every storage per volume).
pub(super) struct StorageTypes(HashMap<(Uuid, String, String), String>);

impl StorageTypes {
    pub(super) fn new(storages: Vec<Storage>) -> Self {
        Self(
            storages
                .into_iter()
                .map(|s| {
                    let key = (s.cluster_id, s.observed.node, s.observed.storage);
                    (key, s.observed.storage_type)
                })
                .collect(),
        )
    }

    pub(super) fn view(&self, volume: Volume) -> VolumeView {
        view(volume, self)
    }

    fn of(&self, volume: &Volume) -> Option<&str> {
        // One allocation per lookup keeps the key type simple; rebuilds are rare.
        let key = (
            volume.cluster_id,
            volume.node.clone(),
            volume.storage.clone(),
        );
        self.0.get(&key).map(String::as_str)
    }
}

fn view(volume: Volume, types: &StorageTypes) -> VolumeView {
    let snapshots_supported = types
        .of(&volume)
        .is_some_and(|kind| rules::storage_features(kind).snapshot);
    VolumeView {
        volume,
        snapshots_supported,
    }
}

pub(super) fn require_available(volume: &Volume) -> DomainResult<()> {
    if volume.status == status::AVAILABLE {
        return Ok(());
    }
    Err(DomainError::conflict(
        "volume_not_ready",
        format!("the volume is {}", volume.status),
    ))
}

pub(super) fn require_detached(volume: &Volume, what: &str) -> DomainResult<()> {
    if volume.attachment.is_none() {
        return Ok(());
    }
    Err(DomainError::conflict(
        "volume_in_use",
        format!("an attached volume cannot be {what}: detach it first"),
    ))
}
