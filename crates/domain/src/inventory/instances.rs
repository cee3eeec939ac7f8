//! Instance reads, answered from the mirror only (never a Proxmox call), with the
//! freshness of what they show; and owner assignment by administrators.
//!
//! Reads are served from an in-memory [`GuestIndex`] of the mirror, not by a query
//! per request: it is rebuilt before the next read whenever this process wrote a
//! guest (`Store::writes`), so a caller always reads its own writes; writes by
//! other replicas sharing the database show within [`MAX_INDEX_AGE`].
//!
//! Visibility follows `iam::authz`: admins see every instance including unmanaged
//! ones (no owner); operators and readonly users see only their own, and someone
//! else's instance is *not found* for them, never *forbidden*.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use proxicloud_pve::GuestType;
use proxicloud_store::{
    ClusterHealth, ClusterStatus, Cursor, Guest, GuestFilter, GuestSort, OwnerFilter, Store,
    StoreError, Table, Timestamp, Uuid,
};
use serde_json::json;

use crate::error::{DomainError, DomainResult};
use crate::events::{Audience, EventBus};
use crate::iam::Principal;
use crate::read_index::IndexCache;

use super::guest_index::{GuestIndex, IndexedGuest};
use super::summary::{InstanceSummary, summarise};

/// Largest page a client may ask for.
pub const MAX_LIST_LIMIT: u32 = 1000;
/// Cluster health is re-read at most this often: reads stay one query each under
/// load, and an outage shows within a second of the worker noticing it.
const HEALTH_TTL: Duration = Duration::from_secs(1);
/// How old the index may get before a read refreshes it, to pick up guest writes made
/// by other processes (its own writes rebuild it at once).
pub const MAX_INDEX_AGE: Duration = Duration::from_secs(5);
const RESOURCE: &str = "instance";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerSelector {
    User(Uuid),
    /// Unmanaged guests nobody owns (admins only).
    Unowned,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstanceListQuery {
    pub status: Option<String>,
    pub kind: Option<GuestType>,
    pub cluster_id: Option<Uuid>,
    pub node: Option<String>,
    pub owner: Option<OwnerSelector>,
    /// Case-insensitive part of the name.
    pub name_contains: Option<String>,
    /// One of its tags, case-insensitive.
    pub tag: Option<String>,
    pub sort: GuestSort,
    pub descending: bool,
    /// From the previous page's `next`; valid only for the same filters and sort.
    pub cursor: Option<Cursor>,
    /// 1..=[`MAX_LIST_LIMIT`].
    pub limit: u32,
}

impl Default for InstanceListQuery {
    fn default() -> Self {
        Self {
            status: None,
            kind: None,
            cluster_id: None,
            node: None,
            owner: None,
            name_contains: None,
            tag: None,
            sort: GuestSort::default(),
            descending: false,
            cursor: None,
            limit: 100,
        }
    }
}

/// How current mirrored data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Freshness {
    /// The cluster answered its last poll.
    #[default]
    Fresh,
    /// The cluster has been unreachable since then; this is the last data we got.
    Stale { since: Timestamp },
}

impl Freshness {
    pub fn stale_since(self) -> Option<Timestamp> {
        match self {
            Freshness::Fresh => None,
            Freshness::Stale { since } => Some(since),
        }
    }

    fn of(health: &ClusterHealth) -> Self {
        match health.status {
            ClusterStatus::Offline => Freshness::Stale {
                since: health
                    .offline_since
                    .or(health.last_seen_at)
                    .unwrap_or_else(Timestamp::now),
            },
            ClusterStatus::Online | ClusterStatus::Unknown => Freshness::Fresh,
        }
    }

