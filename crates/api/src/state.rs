//! `AppState`: what every handler can reach. Cheap to clone (a few `Arc`s).
//!
//! Adding a service (clusters, inventory, jobs, events…): add a `pub` field holding
//! an `Arc` of the domain service, build it in [`AppState::new`] (or set it right
//! after, where the server is wired), and read it in handlers as `state.<field>`.
//! Handlers reach the domain only through these services, never the store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use proxicloud_domain::audit::AuditService;
use proxicloud_domain::clusters::{ClusterService, ConnectOptions};
use proxicloud_domain::events::EventBus;
use proxicloud_domain::iam::{IamConfig, IamService};
use proxicloud_domain::instances::{ClusterConnector, InstanceDetails, InstanceService};
use proxicloud_domain::inventory::InstanceDirectory;
use proxicloud_domain::jobs::{JobQueue, JobService};
use proxicloud_domain::launch::LaunchOptionsService;
use proxicloud_domain::secrets::MasterKey;
use proxicloud_domain::settings::{Settings, SettingsService};
use proxicloud_store::{ClusterStatus, Store};

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Mark session cookies `Secure` (sent over HTTPS only). Browsers also accept
    /// secure cookies from `http://localhost`; turn this off only for plain-HTTP
    /// access from other hosts, e.g. behind a TLS-terminating proxy on a trusted link.
    pub secure_cookies: bool,
    /// How long the refresh cookie lives in the browser; match the IAM refresh TTL.
    pub refresh_cookie_max_age: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            refresh_cookie_max_age: IamConfig::default().refresh_token_ttl,
        }
    }
}

/// One dependency `/readyz` checks. Errors are logged, not shown: the response only
/// names the failing check.
#[async_trait]
pub trait ReadinessCheck: Send + Sync {
    /// Short, stable name shown in the response (`database`, `clusters`).
    fn name(&self) -> &'static str;
    async fn check(&self) -> Result<(), String>;
}

/// The database answers a trivial query.
pub struct DatabaseReady(pub Arc<dyn Store>);

#[async_trait]
impl ReadinessCheck for DatabaseReady {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}

/// The server can manage something: at least one cluster was reached by its last
/// poll. A fresh install with no cluster yet is ready (to be set up); clusters not
/// polled yet, or all offline, are not.
pub struct ClustersReady(pub Arc<ClusterService>);

#[async_trait]
impl ReadinessCheck for ClustersReady {
    fn name(&self) -> &'static str {
        "clusters"
    }

    async fn check(&self) -> Result<(), String> {
        let clusters = self.0.all().await.map_err(|e| e.to_string())?;
        if clusters.is_empty()
            || clusters
                .iter()
                .any(|c| c.health.status == ClusterStatus::Online)
        {
            Ok(())
        } else {
            Err(format!(
                "none of the {} clusters is reachable",
                clusters.len()
            ))
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub iam: Arc<IamService>,
    pub audit: Arc<AuditService>,
    /// Checked in order by `/readyz`; add one per dependency the server needs.
    pub readiness: Arc<Vec<Arc<dyn ReadinessCheck>>>,
    pub config: Arc<ApiConfig>,
    /// Proxmox VE clusters: administration, cached clients, connection tests.
    pub clusters: Arc<ClusterService>,
    /// Global settings; the inventory follows its poll interval.
    pub settings: Arc<SettingsService>,
    /// Instance reads from the inventory mirror.
    pub instances: Arc<InstanceDirectory>,
    /// Job progress, inventory changes and cluster status for `GET /api/v1/events`.
    pub events: Arc<EventBus>,
    /// Where work is queued for the job engine (which the server starts on the same
    /// queue, see `proxicloud_domain::jobs::JobEngine`).
    pub job_queue: JobQueue,
    /// Job reads.
    pub jobs: Arc<JobService>,
    /// Instance writes (create, power actions, terminate), each queued as a job.
    pub instance_actions: Arc<InstanceService>,
    /// What the launch wizard can offer per cluster (cached Proxmox reads).
    pub launch_options: Arc<LaunchOptionsService>,
    /// An instance's jobs, audit entries and live Proxmox configuration.
    pub instance_details: Arc<InstanceDetails>,
}

impl AppState {
    /// The identity and audit services over `store`, with the database as the first
    /// readiness check.
    pub fn new(
        store: Arc<dyn Store>,
        master_key: &MasterKey,
        iam_config: IamConfig,
        config: ApiConfig,
    ) -> Self {
        let events = Arc::new(EventBus::new());
        let clusters = Arc::new(ClusterService::new(
            store.clone(),
            Arc::new(master_key.clone()),
            ConnectOptions::default(),
        ));
        // Built-in defaults until the server reads the stored settings at boot
        // (`settings.refresh()`); replace it (and `instance_actions`, which reads its
        // resource defaults) to start from configured defaults.
        let settings = Arc::new(SettingsService::new(store.clone(), Settings::default()));
        let job_queue = JobQueue::new(store.clone(), events.clone());
        let connector = Arc::new(ClusterConnector::new(store.clone(), clusters.clone()));
        let instance_details = Arc::new(InstanceDetails::new(
            store.clone(),
            connector.clone(),
            events.clone(),
        ));
        let instance_actions = Arc::new(InstanceService::new(
            store.clone(),
            job_queue.clone(),
            connector.clone(),
            settings.clone(),
        ));
        let launch_options = Arc::new(LaunchOptionsService::new(
            store.clone(),
            connector,
            settings.clone(),
        ));
        let clusters_ready = clusters.clone();
        Self {
            iam: Arc::new(IamService::new(store.clone(), master_key, iam_config)),
            audit: Arc::new(AuditService::new(store.clone(), master_key)),
            clusters,
            settings,
            instances: Arc::new(InstanceDirectory::new(store.clone(), events.clone())),
            jobs: Arc::new(JobService::new(store.clone())),
            job_queue,
            instance_actions,
            launch_options,
            instance_details,
            events,
            readiness: Arc::new(vec![
                Arc::new(DatabaseReady(store)),
                Arc::new(ClustersReady(clusters_ready)),
            ]),
            config: Arc::new(config),
        }
    }
}
