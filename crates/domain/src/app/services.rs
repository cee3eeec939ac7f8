//! [`Services`]: the built application — the platform, every feature's services,
//! job handlers and readiness checks — and [`Running`], its started workers.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::Store;

use super::platform::Platform;
use super::readiness::{DatabaseReady, ReadinessCheck};
use super::registry::{Registry, lookup};
use crate::buckets::S3Endpoint;
use crate::clusters::ConnectOptions;
use crate::error::DomainResult;
use crate::events::EventRelay;
use crate::iam::IamConfig;
use crate::inventory::InventoryConfig;
use crate::jobs::{EngineConfig, JobEngine, JobHandlers};
use crate::secrets::MasterKey;
use crate::settings::Settings;
use crate::workers::{
    BackgroundWorker, Supervisor, SupervisorConfig, SupervisorHandle, WorkerState, WorkerStates,
};
use crate::{
    alerts, audit, buckets, clusters, iam, images, instances, inventory, jobs, keypairs, launch,
    metrics, monitoring, objects, s3keys, settings, vault, volumes,
};

/// Everything the application is built from besides the store and the master key.
#[derive(Debug, Clone, Default)]
pub struct ServicesConfig {
    pub iam: IamConfig,
    /// Time limits and retries of the Proxmox clients.
    pub connect: ConnectOptions,
    /// The settings in force until an administrator changes them.
    pub settings: Settings,
    pub engine: EngineConfig,
    pub inventory: InventoryConfig,
    /// Restart back-off and election interval of the background workers.
    pub workers: SupervisorConfig,
    /// Poll every cluster at this fixed interval instead of the settings' (tests).
    pub inventory_poll: Option<Duration>,
    /// No metrics collection worker: the caller drives `MetricsCollector::cycle` with
    /// its own clock (tests).
    pub metrics_manual: bool,
    /// No alert evaluation worker: the caller drives `AlertEvaluator::evaluate` with
    /// its own clock (tests).
    pub alerts_manual: bool,
    /// What notification channels may target (the SSRF guard) and their time limits.
    pub notifier: crate::alerts::notify::NotifierPolicy,
    /// Object storage: its blob store (none: no object storage) and clean-up ages.
    pub objects: objects::ObjectsConfig,
    /// The S3 endpoint as clients reach it, for presigned URLs.
    pub s3_endpoint: S3Endpoint,
    /// The secrets vault (versions kept).
    pub vault: vault::VaultConfig,
    /// Browser consoles: the idle timeout.
    pub console: crate::console::ConsoleConfig,
}

/// Which parts [`Services::start`] starts. `serve` starts everything; a test starts
/// only what it exercises, so that nothing else acts behind its back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// The job engine's workers.
    pub jobs: bool,
    /// The background workers (the inventory mirror's pollers, the event relay, …).
    pub workers: bool,
}

impl Start {
    pub const ALL: Start = Start {
        jobs: true,
        workers: true,
    };
}

/// The application, built and ready to start. Cheap to share (`Arc<Services>`).
pub struct Services {
    platform: Platform,
    services: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    jobs: JobHandlers,
    readiness: Vec<Arc<dyn ReadinessCheck>>,
    workers: Vec<Arc<dyn BackgroundWorker>>,
    /// The states of the workers once started (empty before).
    worker_states: parking_lot::Mutex<WorkerStates>,
}

impl Services {
    /// Builds the platform, then registers every feature in order.
    pub async fn build(
        store: Arc<dyn Store>,
        master_key: MasterKey,
        config: ServicesConfig,
    ) -> DomainResult<Self> {
        let platform = Platform::build(store, master_key, config).await?;
        let mut registry = Registry::default();
        registry.readiness(Arc::new(DatabaseReady(platform.store.clone())));
        registry.provide(platform.events.clone());
        // Events published on one replica reach the browsers connected to the others.
        registry.worker(Arc::new(EventRelay::new(
            platform.store.clone(),
            platform.events.clone(),
        )));
        settings::register(&mut registry, &platform);
        iam::register(&mut registry, &platform);
        audit::register(&mut registry, &platform);
        clusters::register(&mut registry, &platform);
        jobs::register(&mut registry, &platform);
        inventory::register(&mut registry, &platform);
        keypairs::register(&mut registry, &platform);
        s3keys::register(&mut registry, &platform);
        vault::register(&mut registry, &platform);
        objects::register(&mut registry, &platform);
        buckets::register(&mut registry, &platform);
        instances::register(&mut registry, &platform);
        crate::console::register(&mut registry, &platform);
        launch::register(&mut registry, &platform);
        volumes::register(&mut registry, &platform);
        crate::backups::register(&mut registry, &platform);
        images::register(&mut registry, &platform);
        metrics::register(&mut registry, &platform);
        alerts::register(&mut registry, &platform);
        monitoring::register(&mut registry, &platform);
        let jobs = std::mem::take(&mut registry.jobs);
        let readiness = std::mem::take(&mut registry.readiness);
        let workers = std::mem::take(&mut registry.workers);
        Ok(Self {
            platform,
            services: registry.into_services(),
            jobs,
            readiness,
            workers,
            worker_states: parking_lot::Mutex::default(),
        })
    }

    /// The service of type `T` a feature provided. Panics when none did (a wiring
    /// bug that every test building the application would hit).
    pub fn get<T: Send + Sync + 'static>(&self) -> Arc<T> {
        lookup(&self.services, "add it to its feature's `register`")
    }

    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// Checked in order by `/readyz`.
    pub fn readiness(&self) -> &[Arc<dyn ReadinessCheck>] {
        &self.readiness
    }

    /// Every background worker's state on this replica (`GET /api/v1/system/workers`,
    /// `/readyz`); empty until [`Services::start`] started them.
    pub fn worker_states(&self) -> Vec<WorkerState> {
        self.worker_states.lock().states()
    }

    /// Starts the job engine (on SQLite it first resumes jobs a previous process left
    /// running) and the background workers. Stop them with [`Running::shutdown`]
    /// after the HTTP server has stopped accepting requests.
    pub async fn start(&self, parts: Start) -> DomainResult<Running> {
        let workers = parts.workers.then(|| {
            let config = self.platform.config.workers;
            let handle =
                Supervisor::start(self.platform.store.clone(), self.workers.clone(), config);
            *self.worker_states.lock() = handle.states_reader();
            handle
        });
        let engine = if parts.jobs {
            Some(
                JobEngine::start(
                    &self.platform.queue,
                    self.jobs.clone(),
                    self.platform.config.engine.clone(),
                )
                .await?,
            )
        } else {
            None
        };
        Ok(Running { engine, workers })
    }
}

/// The started workers of a [`Services`].
pub struct Running {
    engine: Option<JobEngine>,
    workers: Option<SupervisorHandle>,
}

impl Running {
    /// Running job steps reach their next checkpoint and hand their jobs back; the
    /// workers stop (the mirror stays as last synced) and give up their elections.
    pub async fn shutdown(self) {
        if let Some(engine) = self.engine {
            engine.shutdown().await;
        }
        if let Some(workers) = self.workers {
            workers.shutdown().await;
        }
    }
}
