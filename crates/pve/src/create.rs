//! Creating containers and VMs. `/cluster/nextid` only suggests an id, it does not
//! reserve it, so creation with an automatically chosen id retries when another
//! client took the same id first.

use std::collections::BTreeMap;
use std::future::Future;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proxicloud_types::{NodeName, VmId};

use crate::cluster;
use crate::config::Secret;
use crate::error::Result;
use crate::params::{Params, api_path};
use crate::transport::Transport;
use crate::upid::Upid;

/// How many ids are tried before giving up on a busy cluster.
const NEXT_ID_ATTEMPTS: u32 = 5;

/// A guest creation that was accepted: its id and the task creating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub vmid: VmId,
    pub upid: Upid,
}

/// `POST /nodes/{node}/lxc`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LxcCreate {
    /// `None`: take `/cluster/nextid`, retrying if that id gets taken meanwhile.
    pub vmid: Option<VmId>,
    /// Template volume, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    pub ostemplate: String,
    pub hostname: Option<String>,
    pub description: Option<String>,
    pub memory_mib: Option<u64>,
    pub swap_mib: Option<u64>,
    pub cores: Option<u32>,
    /// e.g. `local-lvm:8` (8 GiB on local-lvm).
    pub rootfs: Option<String>,
    /// Mount points `mp0…`, as property strings.
    pub mount_points: BTreeMap<u32, String>,
    /// Interfaces `net0…`, e.g. `name=eth0,bridge=vmbr0,ip=dhcp`.
    pub nets: BTreeMap<u32, String>,
    pub nameserver: Option<String>,
    pub searchdomain: Option<String>,
    pub password: Option<Secret>,
    /// Public keys, one per line.
    pub ssh_public_keys: Option<String>,
    pub unprivileged: Option<bool>,
    /// e.g. `nesting=1`.
    pub features: Option<String>,
    pub onboot: Option<bool>,
    pub start: bool,
    pub pool: Option<String>,
    pub tags: Option<String>,
    /// Default storage for volumes given as size only.
    pub storage: Option<String>,
    /// Any other `POST /nodes/{node}/lxc` parameter.
    pub extra: BTreeMap<String, String>,
}

impl LxcCreate {
    pub(crate) fn params(&self, vmid: VmId) -> Params {
        Params::new()
            .set("vmid", vmid)
            .set("ostemplate", self.ostemplate.as_str())
            .opt("hostname", self.hostname.as_deref())
            .opt("description", self.description.as_deref())
            .opt("memory", self.memory_mib)
            .opt("swap", self.swap_mib)
            .opt("cores", self.cores)
            .opt("rootfs", self.rootfs.as_deref())
            .indexed("mp", &self.mount_points)
            .indexed("net", &self.nets)
            .opt("nameserver", self.nameserver.as_deref())
            .opt("searchdomain", self.searchdomain.as_deref())
            .opt("password", self.password.as_ref().map(Secret::expose))
            .opt("ssh-public-keys", self.ssh_public_keys.as_deref())
            .opt("unprivileged", self.unprivileged)
            .opt("features", self.features.as_deref())
            .opt("onboot", self.onboot)
            .flag("start", self.start)
            .opt("pool", self.pool.as_deref())
            .opt("tags", self.tags.as_deref())
            .opt("storage", self.storage.as_deref())
            .extend(&self.extra)
    }
}

