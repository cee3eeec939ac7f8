//! Snapshots of a whole instance (`/api/v1/instances/{id}/snapshots`): listed live from
//! Proxmox (one call, when someone opens the tab), created, rolled back and deleted as
//! jobs that wait for Proxmox's task (`snapshot_jobs.rs`).
//!
//! Everything Proxmox would refuse that can be known before asking it to act is refused
//! here, with nothing queued: a bad or reserved name (`pve-configid`, PVE's reserved
//! `current`/`vzdump`/`pending`), a name already used, RAM state for a container, an
//! unknown snapshot, a template. What only the task finds out (a storage that cannot
//! snapshot, a lock taken meanwhile) fails the job with Proxmox's own words.

use std::sync::Arc;

use proxicloud_pve::{GuestType, NodeName, Pve, Snapshot};
use proxicloud_store::{Guest, JobActor, JobStep, NewJob, Store, Uuid};
use serde::{Deserialize, Serialize};

use super::pve_steps::Target;
use super::snapshot_support::snapshot_blockers;
use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::{JobQueue, Submitted};

const RESOURCE: &str = "instance";
/// PVE's `description` of a snapshot is free text; this keeps it a note, not a file.
pub const MAX_DESCRIPTION: usize = 1024;

pub const CREATE_KIND: &str = "instance.snapshot.create";
pub const ROLLBACK_KIND: &str = "instance.snapshot.rollback";
pub const DELETE_KIND: &str = "instance.snapshot.delete";

/// One snapshot as Proxmox lists it (the `current` pseudo-entry left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotView {
    pub name: String,
    pub description: String,
    /// Unix seconds.
    pub taken_at: Option<i64>,
    pub parent: Option<String>,
    /// VMs: RAM state was saved with it (a rollback resumes the running VM).
    pub with_ram: bool,
}

/// The instance's snapshots and which one the live state descends from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotList {
    pub items: Vec<SnapshotView>,
    pub current_parent: Option<String>,
}

/// What a snapshot job carries: the guest, and the snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotJob {
    pub target: Target,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub with_ram: bool,
    /// Rollback: start the guest afterwards.
    #[serde(default)]
    pub start: bool,
}

pub struct InstanceSnapshots {
    store: Arc<dyn Store>,
    queue: JobQueue,
    connector: Arc<dyn PveConnector>,
}

impl InstanceSnapshots {
    pub fn new(store: Arc<dyn Store>, queue: JobQueue, connector: Arc<dyn PveConnector>) -> Self {
        Self {
            store,
            queue,
            connector,
        }
    }

