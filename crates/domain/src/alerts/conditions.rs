//! What holds right now: for each evaluated rule, the resources whose condition is
//! met, read from the inventory mirror (guests, nodes, cluster health) and the jobs.
//!
//! Adding a condition: compute its [`Observation`]s in [`observe`] from the
//! [`World`]; the evaluator does the rest (pending, firing, resolved, silences).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use proxicloud_store::{
    AlertResource, Cluster, ClusterStatus, Guest, JobFilter, JobResource, JobStatus, Node,
    PageRequest, Role, Store, Timestamp, Uuid,
};

use super::rule::{Builtin, Metric, Rule, RuleKind, ScopeKind};
use crate::error::DomainResult;

/// A stop counts as ours when one of our jobs on the guest ended this long before the
/// evaluation that saw it stopped (the mirror may show the old state for a poll or two).
pub const OUR_STOP_GRACE: Duration = Duration::from_secs(600);
/// How many of a guest's latest jobs are read to find one of ours.
const JOBS_PER_GUEST: u32 = 20;

/// One resource meeting one rule's condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub resource: AlertResource,
    pub resource_name: String,
    pub owner_id: Option<Uuid>,
    pub value: Option<f64>,
    pub message: String,
}

/// What one evaluation reads, once.
pub struct World {
    pub now: Timestamp,
    pub guests: Vec<Guest>,
    pub nodes: Vec<Node>,
    pub clusters: Vec<Cluster>,
    /// Roles of the rule and silence owners (other users are not read).
    pub roles: HashMap<Uuid, Role>,
}

impl World {
    pub async fn read(
        store: &dyn Store,
        now: Timestamp,
        owners: &HashSet<Uuid>,
    ) -> DomainResult<Self> {
        let mut roles = HashMap::new();
        for owner in owners {
            // A user deleted meanwhile owns nothing any more: left out.
            if let Ok(user) = store.users().get(*owner).await {
                roles.insert(*owner, user.role);
            }
        }
        Ok(Self {
            now,
            guests: store.guests().list_live().await?,
            nodes: store.inventory().list_nodes(None).await?,
            clusters: store.clusters().list().await?,
            roles,
        })
    }

    /// Whether `owner` (a rule's or a silence's; `None`: the system) sees what
    /// `resource_owner` owns.
    pub fn sees(&self, owner: Option<Uuid>, resource_owner: Option<Uuid>) -> bool {
        match owner {
            None => true,
            Some(owner) => {
                self.roles.get(&owner) == Some(&Role::Admin) || resource_owner == Some(owner)
            }
        }
    }

    fn cluster_name(&self, id: Uuid) -> &str {
        self.clusters
            .iter()
            .find(|c| c.id == id)
            .map_or("?", |c| c.config.name.as_str())
    }
}

pub fn instance_resource(guest: &Guest) -> AlertResource {
    AlertResource {
        kind: "instance".into(),
        id: guest.id.to_string(),
    }
}

/// The guests a rule watches: in its scope and visible to its owner; never templates.
fn watched<'w>(rule: &'w Rule, world: &'w World) -> impl Iterator<Item = &'w Guest> + 'w {
    let value = rule.row.scope_value.as_deref().unwrap_or_default();
    world.guests.iter().filter(move |g| {
        let in_scope = match rule.scope {
            ScopeKind::All => true,
            ScopeKind::Instance => g.id.to_string() == value,
            ScopeKind::Cluster => g.cluster_id.to_string() == value,
            ScopeKind::Node => format!("{}:{}", g.cluster_id, g.observed.node) == value,
            ScopeKind::Tag => g
                .observed
                .tags
                .as_deref()
                .unwrap_or_default()
                .split([';', ',', ' '])
                .any(|t| t.eq_ignore_ascii_case(value)),
        };
        in_scope && !g.observed.template && world.sees(rule.row.owner_id, g.owner_id)
    })
}

/// A metric's current reading on a running guest, if it has one.
pub fn guest_value(metric: Metric, guest: &Guest) -> Option<f64> {
    let o = &guest.observed;
    if o.status != "running" {
        return None;
    }
    let percent = |used: u64, total: u64| (total > 0).then(|| used as f64 * 100.0 / total as f64);
    match metric {
        Metric::CpuPercent => Some(o.activity.cpu * 100.0),
        Metric::MemoryPercent => percent(o.mem, o.maxmem),
        Metric::DiskPercent => percent(o.disk, o.maxdisk),
        Metric::NetInBytesPerSecond => o.activity.rates.netin,
        Metric::NetOutBytesPerSecond => o.activity.rates.netout,
    }
}

fn describe(guest: &Guest) -> String {
    let o = &guest.observed;
    format!("{} ({} {} on {})", o.name, o.kind, o.vmid, o.node)
}

/// Guest-down bookkeeping carried between evaluations.
#[derive(Debug, Default)]
pub struct DownTracker {
    /// Guests seen running at the last evaluation.
    running: HashSet<Uuid>,
}

