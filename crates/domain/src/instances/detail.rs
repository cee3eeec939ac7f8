//! What an instance's detail page shows beside the mirrored row: the jobs and audit
//! entries about it, and its live Proxmox configuration. Each is for whoever may see
//! the instance (its owner, admins); anyone else gets `NotFound`.

use std::sync::Arc;
use std::time::Duration;

use proxicloud_pve::serde_util::value_as_string;
use proxicloud_pve::{NodeName, PveError};
use proxicloud_store::{
    AuditEntry, AuditFilter, ClusterStatus, Guest, JobFilter, JobResource, Page, PageRequest,
    Store, StoreError, TextMatch, Uuid,
};

use super::addresses::{AddressLearner, Learned};
use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult};
use crate::events::EventBus;
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::JobView;

/// The `resource_kind` of instance jobs and the audit trail's resource prefix.
const JOB_RESOURCE: &str = "instance";
const AUDIT_RESOURCE: &str = "instances";
/// How long after its job was queued the create request's audit entry may be written
/// (the entry is written once the response is ready, which is almost at once).
const CREATE_AUDIT_WINDOW: Duration = Duration::from_secs(300);
/// Shown instead of the value of a key that may hold a secret.
pub const MASKED: &str = "********";

/// One key of a guest's Proxmox configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub key: String,
    /// As Proxmox returned it (property strings unparsed), or [`MASKED`].
    pub value: String,
    pub masked: bool,
    /// The value Proxmox will apply at the guest's next start (it could not change
    /// the running guest): masked like `value`.
    pub pending: Option<String>,
    /// Proxmox will remove the key at the next start.
    pub pending_delete: bool,
}

/// The live configuration and what the guest said about its addresses meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    pub entries: Vec<ConfigEntry>,
    /// Just learned when the guest could tell (running; VMs with a working agent),
    /// else the last known ones; `None`: never learned.
    pub addresses: Option<Vec<String>>,
}

pub struct InstanceDetails {
    store: Arc<dyn Store>,
    connector: Arc<dyn PveConnector>,
    addresses: AddressLearner,
}

impl InstanceDetails {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        events: Arc<EventBus>,
    ) -> Self {
        let addresses = AddressLearner::new(store.clone(), events);
        Self {
            store,
            connector,
            addresses,
        }
    }

    /// Every job about the instance, whoever started it, newest first — including the
    /// job that created it (it records the instance once it reserved it).
    pub async fn jobs(
        &self,
        caller: &Principal,
        id: Uuid,
        page: PageRequest,
    ) -> DomainResult<Page<JobView>> {
        self.visible(caller, id).await?;
        let filter = JobFilter {
            resource: Some(JobResource {
                kind: JOB_RESOURCE.to_owned(),
                id: id.to_string(),
            }),
            ..JobFilter::default()
        };
        let page = self.store.jobs().list(&filter, page).await?;
        Ok(Page {
            items: page.items.iter().map(JobView::from).collect(),
            next: page.next,
        })
    }

    /// The audit entries about the instance (`instances/<id>`), newest first. The
    /// request that created it named no instance yet (`instances`); the last page ends
    /// with it, found through the create job it queued.
    pub async fn audit(
        &self,
        caller: &Principal,
        id: Uuid,
        page: PageRequest,
    ) -> DomainResult<Page<AuditEntry>> {
        let guest = self.visible(caller, id).await?;
        let filter = AuditFilter {
            resource: Some(TextMatch::Exact(format!("{AUDIT_RESOURCE}/{id}"))),
            ..AuditFilter::default()
        };
        let mut found = self.store.audit().query(&filter, page).await?;
        if found.next.is_none()
            && let Some(entry) = self.creation_entry(&guest).await?
        {
            found.items.push(entry);
        }
        Ok(found)
    }

    /// The guest's configuration as Proxmox has it now, keys sorted, secrets masked,
    /// and its addresses, asked for at the same time (one call more, only when someone
    /// opens the instance). `Unavailable` when the cluster cannot be asked (the mirror
    /// still answers reads); a failure to learn the addresses is not one.
    pub async fn config(&self, caller: &Principal, id: Uuid) -> DomainResult<InstanceConfig> {
        let guest = self.visible(caller, id).await?;
        let cluster = self
            .store
            .clusters()
            .get(guest.cluster_id)
            .await
            .map_err(DomainError::not_found_as("cluster"))?;
        // Known to be down: say so now rather than after the connection times out.
        if cluster.health.status == ClusterStatus::Offline {
            let since = cluster.health.offline_since.or(cluster.health.last_seen_at);
            let since = since.map_or_else(String::new, |t| format!(" since {t}"));
            return Err(unreachable(format!(
                "Proxmox VE cluster '{}' is unreachable{since}",
                cluster.config.name
            )));
        }
        let observed = &guest.observed;
        let node = NodeName::new(observed.node.clone())
            .map_err(|e| DomainError::Internal(format!("mirrored node name: {e}")))?;
        let pve = self.connector.pve(guest.cluster_id).await?;
        let (config, pending, learned) = tokio::join!(
            pve.guest_config(&node, observed.kind, observed.vmid),
            pve.guest_pending(&node, observed.kind, observed.vmid),
            self.addresses.learn(pve.as_ref(), &guest)
        );
        let config = config
            .map_err(|error| config_error(&cluster.config.name, &error).for_caller(caller))?;
        let addresses = match learned {
            Ok(Learned::Known(addresses)) => Some(addresses),
            Ok(Learned::Unavailable(_)) => guest.addresses,
            Err(error) => {
                tracing::info!(instance = %id, %error, "could not learn the guest's addresses");
                guest.addresses
            }
        };
        // `GET …/config` shows pending values as if applied; `…/pending` tells the
        // current value apart. Without it (an older fake, a refusal) the config stands.
        let pending = pending.unwrap_or_else(|error| {
            tracing::info!(instance = %id, %error, "could not read the pending changes");
            Vec::new()
        });
        let entries = config
            .raw
            .iter()
            .filter_map(|(key, value)| {
                let value = value_as_string(value)?;
                let change = pending.iter().find(|p| p.key == *key && p.is_pending());
                Some(match change {
                    None => config_entry(key, value),
                    Some(change) => with_pending(
                        key,
                        change.value_text(),
                        change.pending_text(),
                        change.delete == Some(true),
                    ),
                })
            })
            .collect();
        Ok(InstanceConfig { entries, addresses })
    }

    async fn visible(&self, caller: &Principal, id: Uuid) -> DomainResult<Guest> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_view(guest.owner_id, JOB_RESOURCE)?;
        Ok(guest)
    }

    /// The audit entry of the request that queued the guest's create job.
    async fn creation_entry(&self, guest: &Guest) -> DomainResult<Option<AuditEntry>> {
        let Some(job_id) = guest.created_by_job else {
            return Ok(None);
        };
        let job = match self.store.jobs().get(job_id).await {
            Ok(job) => job,
            Err(StoreError::NotFound) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let filter = AuditFilter {
            user_id: job.actor.user_id(),
            resource: Some(TextMatch::Exact(AUDIT_RESOURCE.to_owned())),
            from: Some(job.created_at),
            to: Some(job.created_at + CREATE_AUDIT_WINDOW),
            ..AuditFilter::default()
        };
        let job_id = job_id.to_string();
        let mut page = PageRequest::first(100);
        loop {
            let found = self.store.audit().query(&filter, page).await?;
            if let Some(entry) = found
                .items
                .into_iter()
                .find(|e| e.details.get("job_id").and_then(|v| v.as_str()) == Some(&job_id))
            {
                return Ok(Some(entry));
            }
            match found.next {
                Some(cursor) => page = PageRequest::after(cursor, 100),
                None => return Ok(None),
            }
        }
    }
}

