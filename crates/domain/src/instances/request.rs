//! `POST /api/v1/instances` as the domain receives it, and the checks that need
//! nothing but the request itself (formats and ranges). Checks against the cluster
//! (does the node, storage, template, bridge exist) are in `resolve.rs`.

use proxicloud_pve::VmId;
use proxicloud_store::Uuid;

use super::names::dns_label_problem;
use super::ssh_keys::ssh_key_problem;
use crate::FieldErrors;
use crate::settings::ResourceDefaults;

/// Every field is optional here so a missing one becomes a field error, not a
/// parse failure of the whole body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateInstance {
    /// `lxc` or `vm`.
    pub kind: Option<String>,
    /// A DNS label; generated (`adjective-animal-NN`) when absent.
    pub name: Option<String>,
    /// Cluster id or name; the first cluster (by name) when absent.
    pub cluster: Option<String>,
    /// The node with the most free memory (among those that fit) when absent.
    pub node: Option<String>,
    /// Containers: OS template volume, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    pub template: Option<String>,
    /// VMs from an installer: ISO volume, e.g. `local:iso/debian-12.iso`.
    pub iso: Option<String>,
    /// VMs from a template: the vmid of a VM template in the cluster.
    pub clone_from: Option<u32>,
    pub cores: Option<u32>,
    /// MiB.
    pub memory: Option<u64>,
    /// GiB.
    pub disk: Option<u64>,
    /// Storage for the root disk; the fitting storage with most free space when absent.
    pub storage: Option<String>,
    pub network: NetworkRequest,
    pub ssh_public_keys: Vec<String>,
    /// Key pairs whose public keys are installed too (checked against the caller in
    /// `InstanceService::plan`, since that needs the store).
    pub key_pair_ids: Vec<Uuid>,
    /// Containers: set a generated root password, returned once by the launch.
    pub generate_root_password: bool,
    /// Start once created (default: yes).
    pub start: Option<bool>,
    /// Volumes to create or attach before the first start (checked in
    /// `InstanceService::plan`, against the chosen node).
    pub volumes: Vec<crate::volumes::launch::LaunchVolume>,
    /// Containers: secrets (ids the caller may read, resolved by
    /// `vault::SecretInjection::resolve`) set as environment variables before the
    /// first start.
    pub secret_ids: Vec<Uuid>,
}

/// Why a container without any key and without a generated password is refused
/// (the field is `ssh_public_keys`): nobody could log in to it.
pub const NO_WAY_IN: &str = "a container needs a way in: give an SSH public key \
     ('ssh_public_keys' or 'key_pair_ids') or ask for a generated root password \
     ('generate_root_password': true, shown once)";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkRequest {
    /// Linux bridge on the node; `vmbr0` when absent.
    pub bridge: Option<String>,
    /// 802.1Q tag.
    pub vlan: Option<u16>,
}

pub const DEFAULT_BRIDGE: &str = "vmbr0";
const MAX_CORES: u32 = 512;
const MIN_MEMORY_MIB: u64 = 64;
const MAX_MEMORY_MIB: u64 = 4 << 20;
const MAX_DISK_GIB: u64 = 64 << 10;

/// Where a request says the guest comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DraftSource {
    LxcTemplate(String),
    Iso(String),
    VmTemplate(VmId),
}

/// A request whose fields are each well-formed, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Draft {
    pub source: DraftSource,
    pub name: Option<String>,
    pub cluster: Option<String>,
    pub node: Option<String>,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub storage: Option<String>,
    pub bridge: String,
    pub vlan: Option<u16>,
    pub ssh_public_keys: Vec<String>,
    /// Generate a root password (containers).
    pub root_password: bool,
    pub start: bool,
}

