//! `/api/v1/instances`: LXC containers and VMs — reads from the inventory mirror
//! (the list, the summary), the live configuration, and the create / power /
//! terminate requests (answered with a `JobDto`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::jobs::JobDto;
use crate::{GuestType, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum InstanceType {
    /// An LXC container.
    Lxc,
    /// A QEMU virtual machine.
    Vm,
}

impl InstanceType {
    /// The name on the wire (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lxc => "lxc",
            Self::Vm => "vm",
        }
    }
}

impl From<GuestType> for InstanceType {
    fn from(kind: GuestType) -> Self {
        match kind {
            GuestType::Lxc => InstanceType::Lxc,
            GuestType::Qemu => InstanceType::Vm,
        }
    }
}

impl From<InstanceType> for GuestType {
    fn from(kind: InstanceType) -> Self {
        match kind {
            InstanceType::Lxc => GuestType::Lxc,
            InstanceType::Vm => GuestType::Qemu,
        }
    }
}

/// An LXC container or VM as last mirrored from Proxmox, with its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceDto {
    pub id: Uuid,
    pub cluster_id: Uuid,
    pub vmid: u32,
    pub node: String,
    #[serde(rename = "type")]
    pub kind: InstanceType,
    pub name: String,
    /// As Proxmox says: `running`, `stopped`, `paused`, … (`creating` while a create
    /// job has not seen it on Proxmox yet; `unknown` while its node is unreachable).
    pub status: String,
    pub cpus: f64,
    pub memory_bytes: u64,
    pub memory_used_bytes: u64,
    pub disk_bytes: u64,
    pub disk_used_bytes: u64,
    pub uptime_secs: u64,
    pub template: bool,
    /// Proxmox's lock (`backup`, `migrate`, …), if any.
    pub lock: Option<String>,
    pub tags: Vec<String>,
    /// `null`: unmanaged (found on Proxmox, visible to admins only).
    pub owner_id: Option<Uuid>,
    /// Created through ProxiCloud.
    pub managed: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When Proxmox last reported it.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub seen_at: Option<Timestamp>,
    /// The IP addresses the guest last reported (`10.0.0.5`, `2001:db8::5`), loopback
    /// and link-local ones left out; empty while unknown. Learned in the background for
    /// every running guest (new and restarted ones first), after a job starts or reboots
    /// it, and when its configuration is opened.
    pub addresses: Vec<String>,
    /// Whether the guest has told its addresses: `false` while they are still being
    /// learned; `true` with no `addresses` when it reported none (a VM without the QEMU
    /// guest agent, a container without a lease).
    pub addresses_known: bool,
    /// Share of its vCPUs in use, 0.0 to 1.0, as the mirror last sampled it (`0` while
    /// stopped): `cpu_usage * 100` is the CPU %.
    pub cpu_usage: f64,
    /// Network bytes per second received since the mirror's previous sample; `null`
    /// until there are two samples, or right after the guest restarted.
    pub net_in_bytes_per_sec: Option<f64>,
    /// Network bytes per second sent, like `net_in_bytes_per_sec`.
    pub net_out_bytes_per_sec: Option<f64>,
    /// Disk bytes per second read, like `net_in_bytes_per_sec`.
    pub disk_read_bytes_per_sec: Option<f64>,
    /// Disk bytes per second written, like `net_in_bytes_per_sec`.
    pub disk_write_bytes_per_sec: Option<f64>,
    // Must stay the last field: the list endpoint splices it into pre-rendered rows.
    /// Set while its cluster is unreachable: the data is as of before this time.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub stale_since: Option<Timestamp>,
}

/// A page of instances; pass `next_cursor` back as `cursor` for the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceListDto {
    pub items: Vec<InstanceDto>,
    pub next_cursor: Option<String>,
    /// Set when any listed instance's cluster is unreachable: the earliest outage.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub stale_since: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InstanceSort {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "-created")]
    CreatedDesc,
    #[serde(rename = "status")]
    Status,
    #[serde(rename = "-status")]
    StatusDesc,
    #[serde(rename = "node")]
    Node,
    #[serde(rename = "-node")]
    NodeDesc,
    #[serde(rename = "vmid")]
    VmId,
    #[serde(rename = "-vmid")]
    VmIdDesc,
    /// By CPU usage at the last sample (`-cpu`: the busiest first).
    #[serde(rename = "cpu")]
    Cpu,
    #[serde(rename = "-cpu")]
    CpuDesc,
}

/// `GET /api/v1/instances` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct InstanceListParams {
    /// `running`, `stopped`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<InstanceType>))]
    pub kind: Option<InstanceType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// A user id, or `none` for unmanaged instances (admins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Part of the name, case-insensitive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Only instances with this Proxmox tag (the whole tag, case-insensitive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `name` (default), `created`, `status`, `node` or `vmid`; `-` first for descending.
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<InstanceSort>,
    /// 1 to 1000 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (same filters and sort).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NetworkDto {
    /// Linux bridge on the node (default `vmbr0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bridge: Option<String>,
    /// 802.1Q VLAN tag, 1 to 4094.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
}

