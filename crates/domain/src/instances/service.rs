//! `InstanceService`: the write side of instances. Each call checks who may do it,
//! validates everything before Proxmox is touched, and queues a job — the API answers
//! `202 {job}` with what this returns.

use std::sync::Arc;

use proxicloud_pve::GuestType;
use secrecy::SecretString;

use proxicloud_store::{
    Guest, GuestKeyPair, JobActor, JobFilter, JobStep, NewJob, PageRequest, STATUS_CREATING, Store,
    Uuid,
};

use super::addresses::AddressLearner;
use super::create_job::{self, CreateHandler};
use super::lifecycle_jobs::{
    PowerHandler, TERMINATE_KIND, TerminateHandler, power_kind, terminate_steps,
};
use super::plan::{CreatePlan, Source};
use super::pve_steps::{Power, Target};
use super::request::CreateInstance;
use super::resolve::Resolver;
use super::root_password::{self, SealedSecrets};
use super::unique_name::require_unique_name;
use crate::clusters::{MirrorRefresh, PveConnector};
use crate::error::{DomainError, DomainResult};
use crate::events::EventBus;
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::{JobHandlers, JobQueue, Submitted, check_idempotency_key};
use crate::keypairs::usable_key_pairs;
use crate::secrets::MasterKey;
use crate::settings::SettingsService;
use crate::volumes::launch::{LaunchTarget, plan_volumes};

const RESOURCE: &str = "instance";

/// The instance a request acts on, as a person knows it: what its audit entry names
/// (after a terminate the name is what a reader still recognises).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRef {
    pub id: Uuid,
    pub name: String,
}

impl InstanceRef {
    fn of(guest: &Guest) -> Self {
        Self {
            id: guest.id,
            name: guest.observed.name.clone(),
        }
    }
}

/// A queued `instance.create`, and the instance it will create — unknown only for a
/// replayed request whose first job's parameters cannot be read.
#[derive(Debug)]
pub struct Launched {
    pub submitted: Submitted,
    pub instance: Option<InstanceRef>,
    /// The generated root password, for the caller's eyes only, this once: never for a
    /// replayed request (its first answer had it; nothing kept it since).
    pub root_password: Option<SecretString>,
}

/// A queued power action or terminate, and the instance it acts on (loaded anyway to
/// check the caller, so the API need not read it again to name it).
#[derive(Debug)]
pub struct Queued {
    pub submitted: Submitted,
    pub instance: InstanceRef,
}
/// How many of the caller's newest jobs are searched for a repeated idempotency key
/// before the request is validated again (the store's unique key is the real guard).
const RECENT_JOBS_FOR_KEY: u32 = 200;

pub struct InstanceService {
    store: Arc<dyn Store>,
    queue: JobQueue,
    connector: Arc<dyn PveConnector>,
    settings: Arc<SettingsService>,
    /// Seals generated root passwords into the create job's parameters.
    master_key: Arc<MasterKey>,
}

impl InstanceService {
    pub fn new(
        store: Arc<dyn Store>,
        queue: JobQueue,
        connector: Arc<dyn PveConnector>,
        settings: Arc<SettingsService>,
        master_key: Arc<MasterKey>,
    ) -> Self {
        Self {
            store,
            queue,
            connector,
            settings,
            master_key,
        }
    }

    /// Queues `instance.create`. Validation failures are one `Validation` error with
    /// every problem found; a repeated `idempotency_key` returns the first job.
    pub async fn create(
        &self,
        caller: &Principal,
        request: &CreateInstance,
        idempotency_key: Option<&str>,
    ) -> DomainResult<Submitted> {
        Ok(self
            .launch(caller, request, idempotency_key)
            .await?
            .submitted)
    }

    /// [`InstanceService::create`], also saying which instance the job will create
    /// (its id and name are decided now), for the request's audit entry.
    pub async fn launch(
        &self,
        caller: &Principal,
        request: &CreateInstance,
        idempotency_key: Option<&str>,
    ) -> DomainResult<Launched> {
        caller.require_create()?;
        if let Some(earlier) = self.earlier_job(caller, idempotency_key).await? {
            let plan: Option<CreatePlan> = serde_json::from_value(earlier.params).ok();
            return Ok(Launched {
                submitted: earlier.submitted,
                instance: plan.and_then(|plan| {
                    Some(InstanceRef {
                        id: plan.instance_id?,
                        name: plan.name,
                    })
                }),
                root_password: None,
            });
        }
        let mut plan = self.plan(caller, request).await?;
        let root_password = match plan.instance_id {
            Some(instance_id) if plan.root_password => {
                let password = root_password::generate();
                plan.sealed = Some(SealedSecrets::seal(
                    &self.master_key,
                    instance_id,
                    &password,
                ));
                Some(password)
            }
            _ => None,
        };
        let instance = plan.instance_id.map(|id| InstanceRef {
            id,
            name: plan.name.clone(),
        });
        let job = NewJob {
            kind: create_job::KIND.to_owned(),
            actor: JobActor::User(caller.user_id),
            resource_kind: Some(RESOURCE.to_owned()),
            resource_id: None,
            params: serde_json::to_value(&plan).expect("plans serialise"),
            steps: plan
                .step_names()
                .into_iter()
                .map(JobStep::pending)
                .collect(),
            idempotency_key: idempotency_key.map(str::to_owned),
            run_after: None,
            parent: None,
        };
        let submitted = self.queue.submit(job).await?;
        Ok(Launched {
            // A concurrent request with the same key won: its job has another password.
            root_password: root_password.filter(|_| submitted.created),
            submitted,
            instance,
        })
    }

