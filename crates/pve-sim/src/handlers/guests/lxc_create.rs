//! `POST /nodes/{node}/lxc`: create a container from an OS template (or, with
//! `restore=1`, from a vzdump archive — see `restore.rs`), following
//! pve-container's `create_vm`.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::common::{check_vmid_unused, online_node, secs, spawn_failing, upid_answer};
use super::propstr::{PropertyString, lxc_net_with_mac};
use super::provision::{self, NewDisk, Provision};
use super::volumes::{self, find_volume, split_volid};
use crate::api::{ApiError, ApiResult, Req};
use crate::model::format_size;
use crate::{Cluster, Sim};

/// Parameters of the create call that are not container options.
const NON_CONFIG_PARAMS: &[&str] = &[
    "node",
    "vmid",
    "ostemplate",
    "password",
    "storage",
    "force",
    "restore",
    "unique",
    "pool",
    "ignore-unpack-errors",
    "ssh-public-keys",
    "bwlimit",
    "start",
    "ha-managed",
];

/// Mount points print `mp=` right after the volume (it is the format's required key).
pub(crate) fn mount_point_first_keys(key: &str) -> &'static [&'static str] {
    if key == "rootfs" { &[] } else { &["mp"] }
}

pub(crate) fn create(sim: &Sim, req: &Req) -> ApiResult {
    if req.flag("restore")? {
        return super::restore::restore_lxc(sim, req);
    }
    if req.str("unique").is_some() {
        return Err(ApiError::param(
            "unique",
            "parameter requires option 'restore'",
        ));
    }
    let node = req.node()?.to_string();
    let vmid = required_vmid(req)?;
    let ostemplate = req.required_str("ostemplate")?;
    let storage = req.str("storage").unwrap_or_else(|| "local".to_string());
    let start = req.flag("start")?;

    let mut cluster = sim.cluster.lock();
    online_node(&cluster, &node)?;
    check_vmid_unused(&cluster, vmid).map_err(ApiError::internal)?;
    check_archive_volume(&cluster, &ostemplate, "vztmpl")?;

    let mut p = Provision::new(GuestType::Lxc, &node, vmid, "vzcreate");
    p.start = start;
    p.duration = secs(8.0);
    let (options, disk_params) = split_params(req);
    let disks = plan_disks(&cluster, &node, &storage, disk_params)?;
    p.config = container_config(options, vmid, &ostemplate, req.bool("unprivileged")?);

    let template = find_volume(&cluster, &node, &ostemplate).cloned();
    let failure = match template {
        None => Some(format!(
            "failed to open '{}': No such file or directory",
            archive_path(&ostemplate)
        )),
        Some(_) => {
            provision::allocate_disks(&mut cluster, &mut p, disks, mount_point_first_keys).err()
        }
    };
    if let Some(error) = failure {
        let upid = spawn_failing(
            sim,
            &mut cluster,
            &req.user,
            &node,
            "vzcreate",
            vmid,
            format!("unable to create CT {vmid} - {error}"),
        );
        return upid_answer(upid);
    }
    p.log = create_log(&p, &ostemplate, template.map(|t| t.size).unwrap_or(0));
    let upid = provision::spawn(sim, &mut cluster, &req.user, p);
    upid_answer(upid)
}

pub(crate) fn required_vmid(req: &Req) -> Result<u32, ApiError> {
    req.int("vmid")?
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| ApiError::param("vmid", "property is missing and it is not optional"))
}

/// `check_volume_access` with a content type: the volume's path says what it is
/// (`vztmpl/…`, `backup/…`, `iso/…`), and the storage must exist.
pub(crate) fn check_archive_volume(
    cluster: &Cluster,
    volid: &str,
    content: &str,
) -> Result<(), ApiError> {
    let Some((sid, name)) = split_volid(volid) else {
        return Err(ApiError::internal(
            "Only root can pass arbitrary filesystem paths.",
        ));
    };
    if !cluster.nodes.values().any(|n| n.storages.contains_key(sid)) {
        return Err(ApiError::internal(format!(
            "storage '{sid}' does not exist"
        )));
    }
    let actual = name.split('/').next().unwrap_or_default();
    let actual = if actual == "dump" { "backup" } else { actual };
    if actual != content {
        return Err(ApiError::internal(format!(
            "unable to use volume {volid} - content type needs to be '{content}'"
        )));
    }
    Ok(())
}

/// Where PVE's `path` puts a template or backup of a directory storage.
pub(crate) fn archive_path(volid: &str) -> String {
    let (sid, name) = split_volid(volid).unwrap_or(("local", volid));
    let base = if sid == "local" {
        "/var/lib/vz".to_string()
    } else {
        format!("/mnt/pve/{sid}")
    };
    match name.split_once('/') {
        Some(("vztmpl", file)) => format!("{base}/template/cache/{file}"),
        Some(("iso", file)) => format!("{base}/template/iso/{file}"),
        Some(("backup", file)) => format!("{base}/dump/{file}"),
        _ => format!("{base}/{name}"),
    }
}

