//! [`BackupService::restore`]: in place (the instance the backup was taken of: stop,
//! restore over it with `force`, start again unless told not to) or as a new instance
//! (any node that can reach the archive, any storage that holds guest disks, a vmid
//! reserved like a launch's, a new name). Everything that can be known before asking
//! Proxmox to act is refused here with nothing queued: a backup whose archive is gone,
//! an instance that no longer exists or is locked, a node or storage that is missing,
//! an archive on another node's local storage, a storage without room for the disks.

use proxicloud_pve::{ContentFilter, GuestType};
use proxicloud_store::{Backup, Guest, JobActor, JobStep, NewJob, Uuid};

use super::jobs::kinds;
use super::restore_job::{RestoreJob, steps};
use super::service::BackupService;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::instances::{Target, require_unique_name};
use crate::inventory::load_live_guest;
use crate::jobs::Submitted;

const IN_PLACE: &[&str] = &steps::IN_PLACE_JOB;
const AS_NEW: &[&str] = &steps::AS_NEW_JOB;

/// Where a restore goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreMode {
    InPlace,
    AsNew {
        name: String,
        /// Default: the backup's node.
        node: Option<String>,
        /// Default: the storage of the backed-up root disk.
        storage: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreBackup {
    pub mode: RestoreMode,
    /// Start the instance once restored.
    pub start: bool,
}

impl BackupService {
    /// Queues `backup.restore`; also returns the instance it restores into (a new
    /// one's id is chosen now).
    pub async fn restore(
        &self,
        caller: &Principal,
        id: Uuid,
        request: RestoreBackup,
    ) -> DomainResult<(Uuid, Submitted)> {
        let backup = self.manageable(caller, id).await?;
        self.require_archive(caller, &backup).await?;
        let (job, steps) = match request.mode {
            RestoreMode::InPlace => {
                let guest = self.in_place_target(caller, &backup).await?;
                let job = RestoreJob {
                    backup_id: backup.id,
                    target: Target::of(&guest),
                    in_place: true,
                    storage: default_storage(&backup),
                    start: request.start,
                    source_instance: None,
                };
                (job, IN_PLACE)
            }
            RestoreMode::AsNew {
                name,
                node,
                storage,
            } => {
                caller.require_create()?;
                let node = node.unwrap_or_else(|| backup.node.clone());
                let storage = storage.or_else(|| default_storage(&backup));
                self.check_new_target(&backup, &name, &node, storage.as_deref())
                    .await?;
                let target = Target {
                    cluster_id: backup.cluster_id,
                    guest_id: Uuid::now_v7(),
                    node,
                    kind: backup.guest_kind,
                    vmid: backup.vmid,
                    name,
                };
                let job = RestoreJob {
                    backup_id: backup.id,
                    target,
                    in_place: false,
                    storage,
                    start: request.start,
                    source_instance: backup.guest_id,
                };
                (job, AS_NEW)
            }
        };
        let instance_id = job.target.guest_id;
        let new_job = NewJob {
            // The job is about the instance restored into (a new one's id from the start).
            resource_kind: Some("instance".to_owned()),
            resource_id: Some(instance_id.to_string()),
            params: serde_json::to_value(&job).expect("restore jobs serialise"),
            ..NewJob::new(
                kinds::RESTORE,
                JobActor::User(caller.user_id),
                steps.iter().map(|s| JobStep::pending(*s)).collect(),
            )
        };
        let submitted = self.queue.submit(new_job).await?;
        Ok((instance_id, submitted))
    }

    /// `409 backup_missing` when the archive is no longer on its storage.
    async fn require_archive(&self, caller: &Principal, backup: &Backup) -> DomainResult<()> {
        let volid = backup.volid.as_deref().unwrap_or_default();
        let (node, pve) = self.connect(caller, backup).await?;
        let filter = ContentFilter {
            content: Some("backup".to_owned()),
            vmid: Some(backup.vmid),
        };
        let listed = pve
            .storage_content(&node, &backup.storage, &filter)
            .await
            .map_err(|e| DomainError::from_pve("list the backup storage", e).for_caller(caller))?;
        if listed.iter().any(|v| v.volid == volid) {
            Ok(())
        } else {
            Err(DomainError::conflict(
                "backup_missing",
                format!(
                    "the archive '{volid}' is no longer on storage '{}' of node '{}'",
                    backup.storage, backup.node
                ),
            ))
        }
    }

    /// The backed-up instance, still there, the caller's to manage and not locked.
    async fn in_place_target(&self, caller: &Principal, backup: &Backup) -> DomainResult<Guest> {
        let gone = || {
            DomainError::conflict(
                "instance_gone",
                "the backed-up instance no longer exists; restore the backup as a new instance",
            )
        };
        let guest_id = backup.guest_id.ok_or_else(gone)?;
        let guest = match load_live_guest(self.store.as_ref(), guest_id).await {
            Ok(guest) => guest,
            Err(DomainError::NotFound { .. }) => return Err(gone()),
            Err(error) => return Err(error),
        };
        caller.authorize_manage(guest.owner_id, "instance")?;
        let observed = &guest.observed;
        let node = proxicloud_pve::NodeName::new(observed.node.clone())
            .map_err(|e| DomainError::Internal(format!("mirrored node name: {e}")))?;
        let (_, pve) = self.connect(caller, backup).await?;
        let config = pve
            .guest_config(&node, observed.kind, observed.vmid)
            .await
            .map_err(|e| DomainError::from_pve("read the configuration", e).for_caller(caller))?;
        if let Some(lock) = config.lock {
            return Err(DomainError::conflict(
                "instance_locked",
                format!(
                    "the instance is locked ({lock}) by another operation; try again when it ends"
                ),
            ));
        }
        Ok(guest)
    }

    /// A new instance's name, node and storage, as the mirror sees the cluster.
    async fn check_new_target(
        &self,
        backup: &Backup,
        name: &str,
        node: &str,
        storage: Option<&str>,
    ) -> DomainResult<()> {
        if let Some(problem) = crate::instances::names::dns_label_problem(name) {
            return Err(DomainError::invalid("name", problem));
        }
        let cluster = self.store.clusters().get(backup.cluster_id).await?;
        require_unique_name(
            self.store.as_ref(),
            backup.cluster_id,
            &cluster.config.name,
            name,
            None,
        )
        .await?;
        let nodes = self
            .store
            .inventory()
            .list_nodes(Some(backup.cluster_id))
            .await?;
        if !nodes.iter().any(|n| n.observed.name == node) {
            return Err(DomainError::invalid(
                "node",
                format!("the cluster has no node '{node}'"),
            ));
        }
        let storages = self
            .store
            .inventory()
            .list_storages(Some(backup.cluster_id))
            .await?;
        if node != backup.node {
            let shared = storages.iter().any(|s| {
                s.observed.node == backup.node
                    && s.observed.storage == backup.storage
                    && s.observed.shared
            });
            if !shared {
                return Err(DomainError::conflict(
                    "backup_not_reachable",
                    format!(
                        "the archive is on storage '{}', local to node '{}': restore it there, or keep backups on a shared storage",
                        backup.storage, backup.node
                    ),
                ));
            }
        }
        let Some(storage) = storage else {
            return Ok(());
        };
        let content = match backup.guest_kind {
            GuestType::Lxc => "rootdir",
            GuestType::Qemu => "images",
        };
        let Some(found) = storages
            .iter()
            .find(|s| s.observed.node == node && s.observed.storage == storage)
        else {
            return Err(DomainError::invalid(
                "storage",
                format!("node '{node}' has no storage '{storage}'"),
            ));
        };
        if !found
            .observed
            .content
            .split(',')
            .any(|c| c.trim() == content)
        {
            return Err(DomainError::invalid(
                "storage",
                format!(
                    "storage '{storage}' cannot hold {content} (its content types are '{}')",
                    found.observed.content
                ),
            ));
        }
        let needed = backup
            .config
            .as_ref()
            .map(|c| disk_bytes(backup.guest_kind, c))
            .unwrap_or(0);
        if found.observed.total > 0 && found.observed.avail < needed {
            return Err(DomainError::conflict(
                "storage_full",
                format!(
                    "storage '{storage}' on node '{node}' has {} bytes free; the restored disks need {needed}",
                    found.observed.avail
                ),
            ));
        }
        Ok(())
    }
}

/// The storage of the backed-up root disk (a container's `rootfs`, a VM's first disk).
fn default_storage(backup: &Backup) -> Option<String> {
    let config = backup.config.as_ref()?.as_object()?;
    let disk = match backup.guest_kind {
        GuestType::Lxc => config.get("rootfs"),
        GuestType::Qemu => ["scsi0", "virtio0", "sata0", "ide0"]
            .iter()
            .find_map(|k| config.get(*k).filter(|v| !is_cdrom(v))),
    }?;
    let head = disk.as_str()?.split(',').next()?;
    head.split_once(':').map(|(storage, _)| storage.to_owned())
}

fn is_cdrom(value: &serde_json::Value) -> bool {
    value.as_str().is_some_and(|v| v.contains("media=cdrom"))
}

/// The disks' total size in a backed-up config (`size=8G` of each disk entry).
pub(super) fn disk_bytes(kind: GuestType, config: &serde_json::Value) -> u64 {
    let Some(config) = config.as_object() else {
        return 0;
    };
    config
        .iter()
        .filter(|(key, value)| is_disk_key(kind, key) && !is_cdrom(value))
        .filter_map(|(_, value)| value.as_str())
        .filter_map(|value| value.split(',').find_map(|p| p.strip_prefix("size=")))
        .filter_map(parse_size)
        .sum()
}

fn is_disk_key(kind: GuestType, key: &str) -> bool {
    let numbered = |prefix: &str| {
        key.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match kind {
        GuestType::Lxc => key == "rootfs" || numbered("mp"),
        GuestType::Qemu => ["scsi", "virtio", "sata", "ide"].into_iter().any(numbered),
    }
}

/// PVE's disk sizes: a number with an optional `K`, `M`, `G` or `T` (bytes without).
fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let number: f64 = digits.parse().ok()?;
    let factor: u64 = match unit {
        'B' => 1,
        'K' => 1 << 10,
        'M' => 1 << 20,
        'G' => 1 << 30,
        'T' => 1 << 40,
        _ => return None,
    };
    Some((number * factor as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn disk_sizes_add_up_per_guest_type_and_skip_cdroms() {
        let ct = json!({"rootfs": "local-lvm:vm-101-disk-0,size=8G", "mp0": "local-lvm:vm-101-disk-1,mp=/data,size=512M", "memory": "512"});
        assert_eq!(disk_bytes(GuestType::Lxc, &ct), (8 << 30) + (512 << 20));
        let vm = json!({"scsi0": "local-lvm:vm-100-disk-0,size=32G", "ide2": "local:iso/x.iso,media=cdrom,size=630M", "net0": "virtio=AA"});
        assert_eq!(disk_bytes(GuestType::Qemu, &vm), 32 << 30);
        assert_eq!(parse_size("1.5T"), Some((1.5 * (1u64 << 40) as f64) as u64));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("8X"), None);
    }
}