/// A new container (`type: lxc`, from an OS template) or VM (`type: vm`, from an
/// installer ISO or a clone of a VM template). Left-out values are filled in:
/// resources from the settings' defaults, a generated `adjective-animal-NN` name, the
/// first cluster, the node with most free memory, the fitting storage with most room.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInstanceRequest {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<InstanceType>,
    /// A DNS label (letters, digits, `-`; at most 63).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cluster id or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Containers: the OS template volume, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// VMs: the installer ISO volume, e.g. `local:iso/debian-12.iso`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iso: Option<String>,
    /// VMs: the vmid of a VM template to clone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clone_from: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    /// MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    /// GiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<u64>,
    /// Storage for the root disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    #[serde(default)]
    pub network: NetworkDto,
    /// OpenSSH public keys (`ssh-ed25519 AAAA… comment`) for root (containers) or the
    /// cloud-init user (VM templates).
    #[serde(default)]
    pub ssh_public_keys: Vec<String>,
    /// Key pairs (`/api/v1/keypairs`) whose public keys are installed like
    /// `ssh_public_keys`; your own (an admin may use anyone's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_pair_ids: Vec<Uuid>,
    /// Containers: generate a random root password (24 characters) and return it
    /// once, in the launch's `202` response (`root_password`); it is kept nowhere.
    /// A container needs a way in: at least one SSH key (`ssh_public_keys` or
    /// `key_pair_ids`) or this; with neither the launch is refused (`422`, field
    /// `ssh_public_keys`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generate_root_password: bool,
    /// Start once created (default `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<bool>,
    /// Volumes made or attached before the first start, each as a child job of the
    /// launch (at most 8): new ones on the instance's node, or your available ones on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<crate::api::volumes::LaunchVolumeRequest>,
    /// Containers: your secrets' names (or ids of secrets granted to you), set as
    /// environment variables before the first start (Proxmox VE 9.1+).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
}

/// `202` of `POST /api/v1/instances`: the create job, plus the generated root
/// password when `generate_root_password` asked for one. The password is in this
/// response only — never stored in clear, never in the job, its events or the audit
/// log; a retry with the same `Idempotency-Key` answers with the job alone.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchedInstanceDto {
    #[serde(flatten)]
    pub job: JobDto,
    /// The container's root password (log in as `root`). Shown this once: save it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_password: Option<String>,
}

/// Never prints the password (it would end up in logs).
impl std::fmt::Debug for LaunchedInstanceDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchedInstanceDto")
            .field("job", &self.job)
            .field(
                "root_password",
                &self.root_password.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The instance's name, repeated to confirm termination (in the body or the query).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConfirmTermination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
}

/// New sizes for an instance; a left-out one stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResizeInstanceRequest {
    /// 1 to the cores of its node. A running VM takes it at its next start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    /// MiB: at least 16 (containers) or 64 (VMs), at most its node's memory. A running
    /// VM takes it at its next start unless it has memory hot-plug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    /// GiB: the root disk's new size, larger than now (disks only grow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<u64>,
}

/// Rename and/or retag an instance; a left-out field stays as it is. Proxmox applies
/// both at once, running or not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateInstanceRequest {
    /// A DNS label (letters, digits, `-`; at most 63), unique in its cluster: the
    /// container's hostname or the VM's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The whole new tag list (`[]` removes every tag). Each tag as Proxmox allows
    /// it: letters, digits, `_`, `-`, `+`, `.`, not starting with `-`, `+` or `.`;
    /// at most 64 characters, 32 tags; duplicates (ignoring case) are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssignOwnerRequest {
    /// The new owner, or `null` to make the instance unmanaged again.
    pub owner_id: Option<Uuid>,
}

/// One key of the guest's Proxmox configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigEntryDto {
    /// e.g. `cores`, `net0`, `rootfs`.
    pub key: String,
    /// As Proxmox returned it (property strings unparsed); `********` when masked.
    pub value: String,
    /// The key may hold a credential (`cipassword`, …): its value is not shown.
    pub masked: bool,
    /// The value it takes at the next start: Proxmox could not change it on the
    /// running instance (a VM's cores, its memory without memory hot-plug, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// Proxmox removes the key at the next start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending_delete: bool,
}

/// The guest's configuration as Proxmox has it now, keys sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceConfigDto {
    pub entries: Vec<ConfigEntryDto>,
    /// The guest's IP addresses, asked for together with the configuration (a running
    /// container, a running VM with a working guest agent); otherwise the last known
    /// ones, empty when never learned. The instance row is updated too
    /// (`instance.changed`).
    pub addresses: Vec<String>,
}

// `GET /api/v1/instances/summary`: counts and per-cluster totals of the instances the
// caller may see (a plain comment: a doc comment would change the served document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceSummaryDto {
    /// Instances, templates not included.
    pub total: u64,
    /// Instances per status (`running`, `stopped`, …); templates are in none.
    pub by_status: BTreeMap<String, u64>,
    /// Templates (images to launch from), counted apart from the instances.
    pub templates: u64,
    /// One entry per cluster with instances you may see.
    pub clusters: Vec<ClusterUsageDto>,
    /// Set while any of those clusters is unreachable: the earliest outage.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub stale_since: Option<Timestamp>,
}

/// What a cluster's instances (those you may see, templates not included) are
/// configured with and use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterUsageDto {
    pub cluster_id: Uuid,
    /// The cluster's name.
    pub cluster_name: String,
    /// Set while this cluster is unreachable: its instances show their last known state.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub stale_since: Option<Timestamp>,
    pub instances: u64,
    pub running: u64,
    /// Configured vCPUs.
    pub cpus: f64,
    /// Configured memory.
    pub memory_bytes: u64,
    /// Memory in use by running instances.
    pub memory_used_bytes: u64,
    /// Configured disk.
    pub disk_bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::InstanceType;

    /// `as_str` is what the CLI prints; it must be the name the API sends.
    #[test]
    fn instance_types_are_named_as_on_the_wire() {
        for kind in [InstanceType::Lxc, InstanceType::Vm] {
            assert_eq!(serde_json::json!(kind), kind.as_str());
        }
    }
}