/// Split request parameters into container options and mount point requests.
pub(crate) fn split_params(req: &Req) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut options = BTreeMap::new();
    let mut disks = BTreeMap::new();
    for key in req.params.keys() {
        if NON_CONFIG_PARAMS.contains(&key.as_str()) || key.starts_with("unused") {
            continue;
        }
        let Some(value) = req.str(key) else { continue };
        if key == "rootfs" || volumes::is_disk_key(GuestType::Lxc, key) {
            disks.insert(key.clone(), value);
        } else {
            options.insert(key.clone(), value);
        }
    }
    (options, disks)
}

/// Turn `rootfs`/`mp[n]` requests into allocations: a bare number means GiB on the
/// default storage; with no mount points at all PVE gives a 4 GiB rootfs.
pub(crate) fn plan_disks(
    cluster: &Cluster,
    node: &str,
    default_storage: &str,
    mut requested: BTreeMap<String, String>,
) -> Result<Vec<NewDisk>, ApiError> {
    if requested.is_empty() {
        requested.insert("rootfs".into(), format!("{default_storage}:4"));
    } else if !requested.contains_key("rootfs") {
        return Err(ApiError::internal(
            "mount points configured, but 'rootfs' not set - aborting",
        ));
    }
    let mut plan = Vec::new();
    for (key, value) in requested {
        let mut options = PropertyString::parse_disk(&value);
        let head = options.head.take().unwrap_or_default();
        let Some((sid, size)) = volumes::new_disk_request(&head) else {
            return Err(ApiError::param(
                &key,
                format!(
                    "unable to create CT volume '{head}' - only new volumes ('STORAGE:SIZE') are supported by the simulator"
                ),
            ));
        };
        let sid = sid.unwrap_or(default_storage).to_string();
        volumes::check_disk_storage(cluster, node, &sid, GuestType::Lxc)
            .map_err(|e| ApiError::param("storage", e))?;
        plan.push(NewDisk::new(&key, &sid, size, options));
    }
    Ok(plan)
}

/// The config pve-container writes: given options, generated NIC MACs, the detected
/// architecture and OS type, `unprivileged: 1` by default, and its defaults.
fn container_config(
    options: BTreeMap<String, String>,
    vmid: u32,
    ostemplate: &str,
    unprivileged: Option<bool>,
) -> BTreeMap<String, String> {
    let mut config: BTreeMap<String, String> = options
        .into_iter()
        .map(|(k, v)| {
            let v = if k.starts_with("net") {
                lxc_net_with_mac(&v, false)
            } else {
                v
            };
            (k, v)
        })
        .collect();
    config.remove("unprivileged");
    if unprivileged.unwrap_or(true) {
        config.insert("unprivileged".into(), "1".into());
    }
    config
        .entry("arch".into())
        .or_insert_with(|| "amd64".into());
    config
        .entry("ostype".into())
        .or_insert_with(|| detect_ostype(ostemplate).into());
    config
        .entry("hostname".into())
        .or_insert_with(|| format!("CT{vmid}"));
    config
        .entry("memory".into())
        .or_insert_with(|| "512".into());
    config.entry("swap".into()).or_insert_with(|| "512".into());
    config
}

/// pve-container detects the distribution inside the template; its file name says it.
fn detect_ostype(ostemplate: &str) -> &'static str {
    let file = ostemplate.rsplit('/').next().unwrap_or(ostemplate);
    const KNOWN: &[&str] = &[
        "debian",
        "devuan",
        "ubuntu",
        "centos",
        "fedora",
        "opensuse",
        "archlinux",
        "alpine",
        "gentoo",
        "nixos",
    ];
    let lowered = file.to_ascii_lowercase();
    let found = KNOWN.iter().find(|os| lowered.starts_with(*os));
    match found {
        Some(os) => os,
        None if lowered.starts_with("rockylinux") || lowered.starts_with("almalinux") => "centos",
        None => "unmanaged",
    }
}

fn create_log(p: &Provision, ostemplate: &str, template_size: u64) -> Vec<String> {
    let mut log = Vec::new();
    for volid in &p.allocated {
        let name = volid.split_once(':').map(|(_, n)| n).unwrap_or(volid);
        log.push(format!("  Logical volume \"{name}\" created."));
    }
    let unpacked = template_size.saturating_mul(4);
    log.push(format!("extracting archive '{}'", archive_path(ostemplate)));
    log.push(format!(
        "Total bytes read: {unpacked} ({}, 180MiB/s)",
        format_size(unpacked - unpacked % (1 << 20))
    ));
    log.push(format!(
        "Detected container architecture: {}",
        p.config.get("arch").map(String::as_str).unwrap_or("amd64")
    ));
    let hostname = p.config.get("hostname").cloned().unwrap_or_default();
    for key in [
        "ssh_host_rsa_key",
        "ssh_host_ecdsa_key",
        "ssh_host_ed25519_key",
    ] {
        log.push(format!(
            "Creating SSH host key '{key}' - this may take some time ..."
        ));
        log.push(format!(
            "done: SHA256:{} root@{hostname}",
            pseudo_fingerprint(p.vmid, key)
        ));
    }
    log
}

/// Stable stand-in for an SSH host key fingerprint.
fn pseudo_fingerprint(vmid: u32, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(format!("{vmid}:{key}").as_bytes());
    hex::encode(&hash[..16])
}
