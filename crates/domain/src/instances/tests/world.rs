//! A fresh world per test: SQLite store with one cluster mirrored (two nodes), users
//! of every role, the fake Proxmox (`proxicloud_pve::fake`, with a container template
//! and a bridge on both nodes), and the instance service and job handlers on them.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_pve::fake::FakePve;
use proxicloud_pve::{GuestType, VmId};
use proxicloud_store::{
    Backend, Guest, GuestObservation, GuestQuery, InventorySnapshot, Job, JobFilter, JobStatus,
    NodeObservation, PageRequest, Role, StorageObservation, Store, Timestamp, Uuid,
};

use serde_json::json;

use crate::events::EventBus;
use crate::iam::Principal;
use crate::instances::{CreateInstance, InstanceService};
use crate::jobs::tests::support::{
    CrashingStore, lab_cluster, principal_of, sqlite_store, user, wait_for_job,
};
use crate::jobs::{Clock, EngineConfig, JobEngine, JobHandlers, JobQueue};
use crate::launch::LaunchOptionsService;
use crate::secrets::MasterKey;
use crate::settings::{Settings, SettingsService};
use crate::testing::FakeConnector;

pub const GIB: u64 = 1 << 30;

pub const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

/// The cluster's Proxmox: no guests yet, a template in `local` (which volume holders
/// are made from) and `vmbr0` on each node.
fn lab_pve() -> FakePve {
    let nodes = ["pve1", "pve2"];
    let template = json!({"volid": TEMPLATE, "content": "vztmpl", "size": 123_456_789});
    FakePve::builder()
        .storage(
            &nodes,
            json!({"storage": "local", "type": "dir", "content": "vztmpl,iso", "active": 1, "enabled": 1}),
        )
        .volume(&nodes, "local", template)
        .interface(&nodes, json!({"iface": "vmbr0", "type": "bridge"}))
        .build()
}

/// The mirror's view of the lab: two nodes with their storages, and `guests`.
fn lab_snapshot(guests: Vec<GuestObservation>) -> InventorySnapshot {
    InventorySnapshot {
        observed_at: Timestamp::now(),
        // pve2 has far more free memory: it is where unplaced instances go.
        nodes: vec![node("pve1", 60), node("pve2", 8)],
        storages: ["pve1", "pve2"]
            .iter()
            .flat_map(|n| {
                [
                    storage(n, "local", "vztmpl,iso,backup", 100),
                    storage(n, "local-lvm", "images,rootdir", 200),
                ]
            })
            .collect(),
        guests,
    }
}

pub struct World {
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
    pub pve: Arc<FakePve>,
    pub cluster_id: Uuid,
    pub events: Arc<EventBus>,
    pub queue: JobQueue,
    pub service: InstanceService,
    /// For the image jobs, which drop its cache.
    pub launch: Arc<LaunchOptionsService>,
    /// What the service seals generated root passwords with (the handlers open them).
    pub master_key: Arc<MasterKey>,
    pub alice: Principal,
    pub bob: Principal,
    pub reader: Principal,
    pub root: Principal,
}

pub fn engine_config() -> EngineConfig {
    EngineConfig {
        workers: 2,
        lease: Duration::from_secs(5),
        idle_poll: Duration::from_millis(10),
        task_poll: Duration::from_millis(5),
        task_timeout: Duration::from_secs(10),
        transient_retries: 3,
        retry_backoff: Duration::from_millis(5),
        ..EngineConfig::default()
    }
}

fn node(name: &str, used_gib: u64) -> NodeObservation {
    NodeObservation {
        name: name.into(),
        status: "online".into(),
        cpu: 0.1,
        maxcpu: 16,
        mem: used_gib * GIB,
        maxmem: 64 * GIB,
        uptime: 1000,
    }
}

fn storage(node: &str, storage: &str, content: &str, avail_gib: u64) -> StorageObservation {
    StorageObservation {
        node: node.into(),
        storage: storage.into(),
        storage_type: if storage == "local" { "dir" } else { "lvmthin" }.into(),
        content: content.into(),
        total: 500 * GIB,
        used: (500 - avail_gib) * GIB,
        avail: avail_gib * GIB,
        shared: false,
        status: "available".into(),
    }
}