    /// Checks a create request exactly as [`InstanceService::create`] does — same
    /// caller check, same field and cluster checks (Proxmox is read, never changed) —
    /// without queueing anything: the launch wizard's live validation.
    pub async fn validate(&self, caller: &Principal, request: &CreateInstance) -> DomainResult<()> {
        caller.require_create()?;
        self.plan(caller, request).await.map(drop)
    }

    /// The request checked on its own (with its key pairs, which must be the
    /// caller's), then against the cluster, with everything it left out filled in. A
    /// taken name is reported together with the cluster's other field problems, so
    /// the wizard shows them all at once.
    async fn plan(&self, caller: &Principal, request: &CreateInstance) -> DomainResult<CreatePlan> {
        let key_pairs =
            usable_key_pairs(self.store.as_ref(), caller, &request.key_pair_ids).await?;
        let checked = request.check(&self.settings.current().resources);
        // Reported with every other problem, never instead of the cluster's.
        let mut later = request.access_problems();
        // Every field error at once, whether in the fields or in the key pairs.
        let (mut draft, key_pairs) = match (checked, key_pairs) {
            (Ok(draft), Ok(key_pairs)) => (draft, key_pairs),
            (Err(mut errors), Err(more)) => {
                errors.extend(more);
                errors.extend(later);
                return Err(DomainError::Validation(errors));
            }
            (Err(mut errors), Ok(_)) | (Ok(_), Err(mut errors)) => {
                errors.extend(later);
                return Err(DomainError::Validation(errors));
            }
        };
        draft
            .ssh_public_keys
            .extend(key_pairs.iter().map(|pair| pair.public_key.clone()));
        let resolver = Resolver {
            store: self.store.as_ref(),
            connector: self.connector.as_ref(),
        };
        let cluster = resolver.cluster(draft.cluster.as_deref()).await?;
        if let Some(name) = &draft.name {
            match require_unique_name(
                self.store.as_ref(),
                cluster.id,
                &cluster.config.name,
                name,
                None,
            )
            .await
            {
                Ok(()) => {}
                Err(DomainError::Validation(taken)) => later.extend(taken),
                Err(error) => return Err(error),
            }
        }
        // A taken name or a missing way in comes with the cluster's field problems, so
        // the wizard shows them all at once; a cluster that cannot be asked wins.
        let mut plan = match resolver.resolve(cluster, draft).await {
            Ok(_) if !later.is_empty() => Err(DomainError::Validation(later)),
            Err(DomainError::Validation(mut fields)) => {
                fields.extend(later);
                Err(DomainError::Validation(fields))
            }
            resolved => resolved,
        }?;
        plan.key_pairs = key_pairs.iter().map(GuestKeyPair::from).collect();
        // A VM template another user made is theirs: as if it did not exist.
        if let Source::VmTemplate { vmid, .. } = &plan.source
            && let Some(template) = self
                .store
                .guests()
                .find_by_vmid(plan.cluster_id, *vmid)
                .await?
            && template.owner_id.is_some()
            && !caller.can_view(template.owner_id)
        {
            return Err(DomainError::invalid(
                "clone_from",
                format!("no VM template {vmid} in this cluster"),
            ));
        }
        if !request.volumes.is_empty() {
            let target = LaunchTarget {
                cluster_id: plan.cluster_id,
                node: &plan.node,
                kind: plan.guest_type(),
                root_storage: &plan.storage,
                root_disk_gib: plan.disk_gib,
            };
            plan.volumes =
                plan_volumes(self.store.as_ref(), caller, &target, &request.volumes).await?;
        }
        if !request.secret_ids.is_empty() {
            if plan.guest_type() != GuestType::Lxc {
                return Err(DomainError::conflict(
                    crate::vault::UNSUPPORTED,
                    "secrets reach only containers: Proxmox VE has no environment for a VM",
                ));
            }
            crate::vault::injection::require_env_support(
                self.connector.as_ref(),
                caller,
                plan.cluster_id,
            )
            .await?;
            plan.secrets = request.secret_ids.clone();
        }
        Ok(plan)
    }

    /// Queues `instance.start|stop|shutdown|reboot`; says which instance it acts on.
    pub async fn power(
        &self,
        caller: &Principal,
        id: Uuid,
        power: Power,
        idempotency_key: Option<&str>,
    ) -> DomainResult<Queued> {
        let guest = self.manageable(caller, id).await?;
        if let Some(earlier) = self.earlier_job(caller, idempotency_key).await? {
            return Ok(Queued {
                submitted: earlier.submitted,
                instance: InstanceRef::of(&guest),
            });
        }
        if guest.observed.template {
            return Err(DomainError::conflict(
                "instance_is_template",
                "a template cannot be started or stopped",
            ));
        }
        self.submit(
            caller,
            &guest,
            power_kind(power),
            &[power.as_str()],
            idempotency_key,
        )
        .await
    }

