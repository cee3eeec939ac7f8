//! Resizing an instance (`POST /api/v1/instances/{id}/resize`): cores, memory and
//! growing the root disk, checked up front and carried out as the durable job
//! `instance.resize` (`resize_job.rs`).
//!
//! Proxmox decides what a running guest takes at once: a container takes cores and
//! memory live (pve-container's fast-plug options and cgroup hot-plug); a VM takes
//! memory only with memory hot-plug, and never `cores` — those wait in the config's
//! `[PENDING]` section until the next start, and the instance's configuration read
//! shows them as pending. Disks only grow (`PUT …/resize`); a smaller size is refused
//! here, before anything is queued.

use std::sync::Arc;

use proxicloud_pve::GuestType;
use proxicloud_store::{Guest, JobActor, JobStep, NewJob, STATUS_CREATING, Store, Uuid};
use serde::{Deserialize, Serialize};

use super::pve_steps::Target;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::iam::Principal;
use crate::inventory::load_live_guest;
use crate::jobs::{JobQueue, Submitted};

const RESOURCE: &str = "instance";
pub const RESIZE_KIND: &str = "instance.resize";
/// pve-container's `memory` minimum; the bar set for VMs is 64 MiB.
pub const MIN_MEMORY_MIB_LXC: u64 = 16;
pub const MIN_MEMORY_MIB_VM: u64 = 64;
/// The largest root disk we ask Proxmox for (64 TiB).
pub const MAX_DISK_GIB: u64 = 64 * 1024;

pub mod steps {
    pub const CONFIGURE: &str = "configure";
    pub const GROW_DISK: &str = "grow_disk";
}

/// The new sizes; `None` keeps one as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resize {
    pub cores: Option<u32>,
    pub memory_mib: Option<u64>,
    /// The root disk's new size: larger than now.
    pub disk_gib: Option<u64>,
}

/// What the job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResizeJob {
    pub target: Target,
    pub resize: Resize,
}

/// The node's capacity, as the mirror last saw it (`None`: not known).
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeCapacity {
    pub cores: Option<u32>,
    pub memory_bytes: Option<u64>,
}

impl Resize {
    /// Every field problem at once, for a guest of `kind` whose root disk has
    /// `disk_bytes` now, on a node with `node`'s capacity.
    pub fn check(&self, kind: GuestType, disk_bytes: u64, node: NodeCapacity) -> FieldErrors {
        let mut fields = FieldErrors::new();
        if self.cores.is_none() && self.memory_mib.is_none() && self.disk_gib.is_none() {
            fields.insert("cores".into(), "give new cores, memory or disk size".into());
        }
        if let Some(cores) = self.cores {
            let max = node.cores.unwrap_or(u32::MAX).max(1);
            if cores == 0 || cores > max {
                fields.insert(
                    "cores".into(),
                    format!("must be 1 to {max} (the cores of its node)"),
                );
            }
        }
        if let Some(memory) = self.memory_mib {
            let min = match kind {
                GuestType::Lxc => MIN_MEMORY_MIB_LXC,
                GuestType::Qemu => MIN_MEMORY_MIB_VM,
            };
            let max = node.memory_bytes.map(|b| b >> 20);
            if memory < min || max.is_some_and(|max| memory > max) {
                let upper = max.map_or_else(String::new, |max| {
                    format!(" and at most {max} MiB (the memory of its node)")
                });
                fields.insert(
                    "memory".into(),
                    format!("must be at least {min} MiB{upper}"),
                );
            }
        }
        if let Some(disk) = self.disk_gib {
            let now_gib = disk_bytes.div_ceil(1 << 30);
            if disk << 30 <= disk_bytes {
                fields.insert(
                    "disk".into(),
                    format!(
                        "disks only grow: the root disk has {now_gib} GiB, so give more than that (shrinking is not possible)"
                    ),
                );
            } else if disk > MAX_DISK_GIB {
                fields.insert("disk".into(), format!("at most {MAX_DISK_GIB} GiB"));
            }
        }
        fields
    }

    fn step_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.cores.is_some() || self.memory_mib.is_some() {
            names.push(steps::CONFIGURE);
        }
        if self.disk_gib.is_some() {
            names.push(steps::GROW_DISK);
        }
        names
    }
}

pub struct InstanceResizes {
    store: Arc<dyn Store>,
    queue: JobQueue,
}

impl InstanceResizes {
    pub fn new(store: Arc<dyn Store>, queue: JobQueue) -> Self {
        Self { store, queue }
    }

