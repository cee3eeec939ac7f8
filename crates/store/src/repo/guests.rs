//! Guests (LXC containers and QEMU VMs): the mirrored Proxmox state plus our ownership.

use async_trait::async_trait;
use proxicloud_types::{GuestType, VmId};
use uuid::Uuid;

use crate::repo::inventory::GuestObservation;
use crate::{Page, PageRequest, Result, Timestamp};

/// Status of a reservation that Proxmox has not reported yet.
pub const STATUS_CREATING: &str = "creating";

#[derive(Debug, Clone, PartialEq)]
pub struct Guest {
    /// Our stable instance id: assigned when the guest is first seen or reserved, kept
    /// for its whole life (a vmid can be reused by a different guest later).
    pub id: Uuid,
    pub cluster_id: Uuid,
    /// What Proxmox last reported (for a reservation: what the create job asked for).
    pub observed: GuestObservation,
    /// `None`: unowned (visible to admins only).
    pub owner_id: Option<Uuid>,
    /// Created through ProxiCloud (reserved by a job), as opposed to found on Proxmox.
    pub managed: bool,
    pub created_by_job: Option<Uuid>,
    /// When it was reserved or first seen.
    pub created_at: Timestamp,
    /// Snapshot time of the last sync that contained it; `None` for a reservation
    /// Proxmox has not reported yet.
    pub seen_at: Option<Timestamp>,
    /// When a sync found it gone. Removed rows are kept as history.
    pub removed_at: Option<Timestamp>,
    /// The IP addresses the guest last reported (`10.0.0.5`, `2001:db8::5`); `None`
    /// until they were first learned. `/cluster/resources` has no addresses, so these
    /// are learned per guest (after a start, when its config is opened) and the
    /// inventory sync leaves them alone.
    pub addresses: Option<Vec<String>>,
    /// When `addresses` were learned.
    pub addresses_at: Option<Timestamp>,
}

/// The addresses one guest reported, for [`GuestRepo::set_addresses`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestAddresses {
    pub guest_id: Uuid,
    pub addresses: Vec<String>,
}

/// A placeholder row inserted before a create job touches Proxmox, so the vmid is taken
/// and the owner is known from the very first moment.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestReservation {
    /// The instance id (chosen by the caller, so it can be named before the row exists).
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub vmid: VmId,
    pub node: String,
    pub kind: GuestType,
    pub name: String,
    pub owner_id: Uuid,
    pub job_id: Uuid,
    pub cpus: f64,
    pub maxmem: u64,
    pub maxdisk: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnerFilter {
    #[default]
    Any,
    Owner(Uuid),
    Unowned,
}

/// Every `Some` must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestFilter {
    pub status: Option<String>,
    pub kind: Option<GuestType>,
    pub cluster_id: Option<Uuid>,
    pub node: Option<String>,
    pub owner: OwnerFilter,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    /// One of its Proxmox tags, case-insensitive (PVE compares tags so by default).
    pub tag: Option<String>,
    /// Also list rows marked removed.
    pub include_removed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GuestSort {
    #[default]
    Name,
    Created,
    Status,
    Node,
    VmId,
    /// Share of its vCPUs in use at the mirror's last sample: the busiest first with
    /// `descending`.
    Cpu,
}

/// Sorted by the key, ties broken by id, so pages never skip or repeat a row even when
/// rows are inserted between page requests.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuestQuery {
    pub filter: GuestFilter,
    pub sort: GuestSort,
    pub descending: bool,
}

#[async_trait]
pub trait GuestRepo: Send + Sync {
    /// `InvalidCursor` when the cursor came from a different sort.
    async fn list(&self, query: &GuestQuery, page: PageRequest) -> Result<Page<Guest>>;
    async fn get(&self, id: Uuid) -> Result<Guest>;
    /// Every guest not marked removed, in no particular order (for in-memory views).
    async fn list_live(&self) -> Result<Vec<Guest>>;
    /// The live (not removed) guest with this vmid.
    async fn find_by_vmid(&self, cluster_id: Uuid, vmid: VmId) -> Result<Option<Guest>>;
    /// Status [`STATUS_CREATING`], managed, owned. `Conflict { constraint: GUEST_VMID }`
    /// when a live guest already has the vmid.
    async fn reserve(&self, reservation: GuestReservation) -> Result<Guest>;
    async fn set_owner(&self, id: Uuid, owner_id: Option<Uuid>) -> Result<Guest>;
    /// Records the addresses of many guests at once (one transaction), all learned at
    /// `learned_at`. Unknown ids are skipped; returns how many guests were updated.
    async fn set_addresses(&self, learned: &[GuestAddresses], learned_at: Timestamp)
    -> Result<u64>;
    /// Removes the row for good (a failed create job's reservation, a terminated
    /// instance, or history purge); volumes attached to it are detached.
    async fn delete(&self, id: Uuid) -> Result<()>;
}
