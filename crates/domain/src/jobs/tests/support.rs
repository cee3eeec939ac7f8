//! Test support shared by the engine and instance tests: a fresh SQLite store (alone,
//! or with a queue and a user: [`setup`]), a quick engine configuration, and a store
//! wrapper that "kills the process" at a chosen checkpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use proxicloud_store::{
    ApiTokenRepo, AuditRepo, Backend, ClusterConfig, ClusterCredentials, ClusterRepo, CreatedJob,
    GuestRepo, InventoryRepo, Job, JobFilter, JobOutcome, JobProgress, JobRepo, NewJob, NewUser,
    Page, PageRequest, RefreshTokenRepo, Result, Role, SettingsRepo, Store, Timestamp, User,
    UserRepo, Uuid,
};
use tokio::sync::Notify;

use crate::events::EventBus;
use crate::iam::{AuthMethod, Principal};
use crate::jobs::{EngineConfig, JobEngine, JobHandlers, JobQueue};

/// A migrated SQLite store in a temporary directory (kept alive by the returned guard).
pub(crate) async fn sqlite_store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    let store = proxicloud_store::connect(&url)
        .await
        .expect("open SQLite store");
    (store, dir)
}

/// What most engine tests start from: a fresh store, `alice` (an operator) and a
/// queue on the store. Keep the directory alive as long as the store.
pub(crate) async fn setup() -> (Arc<dyn Store>, User, JobQueue, tempfile::TempDir) {
    let (store, dir) = sqlite_store().await;
    let alice = user(store.as_ref(), "alice", Role::Operator).await;
    let queue = JobQueue::new(store.clone(), Arc::new(EventBus::new()));
    (store, alice, queue, dir)
}

/// Short polls, leases and back-offs, two workers: tests finish in milliseconds.
pub(crate) fn fast_config() -> EngineConfig {
    EngineConfig {
        workers: 2,
        lease: Duration::from_secs(2),
        idle_poll: Duration::from_millis(20),
        task_poll: Duration::from_millis(10),
        task_timeout: Duration::from_secs(10),
        transient_retries: 3,
        retry_backoff: Duration::from_millis(10),
        ..EngineConfig::default()
    }
}

pub(crate) async fn start_engine(
    queue: &JobQueue,
    handlers: JobHandlers,
    config: EngineConfig,
) -> JobEngine {
    JobEngine::start(queue, handlers, config)
        .await
        .expect("the engine starts")
}

/// Submits `job`; its id.
pub(crate) async fn submit(queue: &JobQueue, job: NewJob) -> Uuid {
    queue.submit(job).await.expect("submitted").job.id
}

/// `user` calling through an API token.
pub(crate) fn principal_of(user: &User) -> Principal {
    Principal {
        user_id: user.id,
        username: user.username.clone(),
        role: user.role,
        via: AuthMethod::ApiToken { id: Uuid::now_v7() },
    }
}

/// A caller with `role` that no stored user backs: for checks that read only the role.
pub(crate) fn principal_with_role(role: Role) -> Principal {
    Principal {
        user_id: Uuid::now_v7(),
        username: role.to_string(),
        role,
        via: AuthMethod::ApiToken { id: Uuid::now_v7() },
    }
}

/// A registered cluster named "lab" (token auth, a placeholder secret): the owner a
/// mirrored inventory needs. Nothing ever connects to its address.
pub(crate) async fn lab_cluster(store: &dyn Store) -> Uuid {
    let config = ClusterConfig {
        name: "lab".into(),
        addresses: vec!["10.0.0.1:8006".into()],
        credentials: ClusterCredentials::ApiToken {
            token_id: "root@pam!ci".into(),
        },
        secret_ciphertext: vec![1],
        tls_fingerprint: None,
        ca_pem: None,
        verify_tls: true,
    };
    store.clusters().create(config).await.expect("cluster").id
}

pub(crate) async fn user(store: &dyn Store, name: &str, role: Role) -> User {
    store
        .users()
        .create(NewUser {
            username: name.into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role,
            disabled: false,
        })
        .await
        .expect("create user")
}