fn unreachable(message: String) -> DomainError {
    DomainError::Unavailable {
        code: "cluster_unreachable",
        message,
    }
}

/// Any failure to read the config means Proxmox cannot tell us right now; PVE's own
/// words are kept so an admin can act on them (`for_caller` decides who reads them).
fn config_error(cluster: &str, error: &PveError) -> DomainError {
    if error.is_transient() {
        unreachable(format!(
            "Proxmox VE cluster '{cluster}' is unreachable: {error}"
        ))
    } else {
        DomainError::Unavailable {
            code: "pve_error",
            message: format!(
                "Proxmox VE cluster '{cluster}' refused to return the configuration: {error}"
            ),
        }
    }
}

/// Keys whose values may be credentials (`cipassword`, and any future
/// `*password*`/`*secret*`/`*token*` option) are never shown.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token"]
        .iter()
        .any(|word| key.contains(word))
}

fn config_entry(key: &str, value: String) -> ConfigEntry {
    let masked = is_secret_key(key);
    ConfigEntry {
        key: key.to_owned(),
        value: if masked { MASKED.to_owned() } else { value },
        masked,
        pending: None,
        pending_delete: false,
    }
}

/// A key with a change waiting for the next start: its current value (empty for a
/// key being added) and the pending one.
fn with_pending(
    key: &str,
    current: Option<String>,
    pending: Option<String>,
    delete: bool,
) -> ConfigEntry {
    let mut entry = config_entry(key, current.unwrap_or_default());
    entry.pending = pending.map(|value| {
        if entry.masked {
            MASKED.to_owned()
        } else {
            value
        }
    });
    entry.pending_delete = delete;
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked_and_the_rest_kept_verbatim() {
        let password = config_entry("cipassword", "$5$hash".into());
        assert_eq!((password.value.as_str(), password.masked), (MASKED, true));
        let net = config_entry("net0", "name=eth0,bridge=vmbr0,ip=dhcp".into());
        assert_eq!(net.value, "name=eth0,bridge=vmbr0,ip=dhcp");
        assert!(!net.masked);
        assert!(config_entry("Api_Token", "x".into()).masked);
        assert!(!config_entry("sshkeys", "ssh-ed25519 AAAA".into()).masked);
    }

    #[test]
    fn a_pending_change_keeps_the_current_value_beside_it_and_masks_secrets() {
        let cores = with_pending("cores", Some("2".into()), Some("4".into()), false);
        assert_eq!(
            (cores.value.as_str(), cores.pending.as_deref()),
            ("2", Some("4"))
        );
        let secret = with_pending("cipassword", Some("a".into()), Some("b".into()), false);
        assert_eq!(secret.pending.as_deref(), Some(MASKED));
        let added = with_pending("vcpus", None, Some("2".into()), false);
        assert_eq!(added.value, "");
    }
}