impl CreateInstance {
    pub(super) fn check(&self, defaults: &ResourceDefaults) -> Result<Draft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut fail = |field: &str, message: String| {
            errors.entry(field.to_owned()).or_insert(message);
        };
        let source = self.source(&mut fail);
        if let Some(problem) = self.name.as_deref().and_then(dns_label_problem) {
            fail("name", problem);
        }
        for (field, value) in [
            ("cluster", &self.cluster),
            ("node", &self.node),
            ("storage", &self.storage),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                fail(field, "must not be empty".into());
            }
        }
        let cores = self.cores.unwrap_or(defaults.cores);
        if !(1..=MAX_CORES).contains(&cores) {
            fail("cores", format!("must be 1 to {MAX_CORES}"));
        }
        let memory_mib = self.memory.unwrap_or(defaults.memory_mib);
        if !(MIN_MEMORY_MIB..=MAX_MEMORY_MIB).contains(&memory_mib) {
            fail(
                "memory",
                format!("must be {MIN_MEMORY_MIB} to {MAX_MEMORY_MIB} MiB"),
            );
        }
        let disk_gib = self.disk.unwrap_or(defaults.disk_gib);
        if !(1..=MAX_DISK_GIB).contains(&disk_gib) {
            fail("disk", format!("must be 1 to {MAX_DISK_GIB} GiB"));
        }
        let bridge = self
            .network
            .bridge
            .clone()
            .unwrap_or_else(|| DEFAULT_BRIDGE.to_owned());
        if !is_interface_name(&bridge) {
            fail(
                "network.bridge",
                "must be a network interface name such as 'vmbr0'".into(),
            );
        }
        if self
            .network
            .vlan
            .is_some_and(|tag| !(1..=4094).contains(&tag))
        {
            fail("network.vlan", "must be 1 to 4094".into());
        }
        for (index, key) in self.ssh_public_keys.iter().enumerate() {
            if let Some(problem) = ssh_key_problem(key.trim()) {
                fail(&format!("ssh_public_keys[{index}]"), problem);
            }
        }
        if matches!(source, Some(DraftSource::Iso(_))) {
            for (field, given) in [
                ("ssh_public_keys", !self.ssh_public_keys.is_empty()),
                ("key_pair_ids", !self.key_pair_ids.is_empty()),
            ] {
                if given {
                    fail(
                        field,
                        "cannot be installed into a VM booting an ISO; use a container or a VM template"
                            .into(),
                    );
                }
            }
        }
        if self.generate_root_password && matches!(self.kind.as_deref(), Some("vm")) {
            fail(
                "generate_root_password",
                "only applies to containers (a VM from a template gets SSH keys through cloud-init)"
                    .into(),
            );
        }
        match source {
            Some(source) if errors.is_empty() => Ok(Draft {
                source,
                name: self.name.clone(),
                cluster: self.cluster.clone(),
                node: self.node.clone(),
                cores,
                memory_mib,
                disk_gib,
                storage: self.storage.clone(),
                bridge,
                vlan: self.network.vlan,
                ssh_public_keys: self
                    .ssh_public_keys
                    .iter()
                    .map(|k| k.trim().to_owned())
                    .collect(),
                root_password: self.generate_root_password,
                start: self.start.unwrap_or(true),
            }),
            _ => Err(errors),
        }
    }

    /// A container with no way in ([`NO_WAY_IN`]). Apart from [`CreateInstance::check`]
    /// so that it never hides the cluster's checks: the wizard asks for access last, and
    /// its earlier steps must still hear about a missing bridge or template.
    pub(super) fn access_problems(&self) -> FieldErrors {
        let keyless = self.ssh_public_keys.is_empty() && self.key_pair_ids.is_empty();
        let mut errors = FieldErrors::new();
        if self.kind.as_deref() == Some("lxc") && keyless && !self.generate_root_password {
            errors.insert("ssh_public_keys".to_owned(), NO_WAY_IN.to_owned());
        }
        errors
    }

    fn source(&self, fail: &mut impl FnMut(&str, String)) -> Option<DraftSource> {
        let lxc_only = |fail: &mut dyn FnMut(&str, String), field: &str, given: bool| {
            if given {
                fail(field, "only applies to type 'vm'".into());
            }
        };
        match self.kind.as_deref() {
            None => fail("type", "is required: 'lxc' or 'vm'".into()),
            Some("lxc") => {
                lxc_only(fail, "iso", self.iso.is_some());
                lxc_only(fail, "clone_from", self.clone_from.is_some());
                match self.template.as_deref() {
                    None => fail("template", "is required for containers (e.g. 'local:vztmpl/…')".into()),
                    Some(volid) if !is_volid(volid, "vztmpl") => {
                        fail("template", "must be a container template volume such as 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'".into())
                    }
                    Some(volid) => return Some(DraftSource::LxcTemplate(volid.to_owned())),
                }
            }
            Some("vm") => {
                if self.template.is_some() {
                    fail(
                        "template",
                        "only applies to type 'lxc' (VMs use 'iso' or 'clone_from')".into(),
                    );
                }
                match (self.iso.as_deref(), self.clone_from) {
                    (Some(_), Some(_)) => {
                        fail("iso", "give either 'iso' or 'clone_from', not both".into())
                    }
                    (None, None) => fail(
                        "iso",
                        "a VM needs an installer ISO ('iso') or a template to clone ('clone_from')"
                            .into(),
                    ),
                    (Some(volid), None) if !is_volid(volid, "iso") => fail(
                        "iso",
                        "must be an ISO volume such as 'local:iso/debian-12.iso'".into(),
                    ),
                    (Some(volid), None) => return Some(DraftSource::Iso(volid.to_owned())),
                    (None, Some(vmid)) => match VmId::new(vmid) {
                        Ok(vmid) => return Some(DraftSource::VmTemplate(vmid)),
                        Err(e) => fail("clone_from", e.to_string()),
                    },
                }
            }
            Some(other) => fail("type", format!("must be 'lxc' or 'vm', not '{other}'")),
        }
        None
    }
}

/// `storage:content/file` with a PVE storage id (`[a-z][a-z0-9._-]*`).
fn is_volid(volid: &str, content: &str) -> bool {
    let Some((storage, path)) = volid.split_once(':') else {
        return false;
    };
    let storage_ok = storage.starts_with(|c: char| c.is_ascii_lowercase())
        && storage
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    let file = path
        .strip_prefix(content)
        .and_then(|rest| rest.strip_prefix('/'));
    storage_ok
        && file
            .is_some_and(|f| !f.is_empty() && !f.contains("..") && !f.contains(char::is_whitespace))
}

/// Linux interface names: up to 15 characters, no `/`, whitespace or `:`.
fn is_interface_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// The storage id of a volume id (`local` of `local:vztmpl/x`).
pub(super) fn volid_storage(volid: &str) -> &str {
    volid.split_once(':').map_or(volid, |(storage, _)| storage)
}
