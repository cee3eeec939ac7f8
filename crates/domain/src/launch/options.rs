//! The launch options as the domain hands them to the API.

use proxicloud_store::{Timestamp, Uuid};

/// Everything the wizard needs to offer for one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchOptions {
    /// Every registered cluster, by name, for the wizard to switch to.
    pub clusters: Vec<ClusterChoice>,
    pub cluster: ClusterOptions,
    pub presets: Vec<SizePreset>,
    pub defaults: LaunchDefaults,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterChoice {
    pub id: Uuid,
    pub name: String,
}

/// The part read from Proxmox VE and the mirror, cached per cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    pub cluster_id: Uuid,
    pub cluster_name: String,
    /// Sorted by name.
    pub nodes: Vec<NodeOption>,
    /// Container templates (`vztmpl` volumes), one entry per volume id.
    pub lxc_templates: Vec<VolumeOption>,
    /// Installer ISOs (`iso` volumes), one entry per volume id.
    pub isos: Vec<VolumeOption>,
    /// QEMU guests marked as templates, from the inventory mirror.
    pub vm_templates: Vec<VmTemplateOption>,
    /// When Proxmox VE was asked (the answer may be up to the cache's age old).
    pub fetched_at: Timestamp,
}

impl ClusterOptions {
    /// What `caller` may see of the cached options: every VM template but those other
    /// users made (admins see all).
    pub fn for_caller(&self, caller: &crate::iam::Principal) -> ClusterOptions {
        ClusterOptions {
            vm_templates: self
                .vm_templates
                .iter()
                .filter(|t| t.visible_to(caller))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeOption {
    pub name: String,
    pub online: bool,
    pub cores: u32,
    pub memory_total: u64,
    pub memory_free: u64,
    /// Linux and OVS bridges, sorted.
    pub bridges: Vec<String>,
    /// Enabled, active storages that can hold a container's or a VM's disk.
    pub storages: Vec<StorageOption>,
    /// Enabled, active storages that hold container templates or ISOs (where images
    /// are downloaded and uploaded to), sorted.
    pub image_storages: Vec<ImageStorageOption>,
    /// Why the node's storages or bridges could not be listed (it is then not offered).
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStorageOption {
    pub storage: String,
    /// Offers `vztmpl`.
    pub templates: bool,
    /// Offers `iso`.
    pub isos: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageOption {
    pub storage: String,
    /// Proxmox's plugin type: `dir`, `lvmthin`, `zfspool`, `nfs`, …
    pub kind: String,
    pub shared: bool,
    /// Offers `rootdir`: container root disks.
    pub containers: bool,
    /// Offers `images`: VM disks.
    pub vms: bool,
    /// Bytes.
    pub avail: u64,
    pub total: u64,
}

/// A template or ISO volume; on a shared storage it is seen by several nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeOption {
    /// e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    pub volid: String,
    /// The file name: `debian-12-standard_12.7-1_amd64.tar.zst`.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// The nodes that have it, sorted.
    pub nodes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmTemplateOption {
    pub vmid: u32,
    pub name: String,
    pub node: String,
    /// Bytes.
    pub memory: u64,
    pub disk: u64,
    /// Who made it ("create image from instance"); `None`: found on Proxmox, shared.
    pub owner_id: Option<Uuid>,
}

impl VmTemplateOption {
    /// A template someone made is theirs (and admins'); one found on Proxmox is everyone's.
    pub fn visible_to(&self, caller: &crate::iam::Principal) -> bool {
        self.owner_id.is_none() || caller.can_view(self.owner_id)
    }
}

/// An instance size, like a cloud's instance type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizePreset {
    pub name: String,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

/// What a request that leaves a value out gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchDefaults {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub bridge: String,
}