    /// Queues `instance.terminate` (stop, destroy with disks, remove from the
    /// inventory). `confirm` must repeat the instance's name. Says which instance.
    pub async fn terminate(
        &self,
        caller: &Principal,
        id: Uuid,
        confirm: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> DomainResult<Queued> {
        let guest = self.manageable(caller, id).await?;
        if let Some(earlier) = self.earlier_job(caller, idempotency_key).await? {
            return Ok(Queued {
                submitted: earlier.submitted,
                instance: InstanceRef::of(&guest),
            });
        }
        let name = &guest.observed.name;
        if confirm != Some(name.as_str()) {
            return Err(DomainError::invalid(
                "confirm",
                format!("must be the instance's name ('{name}') to confirm termination"),
            ));
        }
        self.submit(
            caller,
            &guest,
            TERMINATE_KIND.to_owned(),
            &terminate_steps::ALL,
            idempotency_key,
        )
        .await
    }

    /// Registers every instance job kind.
    pub fn register_handlers(
        handlers: &mut JobHandlers,
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        events: Arc<EventBus>,
        refresh: Option<Arc<dyn MirrorRefresh>>,
        master_key: Arc<MasterKey>,
    ) {
        let addresses = AddressLearner::new(store.clone(), events.clone());
        handlers.register(
            create_job::KIND,
            Arc::new(CreateHandler::new(
                store.clone(),
                connector.clone(),
                refresh.clone(),
                addresses.clone(),
                master_key,
            )),
        );
        for power in Power::ALL {
            handlers.register(
                power_kind(power),
                Arc::new(PowerHandler::new(
                    store.clone(),
                    connector.clone(),
                    power,
                    refresh.clone(),
                    addresses.clone(),
                )),
            );
        }
        handlers.register(
            TERMINATE_KIND,
            Arc::new(TerminateHandler::new(store, connector, events)),
        );
    }

    /// The live guest, if the caller may see it (else 404) and change it (else 403),
    /// and its create job has ended (else 409).
    async fn manageable(&self, caller: &Principal, id: Uuid) -> DomainResult<Guest> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_manage(guest.owner_id, RESOURCE)?;
        if guest.observed.status == STATUS_CREATING && self.create_job_running(&guest).await? {
            return Err(DomainError::conflict(
                "instance_not_ready",
                "the instance is still being created",
            ));
        }
        Ok(guest)
    }

    /// A reservation stays `creating` in the mirror until the next inventory poll; what
    /// counts is whether the job creating it has ended.
    async fn create_job_running(&self, guest: &Guest) -> DomainResult<bool> {
        let Some(job_id) = guest.created_by_job else {
            return Ok(false);
        };
        match self.store.jobs().get(job_id).await {
            Ok(job) => Ok(!job.status.is_terminal()),
            Err(proxicloud_store::StoreError::NotFound) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    async fn submit(
        &self,
        caller: &Principal,
        guest: &Guest,
        kind: String,
        steps: &[&str],
        key: Option<&str>,
    ) -> DomainResult<Queued> {
        let target = Target::of(guest);
        let job = NewJob {
            kind,
            actor: JobActor::User(caller.user_id),
            resource_kind: Some(RESOURCE.to_owned()),
            resource_id: Some(guest.id.to_string()),
            params: serde_json::to_value(&target).expect("targets serialise"),
            steps: steps.iter().map(|name| JobStep::pending(*name)).collect(),
            idempotency_key: key.map(str::to_owned),
            run_after: None,
            parent: None,
        };
        Ok(Queued {
            submitted: self.queue.submit(job).await?,
            instance: InstanceRef::of(guest),
        })
    }

    /// A retried request (same idempotency key) gets its first job back without being
    /// validated again — the world has changed since (the first job used the space).
    async fn earlier_job(
        &self,
        caller: &Principal,
        key: Option<&str>,
    ) -> DomainResult<Option<EarlierJob>> {
        let Some(key) = key else { return Ok(None) };
        check_idempotency_key(key)?;
        let filter = JobFilter {
            owner_id: Some(caller.user_id),
            status: None,
            ..JobFilter::default()
        };
        let recent = self
            .store
            .jobs()
            .list(&filter, PageRequest::first(RECENT_JOBS_FOR_KEY))
            .await?;
        Ok(recent
            .items
            .iter()
            .find(|job| job.idempotency_key.as_deref() == Some(key))
            .map(|job| EarlierJob {
                submitted: Submitted {
                    job: job.into(),
                    created: false,
                },
                params: job.params.clone(),
            }))
    }
}

/// The job a retried request gets back, with the parameters it was queued with.
struct EarlierJob {
    submitted: Submitted,
    params: serde_json::Value,
}