    /// Stale if either is; since the earlier outage.
    pub(super) fn combine(self, other: Freshness) -> Freshness {
        match (self.stale_since(), other.stale_since()) {
            (Some(a), Some(b)) => Freshness::Stale { since: a.min(b) },
            (Some(_), None) => self,
            (None, _) => other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct InstanceList {
    pub items: Vec<Arc<IndexedGuest>>,
    pub next: Option<Cursor>,
    /// Stale when any cluster of the listed items (or the filtered cluster) is.
    pub freshness: Freshness,
    /// Freshness per cluster of the listed items, for per-row display.
    pub clusters: HashMap<Uuid, Freshness>,
}

#[derive(Debug, Clone)]
pub struct InstanceView {
    pub guest: Arc<IndexedGuest>,
    pub freshness: Freshness,
}

pub struct InstanceDirectory {
    store: Arc<dyn Store>,
    events: Arc<EventBus>,
    /// When the health of every cluster was last read, and what it was.
    health: Mutex<Option<(Instant, HealthByCluster)>>,
    index: IndexCache<GuestIndex>,
}

/// The instances a caller may see (see [`InstanceDirectory::visible`]).
pub struct VisibleInstances {
    index: Arc<GuestIndex>,
    filter: GuestFilter,
    clusters: HealthByCluster,
}

impl VisibleInstances {
    /// Every one of them (templates included), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<IndexedGuest>> {
        self.index.matching(&self.filter)
    }

    /// The cluster's name (empty for a cluster removed since).
    pub fn cluster_name(&self, cluster: Uuid) -> &str {
        self.clusters
            .get(&cluster)
            .map_or("", |cluster| cluster.name.as_str())
    }

    pub fn freshness(&self, cluster: Uuid) -> Freshness {
        freshness_in(&self.clusters, cluster)
    }

    /// Every registered cluster (id, name), whether or not the caller has guests on it.
    pub fn clusters(&self) -> impl Iterator<Item = (Uuid, &str)> {
        self.clusters
            .iter()
            .map(|(id, cluster)| (*id, cluster.name.as_str()))
    }
}

#[cfg(test)]
impl VisibleInstances {
    /// `guests`, all visible, in `clusters` (id, name, offline since).
    pub(crate) fn of(guests: Vec<Guest>, clusters: &[(Uuid, &str, Option<Timestamp>)]) -> Self {
        let clusters = clusters
            .iter()
            .map(|&(id, name, offline_since)| {
                let health = ClusterHealth {
                    status: match offline_since {
                        Some(_) => ClusterStatus::Offline,
                        None => ClusterStatus::Online,
                    },
                    offline_since,
                    ..ClusterHealth::default()
                };
                let state = ClusterState {
                    name: name.to_owned(),
                    health,
                };
                (id, state)
            })
            .collect();
        Self {
            index: Arc::new(GuestIndex::build(guests)),
            filter: GuestFilter::default(),
            clusters: Arc::new(clusters),
        }
    }
}

/// Each cluster's name and health, by cluster id.
type HealthByCluster = Arc<HashMap<Uuid, ClusterState>>;

/// What the instance views need of a cluster: its name and how current its mirror is.
struct ClusterState {
    name: String,
    health: ClusterHealth,
}

impl InstanceDirectory {
    pub fn new(store: Arc<dyn Store>, events: Arc<EventBus>) -> Self {
        Self {
            store,
            events,
            health: Mutex::new(None),
            index: IndexCache::new(MAX_INDEX_AGE),
        }
    }

    pub async fn list(
        &self,
        principal: &Principal,
        query: InstanceListQuery,
    ) -> DomainResult<InstanceList> {
        if !(1..=MAX_LIST_LIMIT).contains(&query.limit) {
            return Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIST_LIMIT}"),
            ));
        }
        let Some(owner) = visible_owner(principal, query.owner) else {
            // Asking for someone else's instances: there are none the caller may see.
            return Ok(InstanceList {
                items: Vec::new(),
                next: None,
                freshness: Freshness::Fresh,
                clusters: HashMap::new(),
            });
        };
        let filter = GuestFilter {
            status: query.status,
            kind: query.kind,
            cluster_id: query.cluster_id,
            node: query.node,
            owner,
            name_contains: query.name_contains.filter(|q| !q.trim().is_empty()),
            tag: query.tag.filter(|t| !t.trim().is_empty()),
            include_removed: false,
        };
        let page = self.index().await?.page(
            &filter,
            query.sort,
            query.descending,
            query.cursor.as_ref(),
            query.limit as usize,
        )?;
        let health = self.health().await?;
        let freshness_of = |cluster: Uuid| freshness_in(&health, cluster);
        let clusters: HashMap<Uuid, Freshness> = page
            .items
            .iter()
            .map(|g| (g.cluster_id, freshness_of(g.cluster_id)))
            .collect();
        let freshness = clusters
            .values()
            .copied()
            .chain(query.cluster_id.map(freshness_of))
            .fold(Freshness::Fresh, Freshness::combine);
        Ok(InstanceList {
            items: page.items,
            next: page.next,
            freshness,
            clusters,
        })
    }

    /// Counts by status and per-cluster totals of every instance the caller may see.
    pub async fn summary(&self, principal: &Principal) -> DomainResult<InstanceSummary> {
        let visible = self.visible(principal).await?;
        Ok(summarise(
            &visible.index,
            &visible.filter,
            |cluster| visible.freshness(cluster),
            |cluster| visible.cluster_name(cluster).to_owned(),
        ))
    }

    /// Every instance the caller may see, with its cluster's name and freshness: for
    /// views over all of them at once (the dashboard's summary, the health map) — one
    /// pass over the in-memory index, no query per instance.
    pub async fn visible(&self, principal: &Principal) -> DomainResult<VisibleInstances> {
        Ok(VisibleInstances {
            index: self.index().await?,
            filter: GuestFilter {
                owner: visible_to(principal),
                ..GuestFilter::default()
            },
            clusters: self.health().await?,
        })
    }

    pub async fn get(&self, principal: &Principal, id: Uuid) -> DomainResult<InstanceView> {
        let guest = self.load_visible(principal, id).await?;
        let freshness = freshness_in(&self.health().await?, guest.cluster_id);
        Ok(InstanceView { guest, freshness })
    }

    /// Gives an instance (typically an unmanaged one found on Proxmox) to `owner`, or
    /// makes it unowned with `None`. Admin only.
    pub async fn assign_owner(
        &self,
        principal: &Principal,
        id: Uuid,
        owner: Option<Uuid>,
    ) -> DomainResult<InstanceView> {
        principal.require_admin()?;
        self.load_visible(principal, id).await?;
        if let Some(owner) = owner {
            match self.store.users().get(owner).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(DomainError::invalid("owner_id", "no user has this id"));
                }
                Err(other) => return Err(other.into()),
            }
        }
        let guest = self
            .store
            .guests()
            .set_owner(id, owner)
            .await
            .map_err(DomainError::not_found_as(RESOURCE))?;
        tracing::info!(instance = %id, owner = ?owner, "instance owner assigned");
        self.events.publish(
            "instance.changed",
            Audience::Owner(owner.map(|o| o.to_string())),
            json!({
                "id": guest.id,
                "cluster_id": guest.cluster_id,
                "vmid": guest.observed.vmid,
                "name": guest.observed.name,
                "owner_id": guest.owner_id,
            }),
        );
        self.get(principal, id).await
    }

    /// The live instance if the caller may see it; `NotFound` otherwise, whether it
    /// does not exist, was removed, or belongs to someone else.
    async fn load_visible(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> DomainResult<Arc<IndexedGuest>> {
        let guest = self
            .index()
            .await?
            .get(id)
            .cloned()
            .ok_or(DomainError::NotFound { resource: RESOURCE })?;
        principal.authorize_view(guest.owner_id, RESOURCE)?;
        Ok(guest)
    }

    /// The index, rebuilt first if this process wrote a guest since it was built.
    async fn index(&self) -> DomainResult<Arc<GuestIndex>> {
        let store = &self.store;
        self.index
            .get(
                || store.writes(Table::Guests),
                || async {
                    let started = Instant::now();
                    let guests = store.guests().list_live().await?;
                    let index = GuestIndex::build(guests);
                    tracing::debug!(
                        guests = index.len(),
                        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                        "instance index rebuilt"
                    );
                    Ok(index)
                },
            )
            .await
    }

    async fn health(&self) -> DomainResult<HealthByCluster> {
        if let Some((read_at, health)) = self.health.lock().as_ref()
            && read_at.elapsed() < HEALTH_TTL
        {
            return Ok(health.clone());
        }
        let clusters = self.store.clusters().list().await?;
        let health: HealthByCluster = Arc::new(
            clusters
                .into_iter()
                .map(|c| {
                    let state = ClusterState {
                        name: c.config.name,
                        health: c.health,
                    };
                    (c.id, state)
                })
                .collect(),
        );
        *self.health.lock() = Some((Instant::now(), health.clone()));
        Ok(health)
    }
}