impl World {
    pub async fn new() -> World {
        let (store, dir) = sqlite_store().await;
        let cluster_id = lab_cluster(store.as_ref()).await;
        let snapshot = lab_snapshot(Vec::new());
        store
            .inventory()
            .sync(cluster_id, &snapshot)
            .await
            .expect("mirror");
        let alice = principal_of(&user(store.as_ref(), "alice", Role::Operator).await);
        let bob = principal_of(&user(store.as_ref(), "bob", Role::Operator).await);
        let reader = principal_of(&user(store.as_ref(), "reader", Role::Readonly).await);
        let root = principal_of(&user(store.as_ref(), "root", Role::Admin).await);
        let pve = Arc::new(lab_pve());
        let events = Arc::new(EventBus::new());
        let master_key = Arc::new(MasterKey::generate());
        let queue = JobQueue::new(store.clone(), events.clone());
        let settings = Arc::new(
            SettingsService::load(store.clone(), Settings::default())
                .await
                .expect("settings"),
        );
        let launch = Arc::new(LaunchOptionsService::new(
            store.clone(),
            Arc::new(FakeConnector(pve.clone())),
            settings.clone(),
        ));
        let service = InstanceService::new(
            store.clone(),
            queue.clone(),
            Arc::new(FakeConnector(pve.clone())),
            settings,
            master_key.clone(),
        );
        World {
            store,
            _dir: dir,
            pve,
            cluster_id,
            events,
            queue,
            service,
            launch,
            master_key,
            alice,
            bob,
            reader,
            root,
        }
    }

    pub fn handlers_on(&self, store: Arc<dyn Store>) -> JobHandlers {
        let mut handlers = JobHandlers::new();
        let connector = Arc::new(FakeConnector(self.pve.clone()));
        InstanceService::register_handlers(
            &mut handlers,
            store.clone(),
            connector,
            self.events.clone(),
            None,
            self.master_key.clone(),
        );
        // Volume jobs make holder containers on the same Proxmox.
        let connector = Arc::new(FakeConnector(self.pve.clone()));
        crate::volumes::register_handlers(&mut handlers, store.clone(), connector, None);
        // Backups of the world's instances.
        let connector = Arc::new(FakeConnector(self.pve.clone()));
        crate::backups::register_handlers(&mut handlers, store, connector, None);
        // Image downloads too (their crash tests).
        let connector = Arc::new(FakeConnector(self.pve.clone()));
        crate::images::register_handlers(&mut handlers, connector, self.launch.clone(), None);
        handlers
    }

    pub async fn engine(&self) -> JobEngine {
        JobEngine::start(
            &self.queue,
            self.handlers_on(self.store.clone()),
            engine_config(),
        )
        .await
        .expect("engine")
    }

    /// An engine whose store stops answering at job checkpoint `crash_at`: a process
    /// killed mid-job. It claims as PostgreSQL would, so only lease expiry resumes
    /// the job.
    pub async fn dying_engine(&self, crash_at: usize) -> (Arc<CrashingStore>, JobEngine) {
        let (crashing, _) = CrashingStore::new(self.store.clone(), Backend::Postgres, crash_at);
        let queue = JobQueue::new(crashing.clone(), self.events.clone());
        let engine = JobEngine::start(&queue, self.handlers_on(crashing.clone()), engine_config())
            .await
            .expect("dying engine");
        (crashing, engine)
    }

    /// The engine of a second process whose clock is an hour ahead: past every lease
    /// a dead process held.
    pub async fn engine_an_hour_later(&self) -> JobEngine {
        let (replica, _) = CrashingStore::new(self.store.clone(), Backend::Postgres, usize::MAX);
        let replica: Arc<dyn Store> = replica;
        let later = EngineConfig {
            clock: Clock::ahead_by(Duration::from_secs(3600)),
            ..engine_config()
        };
        JobEngine::start(
            &JobQueue::new(replica.clone(), self.events.clone()),
            self.handlers_on(replica),
            later,
        )
        .await
        .expect("engine an hour later")
    }