/// `POST /nodes/{node}/qemu`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QemuCreate {
    /// `None`: take `/cluster/nextid`, retrying if that id gets taken meanwhile.
    pub vmid: Option<VmId>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub memory_mib: Option<u64>,
    pub cores: Option<u32>,
    pub sockets: Option<u32>,
    /// e.g. `x86-64-v2-AES` or `host`.
    pub cpu: Option<String>,
    /// e.g. `l26`, `win11`.
    pub ostype: Option<String>,
    /// e.g. `virtio-scsi-single`.
    pub scsihw: Option<String>,
    /// e.g. `order=scsi0;ide2;net0`.
    pub boot: Option<String>,
    /// e.g. `enabled=1`.
    pub agent: Option<String>,
    /// Disks and drives by key: `scsi0` → `local-lvm:32`, `ide2` → `local:iso/x.iso,media=cdrom`,
    /// `efidisk0`, `tpmstate0`, …
    pub disks: BTreeMap<String, String>,
    /// Interfaces `net0…`, e.g. `virtio,bridge=vmbr0`.
    pub nets: BTreeMap<u32, String>,
    /// Cloud-init `ipconfig0…`, e.g. `ip=dhcp`.
    pub ipconfigs: BTreeMap<u32, String>,
    pub ciuser: Option<String>,
    pub cipassword: Option<Secret>,
    /// Cloud-init public keys, one per line (URL-encoded on the wire as PVE requires).
    pub sshkeys: Option<String>,
    pub onboot: Option<bool>,
    pub start: bool,
    pub pool: Option<String>,
    pub tags: Option<String>,
    /// Any other `POST /nodes/{node}/qemu` parameter.
    pub extra: BTreeMap<String, String>,
}

/// PVE's `urlencoded` format accepts only `[-%a-zA-Z0-9_.!~*'()]`.
const PVE_URLENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

impl QemuCreate {
    pub(crate) fn params(&self, vmid: VmId) -> Params {
        let sshkeys = self
            .sshkeys
            .as_deref()
            .map(|keys| utf8_percent_encode(keys, PVE_URLENCODED).to_string());
        Params::new()
            .set("vmid", vmid)
            .opt("name", self.name.as_deref())
            .opt("description", self.description.as_deref())
            .opt("memory", self.memory_mib)
            .opt("cores", self.cores)
            .opt("sockets", self.sockets)
            .opt("cpu", self.cpu.as_deref())
            .opt("ostype", self.ostype.as_deref())
            .opt("scsihw", self.scsihw.as_deref())
            .opt("boot", self.boot.as_deref())
            .opt("agent", self.agent.as_deref())
            .extend(&self.disks)
            .indexed("net", &self.nets)
            .indexed("ipconfig", &self.ipconfigs)
            .opt("ciuser", self.ciuser.as_deref())
            .opt("cipassword", self.cipassword.as_ref().map(Secret::expose))
            .opt("sshkeys", sshkeys)
            .opt("onboot", self.onboot)
            .flag("start", self.start)
            .opt("pool", self.pool.as_deref())
            .opt("tags", self.tags.as_deref())
            .extend(&self.extra)
    }
}