/// How current a cluster's mirrored data is (a cluster never polled yet is fresh).
fn freshness_in(health: &HealthByCluster, cluster: Uuid) -> Freshness {
    health
        .get(&cluster)
        .map_or(Freshness::Fresh, |cluster| Freshness::of(&cluster.health))
}

/// Every instance the caller may see: all for admins, their own for others.
fn visible_to(principal: &Principal) -> OwnerFilter {
    if principal.is_admin() {
        OwnerFilter::Any
    } else {
        OwnerFilter::Owner(principal.user_id)
    }
}

/// The owner filter to apply, or `None` when the caller asked for instances it may
/// not see.
fn visible_owner(principal: &Principal, wanted: Option<OwnerSelector>) -> Option<OwnerFilter> {
    let Some(wanted) = wanted else {
        return Some(visible_to(principal));
    };
    if principal.is_admin() {
        return Some(match wanted {
            OwnerSelector::User(user) => OwnerFilter::Owner(user),
            OwnerSelector::Unowned => OwnerFilter::Unowned,
        });
    }
    match wanted {
        OwnerSelector::User(user) if user == principal.user_id => Some(OwnerFilter::Owner(user)),
        _ => None,
    }
}

/// The guest with this id unless it is unknown or was removed from Proxmox — both are
/// `NotFound` (the instance is gone). Callers still check who may see or change it.
pub(crate) async fn load_live_guest(store: &dyn Store, id: Uuid) -> DomainResult<Guest> {
    let guest = store
        .guests()
        .get(id)
        .await
        .map_err(DomainError::not_found_as(RESOURCE))?;
    if guest.removed_at.is_some() {
        return Err(DomainError::NotFound { resource: RESOURCE });
    }
    Ok(guest)
}