    /// Queues `instance.resize` for whoever may manage the instance: `422` with every
    /// field problem (bounds, a disk that would shrink), `409` for a template, an
    /// instance still being created or locked by Proxmox — nothing queued.
    pub async fn resize(
        &self,
        caller: &Principal,
        id: Uuid,
        resize: Resize,
    ) -> DomainResult<(Submitted, Guest)> {
        let guest = load_live_guest(self.store.as_ref(), id).await?;
        caller.authorize_manage(guest.owner_id, RESOURCE)?;
        let observed = &guest.observed;
        if observed.status == STATUS_CREATING {
            return Err(DomainError::conflict(
                "instance_not_ready",
                "the instance is still being created",
            ));
        }
        if observed.template {
            return Err(DomainError::conflict(
                "instance_is_template",
                "a template is not resized; launch an instance from it with the size you want",
            ));
        }
        if let Some(lock) = &observed.lock {
            return Err(DomainError::conflict(
                "instance_locked",
                format!("Proxmox VE has the instance locked ({lock}); try again when it is done"),
            ));
        }
        let node = self
            .store
            .inventory()
            .list_nodes(Some(guest.cluster_id))
            .await?
            .into_iter()
            .find(|n| n.observed.name == observed.node)
            .map(|n| NodeCapacity {
                cores: (n.observed.maxcpu > 0).then_some(n.observed.maxcpu),
                memory_bytes: (n.observed.maxmem > 0).then_some(n.observed.maxmem),
            })
            .unwrap_or_default();
        let fields = resize.check(observed.kind, observed.maxdisk, node);
        if !fields.is_empty() {
            return Err(DomainError::Validation(fields));
        }
        let job = ResizeJob {
            target: Target::of(&guest),
            resize,
        };
        let job = NewJob {
            resource_kind: Some(RESOURCE.to_owned()),
            resource_id: Some(guest.id.to_string()),
            params: serde_json::to_value(&job).expect("resize jobs serialise"),
            ..NewJob::new(
                RESIZE_KIND,
                JobActor::User(caller.user_id),
                resize
                    .step_names()
                    .into_iter()
                    .map(JobStep::pending)
                    .collect(),
            )
        };
        Ok((self.queue.submit(job).await?, guest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: NodeCapacity = NodeCapacity {
        cores: Some(8),
        memory_bytes: Some(16 << 30),
    };

    fn resize(cores: Option<u32>, memory_mib: Option<u64>, disk_gib: Option<u64>) -> Resize {
        Resize {
            cores,
            memory_mib,
            disk_gib,
        }
    }

    #[test]
    fn bounds_come_from_the_node_and_the_guest_kind() {
        let ok = resize(Some(8), Some(16 * 1024), Some(9));
        assert!(ok.check(GuestType::Qemu, 8 << 30, NODE).is_empty());
        assert!(
            resize(Some(1), Some(16), None)
                .check(GuestType::Lxc, 0, NODE)
                .is_empty()
        );
        let errors = resize(Some(9), Some(16 * 1024 + 1), None).check(GuestType::Lxc, 0, NODE);
        assert!(errors["cores"].contains("1 to 8"), "{errors:?}");
        assert!(errors["memory"].contains("16384 MiB"), "{errors:?}");
        assert!(
            resize(Some(0), None, None)
                .check(GuestType::Lxc, 0, NODE)
                .contains_key("cores")
        );
        let vm = resize(None, Some(32), None).check(GuestType::Qemu, 0, NODE);
        assert!(vm["memory"].contains("64 MiB"), "{vm:?}");
        assert!(
            resize(None, None, None)
                .check(GuestType::Lxc, 0, NODE)
                .contains_key("cores")
        );
        // An unknown node sets no upper bound (Proxmox decides).
        let unknown = NodeCapacity::default();
        assert!(
            resize(Some(64), Some(1 << 20), None)
                .check(GuestType::Lxc, 0, unknown)
                .is_empty()
        );
    }

    #[test]
    fn disks_only_grow() {
        let eight = 8 << 30;
        for (gib, allowed) in [(7, false), (8, false), (9, true), (MAX_DISK_GIB + 1, false)] {
            let errors = resize(None, None, Some(gib)).check(GuestType::Lxc, eight, NODE);
            assert_eq!(errors.is_empty(), allowed, "{gib} GiB: {errors:?}");
        }
        let shrink = resize(None, None, Some(4)).check(GuestType::Qemu, eight, NODE);
        assert!(shrink["disk"].contains("only grow") && shrink["disk"].contains("8 GiB"));
    }

    #[test]
    fn only_the_requested_steps_run() {
        assert_eq!(resize(Some(2), None, None).step_names(), [steps::CONFIGURE]);
        assert_eq!(resize(None, None, Some(9)).step_names(), [steps::GROW_DISK]);
        assert_eq!(
            resize(None, Some(512), Some(9)).step_names(),
            [steps::CONFIGURE, steps::GROW_DISK]
        );
    }
}