    /// Runs the queued job `id` in a process that dies at its job checkpoint
    /// `crash_at` ([`Self::dying_engine`]): the job as the dead process left it, or
    /// `None` when the job ended first (it has fewer checkpoints), which must be a
    /// success.
    pub async fn run_until_crash(&self, id: Uuid, crash_at: usize) -> Option<Job> {
        let (crashing, dying) = self.dying_engine(crash_at).await;
        let job = wait_for_job(self.store.as_ref(), id, Duration::from_secs(10), |j| {
            crashing.crashed() || j.status.is_terminal()
        })
        .await;
        dying.abort();
        if !crashing.crashed() {
            assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
            return None;
        }
        Some(job)
    }

    /// A second process, an hour later (past the dead one's lease), finishes job `id`.
    pub async fn finish_an_hour_later(&self, id: Uuid) -> Job {
        let engine = self.engine_an_hour_later().await;
        let job = self.finished(id).await;
        engine.shutdown().await;
        job
    }

    pub async fn finished(&self, id: Uuid) -> Job {
        wait_for_job(self.store.as_ref(), id, Duration::from_secs(10), |j| {
            j.status.is_terminal()
        })
        .await
    }

    /// The mirror finds a stopped container `name` at `vmid` that no job of ours made
    /// (someone created it on Proxmox).
    pub async fn mirror_finds(&self, vmid: u32, name: &str) {
        let guest = GuestObservation {
            vmid: VmId::new(vmid).unwrap(),
            node: "pve1".into(),
            kind: GuestType::Lxc,
            name: name.into(),
            status: "stopped".into(),
            cpus: 1.0,
            maxmem: GIB,
            mem: 0,
            maxdisk: 8 * GIB,
            disk: 0,
            uptime: 0,
            template: false,
            lock: None,
            tags: None,
            activity: Default::default(),
        };
        self.store
            .inventory()
            .sync(self.cluster_id, &lab_snapshot(vec![guest]))
            .await
            .expect("mirror");
    }

    /// Every row in the mirror (a test's world holds a handful).
    pub async fn guest_rows(&self) -> Vec<Guest> {
        self.store
            .guests()
            .list(&GuestQuery::default(), PageRequest::first(100))
            .await
            .unwrap()
            .items
    }

    /// Creates (and starts) an instance for alice, waits for its job to succeed and
    /// returns its row.
    pub async fn started_instance(&self, name: &str) -> Guest {
        let engine = self.engine().await;
        let job = self
            .service
            .create(&self.alice, &lxc(Some(name)), None)
            .await
            .unwrap()
            .job;
        assert_eq!(self.finished(job.id).await.status, JobStatus::Succeeded);
        engine.shutdown().await;
        self.guest_rows()
            .await
            .into_iter()
            .find(|g| g.observed.name == name)
            .expect("created")
    }

    /// Asserts that a refused or dry-run request left no trace: no job queued, no
    /// VMID asked for and no container created on Proxmox.
    pub async fn assert_no_job_and_no_proxmox_change(&self) {
        let jobs = self
            .store
            .jobs()
            .list(&JobFilter::default(), PageRequest::first(10))
            .await
            .unwrap();
        assert!(jobs.items.is_empty(), "no job was queued");
        assert_eq!(self.pve.calls("next_id") + self.pve.calls("create_lxc"), 0);
    }
}

/// A public key, as ssh-keygen prints it: a container needs a way in.
pub const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";

pub fn lxc(name: Option<&str>) -> CreateInstance {
    CreateInstance {
        kind: Some("lxc".into()),
        name: name.map(Into::into),
        template: Some(TEMPLATE.into()),
        cores: Some(2),
        memory: Some(1024),
        disk: Some(8),
        ssh_public_keys: vec![SSH_KEY.into()],
        ..CreateInstance::default()
    }
}
