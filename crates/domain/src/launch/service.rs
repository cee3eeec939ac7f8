//! `LaunchOptionsService`: who may ask, which cluster, and the per-cluster cache.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use proxicloud_pve::{GuestType, PveError};
use proxicloud_store::{Cluster, GuestFilter, GuestQuery, PageRequest, Store, Timestamp, Uuid};

use super::gather::gather;
use super::options::{
    ClusterChoice, ClusterOptions, LaunchDefaults, LaunchOptions, VmTemplateOption,
};
use super::presets::size_presets;
use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::instances::DEFAULT_BRIDGE;
use crate::settings::SettingsService;

/// How long one cluster's answer is reused. Long enough that stepping back and forth
/// through the wizard (or several people opening it) asks Proxmox once; short enough
/// that a template just uploaded shows up on the next visit.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
const TEMPLATE_PAGE: u32 = 500;

struct Cached {
    at: Instant,
    options: Arc<ClusterOptions>,
}

/// One slot per cluster; its async lock makes concurrent first requests share one
/// round of Proxmox calls instead of each making their own.
type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

pub struct LaunchOptionsService {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    settings: Arc<SettingsService>,
    ttl: Duration,
    slots: Mutex<HashMap<Uuid, Slot>>,
}

impl LaunchOptionsService {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        settings: Arc<SettingsService>,
    ) -> Self {
        Self {
            store,
            connector,
            settings,
            ttl: CACHE_TTL,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The same service with another cache lifetime (tests).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// What `cluster_id` (default: the first cluster by name) offers. Only callers
    /// who may create instances may ask. `Unavailable` when Proxmox VE cannot be
    /// reached and nothing fresh is cached.
    pub async fn options(
        &self,
        caller: &Principal,
        cluster_id: Option<Uuid>,
    ) -> DomainResult<LaunchOptions> {
        caller.require_create()?;
        let clusters = self.store.clusters().list().await?;
        let cluster = pick(&clusters, cluster_id)?;
        let options = self
            .cluster_options(cluster)
            .await
            .map_err(|error| error.for_caller(caller))?;
        let resources = self.settings.current().resources;
        Ok(LaunchOptions {
            clusters: clusters
                .iter()
                .map(|c| ClusterChoice {
                    id: c.id,
                    name: c.config.name.clone(),
                })
                .collect(),
            cluster: options.for_caller(caller),
            presets: size_presets(),
            defaults: LaunchDefaults {
                cores: resources.cores,
                memory_mib: resources.memory_mib,
                disk_gib: resources.disk_gib,
                bridge: DEFAULT_BRIDGE.to_owned(),
            },
        })
    }

    /// The cached part of `cluster_id` (default: the first cluster by name), for
    /// features that show the same volumes (images). Callers check what `caller` may
    /// do; what it may read of an outage is decided here, as for the options.
    pub async fn cluster(
        &self,
        caller: &Principal,
        cluster_id: Option<Uuid>,
    ) -> DomainResult<Arc<ClusterOptions>> {
        let clusters = self.store.clusters().list().await?;
        let cluster = pick(&clusters, cluster_id)?;
        self.cluster_options(cluster)
            .await
            .map_err(|error| error.for_caller(caller))
    }

    /// Drops what is cached for a cluster (its volumes just changed).
    pub fn forget(&self, cluster_id: Uuid) {
        self.slots.lock().remove(&cluster_id);
    }

    async fn cluster_options(&self, cluster: &Cluster) -> DomainResult<Arc<ClusterOptions>> {
        let slot = self.slots.lock().entry(cluster.id).or_default().clone();
        let mut cached = slot.lock().await;
        if let Some(hit) = cached.as_ref().filter(|c| c.at.elapsed() < self.ttl) {
            return Ok(hit.options.clone());
        }
        let pve = self.connector.pve(cluster.id).await?;
        let gathered = gather(pve)
            .await
            .map_err(|error| unavailable(&cluster.config.name, &error))?;
        let options = Arc::new(ClusterOptions {
            cluster_id: cluster.id,
            cluster_name: cluster.config.name.clone(),
            nodes: gathered.nodes,
            lxc_templates: gathered.lxc_templates,
            isos: gathered.isos,
            vm_templates: self.vm_templates(cluster.id).await?,
            fetched_at: Timestamp::now(),
        });
        *cached = Some(Cached {
            at: Instant::now(),
            options: options.clone(),
        });
        Ok(options)
    }

    /// Every VM template the mirror knows in the cluster, by name.
    async fn vm_templates(&self, cluster_id: Uuid) -> DomainResult<Vec<VmTemplateOption>> {
        let query = GuestQuery {
            filter: GuestFilter {
                cluster_id: Some(cluster_id),
                kind: Some(GuestType::Qemu),
                ..GuestFilter::default()
            },
            ..GuestQuery::default()
        };
        let mut templates = Vec::new();
        let mut page = PageRequest::first(TEMPLATE_PAGE);
        loop {
            let found = self.store.guests().list(&query, page).await?;
            templates.extend(
                found
                    .items
                    .into_iter()
                    .filter(|guest| guest.observed.template)
                    .map(|guest| VmTemplateOption {
                        vmid: guest.observed.vmid.get(),
                        name: guest.observed.name,
                        node: guest.observed.node,
                        memory: guest.observed.maxmem,
                        disk: guest.observed.maxdisk,
                        owner_id: guest.owner_id,
                    }),
            );
            match found.next {
                Some(cursor) => page = PageRequest::after(cursor, TEMPLATE_PAGE),
                None => return Ok(templates),
            }
        }
    }
}

/// `wanted` among the registered clusters, or the first by name.
fn pick(clusters: &[Cluster], wanted: Option<Uuid>) -> DomainResult<&Cluster> {
    match wanted {
        Some(id) => clusters
            .iter()
            .find(|c| c.id == id)
            .ok_or(DomainError::NotFound {
                resource: "cluster",
            }),
        None => clusters.first().ok_or_else(|| {
            DomainError::conflict(
                "no_cluster",
                "no Proxmox VE cluster is registered yet; an admin adds one under Settings → Clusters",
            )
        }),
    }
}

fn unavailable(cluster: &str, error: &PveError) -> DomainError {
    DomainError::Unavailable {
        code: "cluster_unavailable",
        message: format!("cannot ask Proxmox VE cluster '{cluster}' what can be launched: {error}"),
    }
}
