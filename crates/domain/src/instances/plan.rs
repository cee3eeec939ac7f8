//! What a create job builds, fully resolved at submission (stored as the job's
//! parameters), and the Proxmox requests that build it.

use std::collections::BTreeMap;

use proxicloud_pve::{
    CloneRequest, ConfigUpdate, GuestType, LxcCreate, NodeName, QemuCreate, Secret, VmId,
};
use proxicloud_store::{GuestKeyPair, Uuid};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::root_password::SealedSecrets;
use crate::volumes::launch::PlannedVolume;
#[cfg(doc)]
use proxicloud_store::SEALED_PARAMS;

/// Where the new guest comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A container from an OS template volume (`local:vztmpl/…`).
    LxcTemplate { volid: String },
    /// A VM booting an installer ISO (`local:iso/…`).
    Iso { volid: String },
    /// A full clone of a VM template.
    VmTemplate { vmid: VmId, node: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePlan {
    /// The id the new instance will have, chosen at submission so the request's audit
    /// entry can name it. `None` in jobs queued before it existed: their reservation
    /// picks one (a default here would pick a new one each time the plan is read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<Uuid>,
    pub cluster_id: Uuid,
    pub node: String,
    pub name: String,
    pub source: Source,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    /// Where the root disk goes.
    pub storage: String,
    pub bridge: String,
    pub vlan: Option<u16>,
    /// Every public key to install: the request's own lines, then the key pairs'.
    pub ssh_public_keys: Vec<String>,
    /// The key pairs among them, recorded against the instance once it exists.
    /// (Default: plans of jobs queued before key pairs existed.)
    #[serde(default)]
    pub key_pairs: Vec<GuestKeyPair>,
    /// A root password was generated for the container (it is set at creation).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub root_password: bool,
    /// That password, sealed, until the create step has handed it to Proxmox: the
    /// store drops this key ([`SEALED_PARAMS`]) then, or when the job ends.
    #[serde(default, rename = "sealed", skip_serializing_if = "Option::is_none")]
    pub sealed: Option<SealedSecrets>,
    /// Volumes to create or attach before the first start (`volumes` step).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<PlannedVolume>,
    /// Secrets the container receives as environment variables, set before its first
    /// start (`secrets` step); ids only, the values are read when the step runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Uuid>,
    pub start: bool,
}

/// Step names of a create job, in order.
pub mod steps {
    pub const RESERVE: &str = "reserve";
    pub const CREATE: &str = "create";
    pub const AWAIT_CREATE: &str = "await_create";
    /// Clones only: apply cores, memory, network, keys and disk size to the copy.
    pub const CONFIGURE: &str = "configure";
    /// With volumes: one child job per volume (create-and-attach, or attach).
    pub const VOLUMES: &str = "volumes";
    /// With secrets: set them in the container's environment before it starts.
    pub const SECRETS: &str = "secrets";
    pub const START: &str = "start";
    pub const FINALIZE: &str = "finalize";
}

impl CreatePlan {
    pub fn guest_type(&self) -> GuestType {
        match self.source {
            Source::LxcTemplate { .. } => GuestType::Lxc,
            Source::Iso { .. } | Source::VmTemplate { .. } => GuestType::Qemu,
        }
    }

    pub fn step_names(&self) -> Vec<&'static str> {
        let mut names = vec![steps::RESERVE, steps::CREATE, steps::AWAIT_CREATE];
        if matches!(self.source, Source::VmTemplate { .. }) {
            names.push(steps::CONFIGURE);
        }
        if !self.volumes.is_empty() {
            names.push(steps::VOLUMES);
        }
        if !self.secrets.is_empty() {
            names.push(steps::SECRETS);
        }
        if self.start {
            names.push(steps::START);
        }
        names.push(steps::FINALIZE);
        names
    }

    pub fn node_name(&self) -> Result<NodeName, String> {
        NodeName::new(self.node.clone()).map_err(|e| e.to_string())
    }

    fn net0(&self) -> String {
        let tag = self
            .vlan
            .map(|tag| format!(",tag={tag}"))
            .unwrap_or_default();
        match self.guest_type() {
            GuestType::Lxc => format!("name=eth0,bridge={}{tag},ip=dhcp,ip6=auto", self.bridge),
            GuestType::Qemu => format!("virtio,bridge={}{tag}", self.bridge),
        }
    }

    fn keys(&self) -> Option<String> {
        (!self.ssh_public_keys.is_empty()).then(|| self.ssh_public_keys.join("\n"))
    }

    /// `root_password`: the generated one, opened for this request only.
    pub fn lxc_request(
        &self,
        vmid: VmId,
        description: &str,
        root_password: Option<&SecretString>,
    ) -> Option<LxcCreate> {
        let Source::LxcTemplate { volid } = &self.source else {
            return None;
        };
        Some(LxcCreate {
            vmid: Some(vmid),
            ostemplate: volid.clone(),
            hostname: Some(self.name.clone()),
            description: Some(description.to_owned()),
            memory_mib: Some(self.memory_mib),
            swap_mib: Some(512.min(self.memory_mib)),
            cores: Some(self.cores),
            rootfs: Some(format!("{}:{}", self.storage, self.disk_gib)),
            nets: BTreeMap::from([(0, self.net0())]),
            ssh_public_keys: self.keys(),
            password: root_password.map(|password| Secret::new(password.expose_secret())),
            unprivileged: Some(true),
            ..LxcCreate::default()
        })
    }

    pub fn qemu_request(&self, vmid: VmId, description: &str) -> Option<QemuCreate> {
        let Source::Iso { volid } = &self.source else {
            return None;
        };
        Some(QemuCreate {
            vmid: Some(vmid),
            name: Some(self.name.clone()),
            description: Some(description.to_owned()),
            memory_mib: Some(self.memory_mib),
            cores: Some(self.cores),
            sockets: Some(1),
            cpu: Some("x86-64-v2-AES".into()),
            ostype: Some("l26".into()),
            scsihw: Some("virtio-scsi-single".into()),
            boot: Some("order=scsi0;ide2;net0".into()),
            disks: BTreeMap::from([
                (
                    "scsi0".to_owned(),
                    format!("{}:{},iothread=1", self.storage, self.disk_gib),
                ),
                ("ide2".to_owned(), format!("{volid},media=cdrom")),
            ]),
            nets: BTreeMap::from([(0, self.net0())]),
            ..QemuCreate::default()
        })
    }

    pub fn clone_request(&self, vmid: VmId, description: &str) -> Option<CloneRequest> {
        let Source::VmTemplate { node, .. } = &self.source else {
            return None;
        };
        Some(CloneRequest {
            newid: Some(vmid),
            name: Some(self.name.clone()),
            description: Some(description.to_owned()),
            target: (node != &self.node)
                .then(|| NodeName::new(self.node.clone()).ok())
                .flatten(),
            full: Some(true),
            storage: Some(self.storage.clone()),
            ..CloneRequest::default()
        })
    }

    /// What the copy of a VM template gets after cloning (its disk is resized apart).
    pub fn clone_config(&self) -> ConfigUpdate {
        let mut set = BTreeMap::from([("net0".to_owned(), self.net0())]);
        if let Some(keys) = self.keys() {
            set.insert("sshkeys".to_owned(), pve_urlencode(&keys));
        }
        ConfigUpdate {
            memory_mib: Some(self.memory_mib),
            cores: Some(self.cores),
            set,
            ..ConfigUpdate::default()
        }
    }
}

