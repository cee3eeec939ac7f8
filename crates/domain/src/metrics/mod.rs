//! Metrics: time series of instances, nodes, clusters and storages, collected from
//! Proxmox, kept compressed in the store, read back for charts.
//!
//! - `catalog`: the series of each kind of resource and how Proxmox names them;
//! - `collect`: one cycle per cluster (the export, or sampling `/cluster/resources`),
//!   counters to rates; `backfill`: RRD history for resources seen the first time;
//! - `writer`: open chunks, 30-minute rollups; `retention`: the bounded pruning job;
//! - `query`: periods to grids of ≤ 1000 points; [`MetricsService`]: who may read what;
//! - `prometheus`: the `/metrics` exposition, from the inventory mirror.
//!
//! Two deployment-scoped workers (elected on PostgreSQL, see `crate::workers`):
//! `metrics` collects every cluster each minute (a cluster that fails is retried with
//! exponential back-off, the others go on; guests the mirror does not know yet bring
//! it back after 5 s), `metrics.retention` prunes hourly.
//! Storage: `proxicloud_tsdb` chunks in the `metric_series`/`metric_chunks` tables.

mod backfill;
mod catalog;
mod collect;
mod http;
pub mod prometheus;
mod query;
mod retention;
#[cfg(test)]
mod tests;
mod text_format;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use proxicloud_store::{Store, Timestamp, Uuid};
use tokio::sync::Mutex;

pub use catalog::{ResourceKey, ResourceKind};
pub use collect::{CycleReport, MAX_RATE_SPAN};
pub use http::HttpTelemetry;
pub use query::{MAX_POINTS, Period, SeriesData, read, select_series};
pub use retention::{RAW_RETENTION, prune};
pub use writer::{RAW, RAW_SPAN, ROLLUP, ROLLUP_SPAN, SeriesWriter, pack};

use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::inventory::InstanceDirectory;
use crate::settings::SettingsService;
use crate::workers::{BackgroundWorker, Periodic, WorkerContext, WorkerScope, WorkerState};

/// Collection interval (the raw resolution is one minute).
const COLLECT_EVERY: Duration = Duration::from_secs(60);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Longest wait before trying a failing cluster again.
const MAX_BACKOFF: i64 = 900;

/// The current unix time in seconds.
pub fn unix_now() -> i64 {
    Timestamp::now().unix_micros().div_euclid(1_000_000)
}

/// Collection of every cluster, with a back-off per failing cluster.
pub struct MetricsCollector {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    collector: Mutex<collect::Collector>,
    /// Failures in a row and when to try again, per cluster.
    backoff: parking_lot::Mutex<HashMap<Uuid, (u32, i64)>>,
}

impl MetricsCollector {
    pub fn new(store: Arc<dyn Store>, connector: Arc<dyn PveConnector>) -> Self {
        Self {
            collector: Mutex::new(collect::Collector::new(store.clone())),
            store,
            connector,
            backoff: parking_lot::Mutex::default(),
        }
    }

    /// Forgets everything held between cycles (open chunks, counter readings, known
    /// resources, back-off): the next cycle starts from what the store holds. For a
    /// replica that (again) leads, since another may have written in between and an
    /// open chunk held from before would overwrite that.
    pub async fn start_afresh(&self) {
        *self.collector.lock().await = collect::Collector::new(self.store.clone());
        self.backoff.lock().clear();
    }

    /// One cycle over every cluster at `now`; the clusters that failed are named in
    /// the error, after the others were collected.
    pub async fn cycle(&self, now: i64) -> Result<Vec<(Uuid, CycleReport)>, String> {
        let clusters = self
            .store
            .clusters()
            .list()
            .await
            .map_err(|e| e.to_string())?;
        let mut collector = self.collector.lock().await;
        let mut reports = Vec::new();
        let mut failures = Vec::new();
        for cluster in clusters {
            let due = self
                .backoff
                .lock()
                .get(&cluster.id)
                .is_none_or(|(_, next)| *next <= now);
            if !due {
                continue;
            }
            let result = match self.connector.pve(cluster.id).await {
                Ok(pve) => collector.cycle(cluster.id, pve, now).await,
                Err(e) => Err(e.to_string()),
            };
            let mut backoff = self.backoff.lock();
            match result {
                Ok(report) => {
                    backoff.remove(&cluster.id);
                    reports.push((cluster.id, report));
                }
                Err(error) => {
                    let failed = backoff.get(&cluster.id).map_or(1, |(n, _)| n + 1);
                    let wait = (COLLECT_EVERY.as_secs() as i64) << failed.min(8);
                    backoff.insert(cluster.id, (failed, now + wait.min(MAX_BACKOFF)));
                    failures.push(format!("{}: {error}", cluster.config.name));
                }
            }
        }
        if failures.is_empty() {
            Ok(reports)
        } else {
            Err(format!(
                "metrics collection failed for {}",
                failures.join("; ")
            ))
        }
    }
}