/// Runs `create` with `requested`, or with ids from `next_id` until one is not taken.
pub async fn with_free_vmid<N, NF, C, CF>(
    requested: Option<VmId>,
    mut next_id: N,
    mut create: C,
) -> Result<Created>
where
    N: FnMut() -> NF,
    NF: Future<Output = Result<VmId>>,
    C: FnMut(VmId) -> CF,
    CF: Future<Output = Result<Upid>>,
{
    if let Some(vmid) = requested {
        return create(vmid).await.map(|upid| Created { vmid, upid });
    }
    let mut attempt = 1;
    loop {
        let vmid = next_id().await?;
        match create(vmid).await {
            Ok(upid) => return Ok(Created { vmid, upid }),
            Err(err) if err.is_already_exists() && attempt < NEXT_ID_ATTEMPTS => {
                tracing::debug!(%vmid, attempt, "vmid taken between nextid and create; retrying");
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Posts a creation to `path` with the requested id, or with ids from
/// `/cluster/nextid` until one is free; `params` builds the form for a given id.
pub(crate) async fn post_with_free_vmid(
    t: &Transport,
    path: &str,
    requested: Option<VmId>,
    params: impl Fn(VmId) -> Params,
) -> Result<Created> {
    with_free_vmid(
        requested,
        || cluster::next_id(t, None),
        |vmid| t.post(path, params(vmid)),
    )
    .await
}

pub(crate) async fn create_lxc(
    t: &Transport,
    node: &NodeName,
    request: &LxcCreate,
) -> Result<Created> {
    let path = api_path!("nodes", node, "lxc");
    post_with_free_vmid(t, &path, request.vmid, |vmid| request.params(vmid)).await
}

pub(crate) async fn create_qemu(
    t: &Transport,
    node: &NodeName,
    request: &QemuCreate,
) -> Result<Created> {
    let path = api_path!("nodes", node, "qemu");
    post_with_free_vmid(t, &path, request.vmid, |vmid| request.params(vmid)).await
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::error::PveError;

    fn upid() -> Upid {
        "UPID:pve1:00001234:00005678:65A1B2C3:vzcreate:101:root@pam:"
            .parse()
            .unwrap()
    }

    #[tokio::test]
    async fn taken_ids_are_skipped_until_one_is_free() {
        let offered = Mutex::new(vec![102, 101, 101]);
        let tried = Mutex::new(Vec::new());
        let created = with_free_vmid(
            None,
            || async { Ok(VmId::new(offered.lock().unwrap().pop().unwrap()).unwrap()) },
            |vmid| {
                tried.lock().unwrap().push(vmid.get());
                async move {
                    if vmid.get() == 101 {
                        Err(PveError::Conflict {
                            message: "CT 101 already exists on node 'pve2'".to_string(),
                        })
                    } else {
                        Ok(upid())
                    }
                }
            },
        )
        .await
        .expect("third id is free");
        assert_eq!(created.vmid.get(), 102);
        assert_eq!(*tried.lock().unwrap(), [101, 101, 102]);
    }

    #[tokio::test]
    async fn explicit_ids_and_other_errors_are_not_retried() {
        let calls = Mutex::new(0);
        let result = with_free_vmid(
            Some(VmId::new(150).unwrap()),
            || async { panic!("nextid must not be asked for an explicit id") },
            |_| {
                *calls.lock().unwrap() += 1;
                async {
                    Err(PveError::Conflict {
                        message: "CT 150 already exists".to_string(),
                    })
                }
            },
        )
        .await;
        assert!(result.is_err());
        assert_eq!(*calls.lock().unwrap(), 1);
        let result = with_free_vmid(
            None,
            || async { Ok(VmId::new(200).unwrap()) },
            |_| async {
                Err(PveError::Forbidden {
                    message: "no".to_string(),
                })
            },
        )
        .await;
        assert!(matches!(result, Err(PveError::Forbidden { .. })));
    }

    #[test]
    fn create_params_use_pve_names() {
        let mut nets = BTreeMap::new();
        nets.insert(0, "name=eth0,bridge=vmbr0,ip=dhcp".to_string());
        let lxc = LxcCreate {
            ostemplate: "local:vztmpl/debian.tar.zst".to_string(),
            hostname: Some("ct1".to_string()),
            nets,
            unprivileged: Some(true),
            start: true,
            ssh_public_keys: Some("ssh-ed25519 AAAA me".to_string()),
            ..LxcCreate::default()
        };
        let keys: Vec<String> = lxc
            .params(VmId::new(101).unwrap())
            .pairs()
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(
            keys,
            [
                "vmid",
                "ostemplate",
                "hostname",
                "net0",
                "ssh-public-keys",
                "unprivileged",
                "start"
            ]
        );
        let qemu = QemuCreate {
            sshkeys: Some("ssh-ed25519 AAAA+/= me@host".to_string()),
            ..QemuCreate::default()
        };
        let params = qemu.params(VmId::new(100).unwrap());
        let sshkeys = &params
            .pairs()
            .iter()
            .find(|(k, _)| k == "sshkeys")
            .unwrap()
            .1;
        assert_eq!(sshkeys, "ssh-ed25519%20AAAA%2B%2F%3D%20me%40host");
    }
}
