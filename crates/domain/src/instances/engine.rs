//! Wiring for the server: the job engine with every instance job kind registered.

use std::sync::Arc;

use proxicloud_store::Store;

use super::connector::{ClusterConnector, MirrorRefresh};
use super::service::InstanceService;
use crate::clusters::ClusterService;
use crate::error::DomainResult;
use crate::events::EventBus;
use crate::jobs::{EngineConfig, JobEngine, JobHandlers, JobQueue};

/// Starts the job engine on `queue` (the queue the API submits to) with the instance
/// job handlers, reaching clusters through `clusters`. On SQLite this first resumes
/// jobs a previous process left running. Stop it with [`JobEngine::shutdown`] after
/// the HTTP server has stopped accepting requests.
pub async fn start_job_engine(
    store: Arc<dyn Store>,
    clusters: Arc<ClusterService>,
    events: Arc<EventBus>,
    queue: &JobQueue,
    config: EngineConfig,
    refresh: Option<Arc<dyn MirrorRefresh>>,
) -> DomainResult<JobEngine> {
    let mut handlers = JobHandlers::new();
    let connector = Arc::new(ClusterConnector::new(store.clone(), clusters));
    InstanceService::register_handlers(&mut handlers, store, connector, events, refresh);
    JobEngine::start(queue, handlers, config).await
}