/// The `metrics` worker: a cycle every minute, or after [`SOON`] while Proxmox reports
/// guests the inventory mirror has not caught up with (at start-up, after a launch) or
/// resources still wait for their history.
struct CollectWorker {
    collector: Arc<MetricsCollector>,
}

/// How soon a cycle that skipped unknown guests is repeated.
const SOON: Duration = Duration::from_secs(5);
/// Quick repeats for one set of unknown guests at most: some stay unknown for good
/// (a volume's holder container is never mirrored), and those must not keep the worker
/// polling Proxmox every few seconds. A different count starts a new round.
const SOON_AT_MOST: u32 = 6;

#[async_trait::async_trait]
impl BackgroundWorker for CollectWorker {
    fn name(&self) -> &str {
        "metrics"
    }

    fn scope(&self) -> WorkerScope {
        WorkerScope::Deployment
    }

    async fn run(&self, ctx: WorkerContext) -> Result<(), String> {
        self.collector.start_afresh().await;
        let mut pace = Pace::default();
        loop {
            let result = tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                result = self.collector.cycle(unix_now()) => result,
            };
            let waiting: usize = result.as_ref().map_or(0, |reports| {
                reports
                    .iter()
                    .map(|(_, r)| r.unknown_guests + r.backfill_pending)
                    .sum()
            });
            let wait = pace.after_cycle(waiting);
            ctx.record_run(result.map(drop), Some(Timestamp::now() + wait));
            tokio::select! {
                () = ctx.cancelled() => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// When the next cycle runs, given how many resources the last one had to leave for
/// later (guests unknown to the mirror, resources awaiting their backfill).
#[derive(Debug, Default)]
struct Pace {
    last_waiting: usize,
    quick_repeats: u32,
}

impl Pace {
    fn after_cycle(&mut self, waiting: usize) -> Duration {
        if waiting != self.last_waiting {
            self.last_waiting = waiting;
            self.quick_repeats = 0;
        }
        if waiting > 0 && self.quick_repeats < SOON_AT_MOST {
            self.quick_repeats += 1;
            SOON
        } else {
            COLLECT_EVERY
        }
    }
}

#[cfg(test)]
mod pace_tests {
    use super::*;

    #[test]
    fn unknown_guests_bring_the_next_cycle_forward_a_few_times_only() {
        let mut pace = Pace::default();
        assert_eq!(pace.after_cycle(0), COLLECT_EVERY);
        // A guest the mirror has not caught up with yet, or a volume holder it never will.
        let waits: Vec<Duration> = (0..10).map(|_| pace.after_cycle(1)).collect();
        assert_eq!(
            waits[..SOON_AT_MOST as usize],
            [SOON; SOON_AT_MOST as usize]
        );
        assert!(
            waits[SOON_AT_MOST as usize..]
                .iter()
                .all(|w| *w == COLLECT_EVERY)
        );
        // A new launch changes the count: a new round of quick repeats.
        assert_eq!(pace.after_cycle(2), SOON);
        assert_eq!(pace.after_cycle(0), COLLECT_EVERY);
    }
}

/// Reads series for the API, with the resource's authorization. Each read covers the
/// period up to `now` (unix seconds), which the caller owns.
pub struct MetricsService {
    store: Arc<dyn Store>,
    instances: Arc<InstanceDirectory>,
    http: Arc<HttpTelemetry>,
}

/// The two formats `/metrics` speaks: Prometheus negotiates OpenMetrics; everyone
/// else gets the classic text format (0.0.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpositionFormat {
    OpenMetrics,
    Text,
}

impl ExpositionFormat {
    /// The format an `Accept` header asks for, and its content type.
    pub fn negotiate(accept: Option<&str>) -> (Self, &'static str) {
        if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
            (
                Self::OpenMetrics,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )
        } else {
            (Self::Text, "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}

/// A request for one resource's series.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    pub period: String,
    /// Comma-separated names; empty for all.
    pub series: Option<String>,
}

impl MetricsService {
    pub fn new(
        store: Arc<dyn Store>,
        instances: Arc<InstanceDirectory>,
        http: Arc<HttpTelemetry>,
    ) -> Self {
        Self {
            store,
            instances,
            http,
        }
    }

    /// An instance's series: for whoever may see the instance (its owner, an admin).
    pub async fn instance(
        &self,
        principal: &Principal,
        id: Uuid,
        request: &MetricsRequest,
        now: i64,
    ) -> DomainResult<SeriesData> {
        let (period, names) = parse(ResourceKind::Instance, request)?;
        self.instances.get(principal, id).await?;
        query::read(
            &*self.store,
            &ResourceKey::instance(id),
            &names,
            period,
            now,
        )
        .await
    }

    /// A cluster's series (admins: clusters are theirs to see).
    pub async fn cluster(
        &self,
        principal: &Principal,
        id: Uuid,
        request: &MetricsRequest,
        now: i64,
    ) -> DomainResult<SeriesData> {
        principal.require_admin()?;
        let (period, names) = parse(ResourceKind::Cluster, request)?;
        self.store
            .clusters()
            .get(id)
            .await
            .map_err(DomainError::not_found_as("cluster"))?;
        query::read(&*self.store, &ResourceKey::cluster(id), &names, period, now).await
    }

    /// A node's series, `id` being `<cluster id>:<node>` (admins).
    pub async fn node(
        &self,
        principal: &Principal,
        id: &str,
        request: &MetricsRequest,
        now: i64,
    ) -> DomainResult<SeriesData> {
        principal.require_admin()?;
        let (period, names) = parse(ResourceKind::Node, request)?;
        let not_found = || DomainError::NotFound { resource: "node" };
        let (cluster, node) = id.split_once(':').ok_or_else(not_found)?;
        let cluster: Uuid = cluster.parse().map_err(|_| not_found())?;
        let nodes = self.store.inventory().list_nodes(Some(cluster)).await?;
        if !nodes.iter().any(|n| n.observed.name == node) {
            return Err(not_found());
        }
        let key = ResourceKey::node(cluster, node);
        query::read(&*self.store, &key, &names, period, now).await
    }

    /// A storage's series, `id` being `<cluster id>:<node>:<storage>` (admins).
    pub async fn storage(
        &self,
        principal: &Principal,
        id: &str,
        request: &MetricsRequest,
        now: i64,
    ) -> DomainResult<SeriesData> {
        principal.require_admin()?;
        let (period, names) = parse(ResourceKind::Storage, request)?;
        let not_found = || DomainError::NotFound {
            resource: "storage",
        };
        let mut parts = id.splitn(3, ':');
        let (Some(cluster), Some(node), Some(storage)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(not_found());
        };
        let cluster: Uuid = cluster.parse().map_err(|_| not_found())?;
        let storages = self.store.inventory().list_storages(Some(cluster)).await?;
        if !storages
            .iter()
            .any(|s| s.observed.node == node && s.observed.storage == storage)
        {
            return Err(not_found());
        }
        let key = ResourceKey::storage(cluster, node, storage);
        query::read(&*self.store, &key, &names, period, now).await
    }

    /// `/metrics` for Prometheus (admins: it names every cluster, node and guest),
    /// with this replica's `workers` as the supervisor reports them.
    pub async fn prometheus(
        &self,
        principal: &Principal,
        workers: &[WorkerState],
        format: ExpositionFormat,
    ) -> DomainResult<String> {
        principal.require_admin()?;
        self.exposition(workers, format).await
    }

    /// `/metrics` without a principal, for a server configured to serve it to loopback
    /// clients without a token (the API checks where the request came from).
    pub async fn prometheus_for_loopback(
        &self,
        workers: &[WorkerState],
        format: ExpositionFormat,
    ) -> DomainResult<String> {
        self.exposition(workers, format).await
    }

    async fn exposition(
        &self,
        workers: &[WorkerState],
        format: ExpositionFormat,
    ) -> DomainResult<String> {
        let scrape = prometheus::Scrape {
            http: &self.http,
            workers,
        };
        let text = prometheus::exposition(&*self.store, Timestamp::now(), &scrape).await?;
        Ok(match format {
            ExpositionFormat::OpenMetrics => text,
            ExpositionFormat::Text => text_format::from_openmetrics(&text),
        })
    }
}

fn parse(
    kind: ResourceKind,
    request: &MetricsRequest,
) -> DomainResult<(Period, Vec<&'static str>)> {
    let period = Period::parse(&request.period)?;
    let asked: Vec<String> = request
        .series
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok((period, select_series(kind, &asked)?))
}

pub fn register(registry: &mut crate::app::Registry, platform: &crate::app::Platform) {
    let store = platform.store.clone();
    let instances = registry.get::<InstanceDirectory>();
    let http = Arc::new(HttpTelemetry::default());
    registry.provide(http.clone());
    registry.provide(Arc::new(MetricsService::new(
        store.clone(),
        instances,
        http,
    )));
    let collector = Arc::new(MetricsCollector::new(
        store.clone(),
        platform.connector.clone(),
    ));
    registry.provide(collector.clone());
    if !platform.config.metrics_manual {
        registry.worker(Arc::new(CollectWorker { collector }));
    }
    let settings: Arc<SettingsService> = platform.settings.clone();
    registry.worker(Arc::new(Periodic::new(
        "metrics.retention",
        WorkerScope::Deployment,
        PRUNE_EVERY,
        move || {
            let (store, settings) = (store.clone(), settings.clone());
            async move {
                let days = settings.current().system.metrics_retention_days;
                prune(&*store, days, unix_now()).await.map(drop)
            }
        },
    )));
}