    /// The snapshots, oldest first, for whoever may see the instance.
    pub async fn list(&self, caller: &Principal, id: Uuid) -> DomainResult<SnapshotList> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_view(guest.owner_id, RESOURCE)?;
        let listed = self.live(caller, &guest).await?;
        let current_parent = listed
            .iter()
            .find(|s| !s.is_real())
            .and_then(|s| s.parent.clone());
        let mut items: Vec<SnapshotView> = listed
            .into_iter()
            .filter(Snapshot::is_real)
            .map(|s| SnapshotView {
                name: s.name,
                description: s.description.unwrap_or_default(),
                taken_at: s.snaptime,
                parent: s.parent,
                with_ram: s.vmstate.unwrap_or(false),
            })
            .collect();
        items.sort_by(|a, b| (a.taken_at, &a.name).cmp(&(b.taken_at, &b.name)));
        Ok(SnapshotList {
            items,
            current_parent,
        })
    }

    /// Queues `instance.snapshot.create`.
    pub async fn create(
        &self,
        caller: &Principal,
        id: Uuid,
        name: &str,
        description: Option<&str>,
        with_ram: bool,
    ) -> DomainResult<Submitted> {
        let guest = self.manageable(caller, id).await?;
        let mut fields = FieldErrors::new();
        if let Err(message) = check_name(name, guest.observed.kind) {
            fields.insert("name".to_owned(), message);
        }
        if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
            fields.insert(
                "description".to_owned(),
                format!("at most {MAX_DESCRIPTION} characters"),
            );
        }
        if with_ram && guest.observed.kind == GuestType::Lxc {
            fields.insert(
                "include_ram".to_owned(),
                "only VMs can save their RAM state; containers cannot".to_owned(),
            );
        }
        if !fields.is_empty() {
            return Err(DomainError::Validation(fields));
        }
        if self
            .live(caller, &guest)
            .await?
            .iter()
            .any(|s| s.name == name)
        {
            return Err(DomainError::conflict(
                "snapshot_exists",
                format!("the instance already has a snapshot named '{name}'"),
            ));
        }
        self.require_snapshot_support(caller, &guest).await?;
        let job = SnapshotJob {
            target: Target::of(&guest),
            name: name.to_owned(),
            description: description.map(str::to_owned),
            with_ram,
            start: false,
        };
        self.submit(caller, &guest, CREATE_KIND, "snapshot", &job)
            .await
    }

    /// Queues `instance.snapshot.rollback`: Proxmox stops a running guest first and,
    /// with `start`, starts it again afterwards (a VM snapshot with RAM resumes it).
    pub async fn rollback(
        &self,
        caller: &Principal,
        id: Uuid,
        name: &str,
        start: bool,
    ) -> DomainResult<Submitted> {
        let guest = self.manageable(caller, id).await?;
        self.existing(caller, &guest, name).await?;
        let job = SnapshotJob {
            target: Target::of(&guest),
            name: name.to_owned(),
            description: None,
            with_ram: false,
            start,
        };
        self.submit(caller, &guest, ROLLBACK_KIND, "rollback", &job)
            .await
    }

    /// Queues `instance.snapshot.delete`.
    pub async fn delete(
        &self,
        caller: &Principal,
        id: Uuid,
        name: &str,
    ) -> DomainResult<Submitted> {
        let guest = self.manageable(caller, id).await?;
        self.existing(caller, &guest, name).await?;
        let job = SnapshotJob {
            target: Target::of(&guest),
            name: name.to_owned(),
            description: None,
            with_ram: false,
            start: false,
        };
        self.submit(caller, &guest, DELETE_KIND, "delete", &job)
            .await
    }

    async fn manageable(&self, caller: &Principal, id: Uuid) -> DomainResult<Guest> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_manage(guest.owner_id, RESOURCE)?;
        if guest.observed.template {
            return Err(DomainError::conflict(
                "instance_is_template",
                "a template has no snapshots",
            ));
        }
        Ok(guest)
    }

    async fn existing(&self, caller: &Principal, guest: &Guest, name: &str) -> DomainResult<()> {
        let found = self
            .live(caller, guest)
            .await?
            .iter()
            .any(|s| s.is_real() && s.name == name);
        if found {
            Ok(())
        } else {
            Err(DomainError::NotFound {
                resource: "snapshot",
            })
        }
    }

    /// 409 `snapshot_not_supported`, naming each disk, when a disk's storage cannot
    /// snapshot (one config read; the storages come from the mirror).
    async fn require_snapshot_support(
        &self,
        caller: &Principal,
        guest: &Guest,
    ) -> DomainResult<()> {
        let observed = &guest.observed;
        let (node, pve) = self.connect(caller, guest).await?;
        let config = pve
            .guest_config(&node, observed.kind, observed.vmid)
            .await
            .map_err(|e| DomainError::from_pve("read the configuration", e).for_caller(caller))?;
        let storages = self
            .store
            .inventory()
            .list_storages(Some(guest.cluster_id))
            .await?;
        let on_node: Vec<_> = storages
            .iter()
            .filter(|s| s.observed.node == observed.node)
            .collect();
        let blockers = snapshot_blockers(observed.kind, &config, &on_node);
        if blockers.is_empty() {
            return Ok(());
        }
        Err(DomainError::conflict(
            "snapshot_not_supported",
            format!(
                "Proxmox cannot snapshot this instance: {}; snapshots need LVM-thin, ZFS or Ceph RBD storage (or qcow2 disks for VMs)",
                blockers.join(", ")
            ),
        ))
    }

    /// The guest's node and a connection to its cluster (an outage worded for the caller).
    async fn connect(
        &self,
        caller: &Principal,
        guest: &Guest,
    ) -> DomainResult<(NodeName, Arc<dyn Pve>)> {
        let node = NodeName::new(guest.observed.node.clone())
            .map_err(|e| DomainError::Internal(format!("mirrored node name: {e}")))?;
        let pve = self
            .connector
            .pve(guest.cluster_id)
            .await
            .map_err(|e| e.for_caller(caller))?;
        Ok((node, pve))
    }

    /// What Proxmox lists now; an outage is worded for the caller (admins get the details).
    async fn live(&self, caller: &Principal, guest: &Guest) -> DomainResult<Vec<Snapshot>> {
        let observed = &guest.observed;
        let (node, pve) = self.connect(caller, guest).await?;
        pve.snapshots(&node, observed.kind, observed.vmid)
            .await
            .map_err(|e| DomainError::from_pve("list the snapshots", e).for_caller(caller))
    }

    async fn submit(
        &self,
        caller: &Principal,
        guest: &Guest,
        kind: &str,
        step: &str,
        job: &SnapshotJob,
    ) -> DomainResult<Submitted> {
        let job = NewJob {
            resource_kind: Some(RESOURCE.to_owned()),
            resource_id: Some(guest.id.to_string()),
            params: serde_json::to_value(job).expect("snapshot jobs serialise"),
            ..NewJob::new(
                kind,
                JobActor::User(caller.user_id),
                vec![JobStep::pending(step)],
            )
        };
        self.queue.submit(job).await
    }
}

/// PVE's `pve-configid` (a letter, then letters, digits, `-`, `_`; at most 40) and the
/// names its snapshot code reserves (`PVE::API2::LXC::Snapshot`, `PVE::API2::Qemu`).
pub fn check_name(name: &str, kind: GuestType) -> Result<(), String> {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && (2..=40).contains(&name.len());
    if !well_formed {
        return Err("2 to 40 letters, digits, '-' or '_', starting with a letter".to_owned());
    }
    let reserved = match kind {
        GuestType::Lxc => name == "current" || name == "vzdump",
        GuestType::Qemu => name == "current" || name.eq_ignore_ascii_case("pending"),
    };
    if reserved {
        return Err(format!("'{name}' is reserved by Proxmox VE"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_pve_configid_and_avoid_the_reserved_ones() {
        for good in ["before-upgrade", "v2_1", "Ab"] {
            assert_eq!(check_name(good, GuestType::Qemu), Ok(()), "{good}");
        }
        for bad in ["", "a", "1st", "with space", "dot.ted", &"x".repeat(41)] {
            assert!(check_name(bad, GuestType::Lxc).is_err(), "{bad}");
        }
        assert!(check_name("current", GuestType::Lxc).is_err());
        assert!(check_name("vzdump", GuestType::Lxc).is_err());
        assert_eq!(check_name("vzdump", GuestType::Qemu), Ok(()));
        assert!(check_name("Pending", GuestType::Qemu).is_err());
        assert_eq!(check_name("pending", GuestType::Lxc), Ok(()));
    }
}