/// PVE's `sshkeys` is URL-encoded with only `[-_.!~*'()a-zA-Z0-9]` left as is
/// (qemu-server's check); `ConfigUpdate::set` sends values verbatim.
fn pve_urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The mark a create job leaves in the guest's description, so that a resumed job
/// recognises a guest it created even if it died before recording the task.
pub fn job_marker(job_id: Uuid) -> String {
    format!("proxicloud-job={job_id}")
}

/// The description a new guest gets.
pub fn description(job_id: Uuid) -> String {
    format!("Managed by ProxiCloud.\n{}", job_marker(job_id))
}

/// Whether a guest description carries this job's marker.
pub fn has_job_marker(description: Option<&str>, job_id: Uuid) -> bool {
    let marker = job_marker(job_id);
    description.is_some_and(|text| text.lines().any(|line| line.trim() == marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_recognised_only_for_its_own_job() {
        let job = Uuid::now_v7();
        let text = description(job);
        assert!(has_job_marker(Some(&text), job));
        assert!(!has_job_marker(Some(&text), Uuid::now_v7()));
        assert!(!has_job_marker(Some("hand made"), job));
        assert!(!has_job_marker(None, job));
    }

    #[test]
    fn a_plan_queued_before_instance_ids_reads_without_one_every_time() {
        let old = serde_json::json!({
            "cluster_id": Uuid::now_v7(), "node": "pve1", "name": "web",
            "source": {"kind": "lxc_template", "volid": "local:vztmpl/debian.tar.zst"},
            "cores": 1, "memory_mib": 512, "disk_gib": 8, "storage": "local-lvm",
            "bridge": "vmbr0", "vlan": null, "ssh_public_keys": [], "start": true
        });
        let read = |value: &serde_json::Value| -> CreatePlan {
            serde_json::from_value(value.clone()).expect("an old plan reads")
        };
        // None, not an id invented on each read.
        assert_eq!(read(&old).instance_id, None);
        let plan = CreatePlan {
            instance_id: Some(Uuid::now_v7()),
            ..read(&old)
        };
        let value = serde_json::to_value(&plan).unwrap();
        assert_eq!(read(&value), plan);
        let without = serde_json::to_value(read(&old)).unwrap();
        assert!(without.get("instance_id").is_none(), "{without}");
    }

    #[test]
    fn a_plan_queued_before_key_pairs_were_shared_reads_their_ids() {
        let id = Uuid::now_v7();
        let old = serde_json::json!({
            "cluster_id": Uuid::now_v7(), "node": "pve1", "name": "web",
            "source": {"kind": "lxc_template", "volid": "local:vztmpl/debian.tar.zst"},
            "cores": 1, "memory_mib": 512, "disk_gib": 8, "storage": "local-lvm",
            "bridge": "vmbr0", "vlan": null, "ssh_public_keys": [], "start": true,
            "key_pairs": [{"id": id, "name": "laptop", "fingerprint": "SHA256:x"}]
        });
        let plan: CreatePlan = serde_json::from_value(old).expect("an old plan reads");
        assert_eq!(plan.key_pairs[0].key_pair_id, id);
        assert_eq!(plan.key_pairs[0].name, "laptop");
    }

    #[test]
    fn ssh_keys_are_encoded_the_way_qemu_server_decodes_them() {
        assert_eq!(
            pve_urlencode("ssh-ed25519 AAAA+/= me@host\nx"),
            "ssh-ed25519%20AAAA%2B%2F%3D%20me%40host%0Ax"
        );
    }
}
