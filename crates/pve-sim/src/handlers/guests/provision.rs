//! The part create, restore and clone share: the new guest exists with only
//! `lock: create` while its task runs (as `create_and_lock_config` leaves it), disks
//! are allocated up front so storage usage is right during the task, and the task
//! either writes the final config or — on failure — removes the guest and frees
//! every volume it allocated, so no half-made guest remains.

use std::collections::BTreeMap;
use std::time::Duration;

use proxicloud_types::GuestType;

use super::common::secs;
use super::propstr::PropertyString;
use super::volume_ops;
use super::volumes;
use crate::model::{Guest, GuestStatus};
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// A follow-up applied to the cluster when the provisioning task ends.
pub(crate) type Hook = Box<dyn FnOnce(&mut Cluster) + Send>;

pub(crate) struct Provision {
    pub vmid: u32,
    pub node: String,
    pub kind: GuestType,
    /// The lock the guest carries while the task runs (`create`; `clone` for VM clones).
    pub lock: &'static str,
    /// Where the guest ends up (a clone with `target` moves there when done).
    pub final_node: String,
    /// The config written when the task finishes (without the `create` lock).
    pub config: BTreeMap<String, String>,
    /// Volumes allocated for the new guest; freed again if the task fails.
    pub allocated: Vec<String>,
    /// Start the guest once it is created (`start=1`).
    pub start: bool,
    /// The task type (`vzcreate`, `qmrestore`, …) and the object id in the UPID.
    pub task: &'static str,
    pub task_id: String,
    pub duration: Duration,
    pub log: Vec<String>,
    /// A restore with `force=1` replaces this guest; its volumes are freed on success
    /// and it is put back (unlocked) if the restore fails.
    pub replaces: Option<Guest>,
    /// Extra work on success, e.g. unlocking a clone's source.
    pub on_success: Option<Hook>,
    /// Extra work on failure, e.g. unlocking a clone's source.
    pub on_failure: Option<Hook>,
}

impl Provision {
    pub fn new(kind: GuestType, node: &str, vmid: u32, task: &'static str) -> Self {
        Self {
            vmid,
            node: node.to_string(),
            kind,
            lock: "create",
            final_node: node.to_string(),
            config: BTreeMap::new(),
            allocated: Vec::new(),
            start: false,
            task,
            task_id: vmid.to_string(),
            duration: secs(5.0),
            log: Vec::new(),
            replaces: None,
            on_success: None,
            on_failure: None,
        }
    }
}

/// The guest as it exists while its creation task runs.
fn placeholder(kind: GuestType, node: &str, vmid: u32, lock: &str) -> Guest {
    Guest {
        vmid,
        kind,
        node: node.to_string(),
        status: GuestStatus::Stopped,
        config: BTreeMap::from([("lock".to_string(), lock.to_string())]),
        snapshots: BTreeMap::new(),
        started_at: None,
        pending_delete: Vec::new(),
        pending: Default::default(),
    }
}

/// Insert the locked placeholder and start the task. Returns the UPID.
pub(crate) fn spawn(sim: &Sim, cluster: &mut Cluster, user: &str, p: Provision) -> String {
    let Provision {
        vmid,
        node,
        kind,
        lock,
        final_node,
        config,
        allocated,
        start,
        task,
        task_id,
        duration,
        log,
        replaces,
        on_success,
        on_failure,
    } = p;
    cluster
        .guests
        .insert(vmid, placeholder(kind, &node, vmid, lock));

    let task_node = node.clone();
    let (rollback_node, rollback_volumes) = (node.clone(), allocated.clone());
    let restore_previous = replaces.clone();
    let work = move |c: &mut Cluster| {
        if let Some(old) = &replaces {
            for volid in volumes::guest_volumes(old) {
                if !allocated.contains(&volid) {
                    volumes::free(c, &old.node, &volid);
                }
            }
        }
        // A clone to another node: its volumes (on shared storage) move along.
        if final_node != node {
            for volid in &allocated {
                if let Err(error) = volume_ops::relocate(c, &node, &final_node, volid) {
                    return TaskOutcome::failed(log, error);
                }
            }
        }
        let mut guest = placeholder(kind, &final_node, vmid, lock);
        guest.config = config;
        let mut log = log;
        if start {
            guest.status = GuestStatus::Running;
            guest.started_at = Some(now());
            if kind == GuestType::Qemu {
                log.push("Execute autostart".to_string());
            }
        }
        c.guests.insert(vmid, guest);
        if let Some(hook) = on_success {
            hook(c);
        }
        TaskOutcome::ok(log)
    };
    let rollback = move |c: &mut Cluster| {
        for volid in &rollback_volumes {
            volumes::free(c, &rollback_node, volid);
        }
        match restore_previous {
            Some(mut old) => {
                old.config.remove("lock");
                c.guests.insert(vmid, old);
            }
            None => {
                c.guests.remove(&vmid);
            }
        }
        if let Some(hook) = on_failure {
            hook(c);
        }
        TaskOutcome::ok(Vec::new())
    };
    let spec = TaskSpec::new(&task_node, task, task_id, duration, work).with_rollback(rollback);
    sim.spawn_task(cluster, user, spec)
}

/// A disk the new guest needs allocated: config key, storage, size in bytes, the
/// other options of the config value, and a special name (`cloudinit`) if any.
pub(crate) struct NewDisk {
    pub key: String,
    pub storage: String,
    pub size: u64,
    pub options: PropertyString,
    pub suffix: Option<&'static str>,
}

impl NewDisk {
    pub fn new(key: &str, storage: &str, size: u64, options: PropertyString) -> Self {
        Self {
            key: key.to_string(),
            storage: storage.to_string(),
            size,
            options,
            suffix: None,
        }
    }
}

/// Allocate every requested disk, rewriting the config values to the allocated
/// volumes. On the first failure the volumes allocated so far are freed and the
/// error returned.
pub(crate) fn allocate_disks(
    cluster: &mut Cluster,
    p: &mut Provision,
    disks: Vec<NewDisk>,
    print_first: fn(&str) -> &'static [&'static str],
) -> Result<(), String> {
    for disk in disks {
        let NewDisk {
            key,
            storage,
            size,
            mut options,
            suffix,
        } = disk;
        match volumes::allocate_named(cluster, &p.node, &storage, p.vmid, p.kind, size, suffix) {
            Ok(volid) => {
                options.head = Some(volid.clone());
                // qemu-server records no size for cloud-init drives.
                if suffix.is_none() {
                    options.set("size", crate::model::format_size(size));
                }
                p.config
                    .insert(key.clone(), options.print(print_first(&key)));
                p.allocated.push(volid);
            }
            Err(err) => {
                for volid in p.allocated.drain(..) {
                    volumes::free(cluster, &p.node, &volid);
                }
                return Err(err);
            }
        }
    }
    Ok(())
}