/// How long a test job may take to get where a test waits for it: a bound, not a wait
/// (polls return as soon as the job gets there). Generous because a resumed tree waits
/// out the dead engine's leases while the whole suite shares two cores; 10 s ran out
/// in a loaded full run.
pub(crate) const DONE: Duration = Duration::from_secs(30);

/// The job once it has succeeded, failed or been cancelled.
pub(crate) async fn wait_until_finished(store: &dyn Store, id: Uuid) -> Job {
    wait_for_job(store, id, DONE, |j| j.status.is_terminal()).await
}

/// Polls until `check` holds for the job, or panics after `timeout`.
pub(crate) async fn wait_for_job(
    store: &dyn Store,
    id: Uuid,
    timeout: Duration,
    check: impl Fn(&Job) -> bool,
) -> Job {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let job = store.jobs().get(id).await.expect("job exists");
        if check(&job) {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job never reached the expected state: {job:#?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Delegates to a real store, except that its job repository "dies" at the
/// `crash_at`-th checkpoint (1-based): that call and every later job call never
/// return, as if the process had been killed just before the write. `backend` can be
/// overridden to exercise the PostgreSQL (lease expiry) recovery path on SQLite.
pub(crate) struct CrashingStore {
    inner: Arc<dyn Store>,
    backend: Backend,
    jobs: CrashingJobs,
}

struct CrashingJobs {
    inner: Arc<dyn Store>,
    crash_at: usize,
    checkpoints: AtomicUsize,
    crashed: AtomicBool,
    on_crash: Arc<Notify>,
    /// Set by [`CrashingStore::refuse_new_jobs`].
    refusing: AtomicBool,
}

impl CrashingStore {
    pub(crate) fn new(
        inner: Arc<dyn Store>,
        backend: Backend,
        crash_at: usize,
    ) -> (Arc<Self>, Arc<Notify>) {
        let on_crash = Arc::new(Notify::new());
        let jobs = CrashingJobs {
            inner: inner.clone(),
            crash_at,
            checkpoints: AtomicUsize::new(0),
            crashed: AtomicBool::new(false),
            on_crash: on_crash.clone(),
            refusing: AtomicBool::new(false),
        };
        (
            Arc::new(Self {
                inner,
                backend,
                jobs,
            }),
            on_crash,
        )
    }

    pub(crate) fn crashed(&self) -> bool {
        self.jobs.crashed.load(Ordering::SeqCst)
    }

    /// From now on a new job is refused (as the database refuses a job whose user was
    /// deleted meanwhile): for callers that must undo what they recorded for it.
    pub(crate) fn refuse_new_jobs(&self) {
        self.jobs.refusing.store(true, Ordering::SeqCst);
    }
}

impl CrashingJobs {
    async fn dead_if_crashed(&self) {
        if self.crashed.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }
}

#[async_trait]
impl Store for CrashingStore {
    fn backend(&self) -> Backend {
        self.backend
    }
    fn users(&self) -> &dyn UserRepo {
        self.inner.users()
    }
    fn refresh_tokens(&self) -> &dyn RefreshTokenRepo {
        self.inner.refresh_tokens()
    }
    fn api_tokens(&self) -> &dyn ApiTokenRepo {
        self.inner.api_tokens()
    }
    fn audit(&self) -> &dyn AuditRepo {
        self.inner.audit()
    }
    fn clusters(&self) -> &dyn ClusterRepo {
        self.inner.clusters()
    }
    fn settings(&self) -> &dyn SettingsRepo {
        self.inner.settings()
    }
    fn inventory(&self) -> &dyn InventoryRepo {
        self.inner.inventory()
    }
    fn writes(&self, table: proxicloud_store::Table) -> u64 {
        self.inner.writes(table)
    }
    fn guests(&self) -> &dyn GuestRepo {
        self.inner.guests()
    }
    fn jobs(&self) -> &dyn JobRepo {
        &self.jobs
    }
    fn volumes(&self) -> &dyn proxicloud_store::VolumeRepo {
        self.inner.volumes()
    }
    fn key_pairs(&self) -> &dyn proxicloud_store::KeyPairRepo {
        self.inner.key_pairs()
    }
    fn backups(&self) -> &dyn proxicloud_store::BackupRepo {
        self.inner.backups()
    }
    fn metrics(&self) -> &dyn proxicloud_store::MetricsRepo {
        self.inner.metrics()
    }
    fn secrets(&self) -> &dyn proxicloud_store::SecretRepo {
        self.inner.secrets()
    }
    fn access_keys(&self) -> &dyn proxicloud_store::AccessKeyRepo {
        self.inner.access_keys()
    }
    fn objects(&self) -> &dyn proxicloud_store::ObjectRepo {
        self.inner.objects()
    }
    fn alerts(&self) -> &dyn proxicloud_store::AlertRepo {
        self.inner.alerts()
    }
    fn notifications(&self) -> &dyn proxicloud_store::NotificationRepo {
        self.inner.notifications()
    }
    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
    async fn close(&self) {}
}

#[async_trait]
impl JobRepo for CrashingJobs {
    async fn create(&self, job: NewJob) -> Result<CreatedJob> {
        if self.refusing.load(Ordering::SeqCst) {
            return Err(proxicloud_store::StoreError::MissingReference);
        }
        self.inner.jobs().create(job).await
    }
    async fn get(&self, id: Uuid) -> Result<Job> {
        self.inner.jobs().get(id).await
    }
    async fn list(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
        self.inner.jobs().list(filter, page).await
    }
    async fn claim_next(
        &self,
        worker_id: &str,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Option<Job>> {
        self.dead_if_crashed().await;
        self.inner.jobs().claim_next(worker_id, now, lease).await
    }
    async fn checkpoint(
        &self,
        id: Uuid,
        worker_id: &str,
        progress: &JobProgress,
        now: Timestamp,
        lease: Duration,
    ) -> Result<Job> {
        self.dead_if_crashed().await;
        if self.checkpoints.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_at {
            self.crashed.store(true, Ordering::SeqCst);
            self.on_crash.notify_one();
            std::future::pending::<()>().await;
        }
        self.inner
            .jobs()
            .checkpoint(id, worker_id, progress, now, lease)
            .await
    }
    async fn finish(
        &self,
        id: Uuid,
        worker_id: &str,
        outcome: JobOutcome,
        now: Timestamp,
    ) -> Result<Job> {
        self.dead_if_crashed().await;
        self.inner.jobs().finish(id, worker_id, outcome, now).await
    }
    async fn drop_sealed(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        self.dead_if_crashed().await;
        self.inner.jobs().drop_sealed(id, worker_id, now).await
    }
    async fn release(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        self.dead_if_crashed().await;
        self.inner.jobs().release(id, worker_id, now).await
    }
    async fn wait_for_children(&self, id: Uuid, worker_id: &str, now: Timestamp) -> Result<Job> {
        self.dead_if_crashed().await;
        self.inner
            .jobs()
            .wait_for_children(id, worker_id, now)
            .await
    }
    async fn children(&self, parent_id: Uuid) -> Result<Vec<Job>> {
        self.inner.jobs().children(parent_id).await
    }
    async fn descendants(&self, id: Uuid, max_depth: u32) -> Result<Vec<Job>> {
        self.inner.jobs().descendants(id, max_depth).await
    }
    async fn next_run_after(&self, now: Timestamp) -> Result<Option<Timestamp>> {
        self.inner.jobs().next_run_after(now).await
    }
    async fn request_cancel(&self, id: Uuid, reason: &str, now: Timestamp) -> Result<Job> {
        self.inner.jobs().request_cancel(id, reason, now).await
    }
    async fn count_by_kind_and_status(&self) -> Result<Vec<proxicloud_store::JobCount>> {
        self.inner.jobs().count_by_kind_and_status().await
    }
}