impl DownTracker {
    /// Guests that are down unexpectedly now: seen running last time (or already
    /// alerted on, `open`), not running now, and no job of ours holds them or ended
    /// just before. A job running on the guest is a maintenance window.
    pub async fn down(
        &mut self,
        store: &dyn Store,
        world: &World,
        open: &HashSet<String>,
    ) -> DomainResult<HashSet<Uuid>> {
        let mut down = HashSet::new();
        for guest in &world.guests {
            if guest.observed.template || guest.observed.status == "running" {
                continue;
            }
            let id = guest.id.to_string();
            if !self.running.contains(&guest.id) && !open.contains(&id) {
                continue;
            }
            if !ours_explains(store, &id, world.now).await? {
                down.insert(guest.id);
            }
        }
        self.running = world
            .guests
            .iter()
            .filter(|g| g.observed.status == "running")
            .map(|g| g.id)
            .collect();
        Ok(down)
    }
}

/// Whether one of our jobs on the instance is unfinished or ended within the grace.
async fn ours_explains(store: &dyn Store, instance: &str, now: Timestamp) -> DomainResult<bool> {
    let filter = JobFilter {
        resource: Some(JobResource {
            kind: "instance".into(),
            id: instance.to_owned(),
        }),
        ..JobFilter::default()
    };
    let jobs = store
        .jobs()
        .list(&filter, PageRequest::first(JOBS_PER_GUEST))
        .await?;
    let since = now - OUR_STOP_GRACE;
    Ok(jobs
        .items
        .iter()
        .any(|job| job.finished_at.is_none_or(|ended| ended >= since)))
}

/// Every observation of one evaluated (non-signal) rule. `down` is the guests the
/// [`DownTracker`] found down.
pub fn observe(rule: &Rule, world: &World, down: &HashSet<Uuid>) -> Vec<Observation> {
    match rule.kind {
        RuleKind::Threshold {
            metric,
            comparison,
            threshold,
        } => watched(rule, world)
            .filter_map(|guest| {
                let value = guest_value(metric, guest)?;
                comparison.holds(value, threshold).then(|| Observation {
                    resource: instance_resource(guest),
                    resource_name: guest.observed.name.clone(),
                    owner_id: rule.row.owner_id.or(guest.owner_id),
                    value: Some(value),
                    message: format!(
                        "{}: {} is {value:.1} ({} {threshold})",
                        describe(guest),
                        metric.as_str(),
                        comparison.symbol()
                    ),
                })
            })
            .collect(),
        RuleKind::Builtin(Builtin::GuestDown) => watched(rule, world)
            .filter(|guest| down.contains(&guest.id))
            .map(|guest| Observation {
                resource: instance_resource(guest),
                resource_name: guest.observed.name.clone(),
                owner_id: guest.owner_id,
                value: None,
                message: format!(
                    "{} is {} and no job of ours stopped it",
                    describe(guest),
                    guest.observed.status
                ),
            })
            .collect(),
        RuleKind::Builtin(Builtin::NodeOffline) => world
            .nodes
            .iter()
            .filter(|n| n.observed.status == "offline")
            .map(|n| Observation {
                resource: AlertResource {
                    kind: "node".into(),
                    id: format!("{}:{}", n.cluster_id, n.observed.name),
                },
                resource_name: n.observed.name.clone(),
                owner_id: None,
                value: None,
                message: format!(
                    "node {} of cluster {} is offline",
                    n.observed.name,
                    world.cluster_name(n.cluster_id)
                ),
            })
            .collect(),
        RuleKind::Builtin(Builtin::ClusterUnreachable) => world
            .clusters
            .iter()
            .filter(|c| c.health.status == ClusterStatus::Offline)
            .map(|c| Observation {
                resource: AlertResource {
                    kind: "cluster".into(),
                    id: c.id.to_string(),
                },
                resource_name: c.config.name.clone(),
                owner_id: None,
                value: None,
                message: match c.health.offline_since {
                    Some(since) => format!("cluster {} unreachable since {since}", c.config.name),
                    None => format!("cluster {} is unreachable", c.config.name),
                },
            })
            .collect(),
        // Signals are raised, not observed; disk_full is a threshold rule.
        RuleKind::Builtin(_) => Vec::new(),
    }
}

/// Failed jobs that ended within `since`, for the `job_failed` signal.
pub async fn failed_jobs(
    store: &dyn Store,
    since: Timestamp,
) -> DomainResult<Vec<proxicloud_store::Job>> {
    let filter = JobFilter {
        status: Some(JobStatus::Failed),
        ..JobFilter::default()
    };
    let page = store.jobs().list(&filter, PageRequest::first(200)).await?;
    Ok(page
        .items
        .into_iter()
        .filter(|job| job.finished_at.is_some_and(|ended| ended >= since))
        .collect())
}
