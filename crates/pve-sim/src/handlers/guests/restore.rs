//! Restores from vzdump archives: `POST /nodes/{node}/lxc` with `restore=1` and
//! `ostemplate=<backup volid>` (task `vzrestore`), `POST /nodes/{node}/qemu` with
//! `archive=<backup volid>` (task `qmrestore`). The archive's embedded config
//! (`Volume.backup_config`) is recreated with new disks; given options override it.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::common::{
    check_protection, check_vmid_unused, is_running, noun, online_node, secs, spawn_failing,
    upid_answer,
};
use super::lxc_create::{
    archive_path, check_archive_volume, mount_point_first_keys, plan_disks, required_vmid,
    split_params,
};
use super::propstr::{PropertyString, lxc_net_with_mac, qemu_net_with_mac};
use super::provision::{self, NewDisk, Provision};
use super::volume_ops;
use super::volumes::{self, find_volume};
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, disk_size_bytes, format_size};
use crate::{Cluster, Sim};

/// Options never taken over from an archive's config.
const NOT_RESTORED: &[&str] = &["lock", "parent", "snapstate", "vmstate", "digest"];

/// Overwriting an existing guest needs `force`, a stopped guest and no protection.
fn check_target(
    cluster: &Cluster,
    kind: GuestType,
    vmid: u32,
    force: bool,
) -> Result<Option<Guest>, String> {
    let emsg = format!("unable to restore {} {vmid}", noun(kind));
    let Some(existing) = cluster.guests.get(&vmid).filter(|_| force) else {
        return check_vmid_unused(cluster, vmid)
            .map(|()| None)
            .map_err(|e| match kind {
                GuestType::Lxc => e,
                GuestType::Qemu => format!("{emsg} - {e}"),
            });
    };
    if existing.kind != kind {
        return Err(format!(
            "{emsg} - {}",
            check_vmid_unused(cluster, vmid).unwrap_err()
        ));
    }
    if is_running(existing) {
        return Err(match kind {
            GuestType::Lxc => "can't overwrite running container".to_string(),
            GuestType::Qemu => format!("{emsg} - vm is running"),
        });
    }
    check_protection(existing, &emsg)?;
    Ok(Some(existing.clone()))
}

/// The archive's embedded config, or the task error PVE would end with.
fn archive_config(
    cluster: &Cluster,
    node: &str,
    archive: &str,
) -> Result<BTreeMap<String, String>, String> {
    let volume = find_volume(cluster, node, archive)
        .ok_or_else(|| format!("can't find file '{}'", archive_path(archive)))?;
    volume
        .backup_config
        .clone()
        .ok_or_else(|| "backup archive does not contain any configuration".to_string())
}

pub(crate) fn restore_lxc(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?.to_string();
    let vmid = required_vmid(req)?;
    let archive = req.required_str("ostemplate")?;
    let storage = req.str("storage").unwrap_or_else(|| "local".to_string());
    let unique = req.flag("unique")?;

    let mut cluster = sim.cluster.lock();
    online_node(&cluster, &node)?;
    let replaces = check_target(&cluster, GuestType::Lxc, vmid, req.flag("force")?)
        .map_err(ApiError::internal)?;
    check_archive_volume(&cluster, &archive, "backup")?;
    let (options, mut disk_params) = split_params(req);

    let mut p = Provision::new(GuestType::Lxc, &node, vmid, "vzrestore");
    p.start = req.flag("start")?;
    p.duration = secs(20.0);
    p.replaces = replaces;
    let fail = |sim: &Sim, cluster: &mut Cluster, error: String| {
        let error = format!("unable to restore CT {vmid} - {error}");
        upid_answer(spawn_failing(
            sim,
            cluster,
            &req.user,
            &node,
            "vzrestore",
            vmid,
            error,
        ))
    };
    let original = match archive_config(&cluster, &node, &archive) {
        Ok(config) => config,
        Err(error) => return fail(sim, &mut cluster, error),
    };
    // Without explicit mount points the archive's are recreated on `storage`.
    if disk_params.is_empty() {
        for (key, value) in original
            .iter()
            .filter(|(k, _)| volumes::is_disk_key(GuestType::Lxc, k))
        {
            let mut mp = PropertyString::parse_disk(value);
            let Some(size) = disk_size_bytes(value) else {
                return fail(
                    sim,
                    &mut cluster,
                    format!("unable to detect disk size - please specify {key} (size)"),
                );
            };
            mp.take("size");
            mp.head = Some(format!("{storage}:{}", size as f64 / (1u64 << 30) as f64));
            disk_params.insert(key.clone(), mp.print(mount_point_first_keys(key)));
        }
        if !disk_params.contains_key("rootfs") {
            return fail(
                sim,
                &mut cluster,
                "rootfs configuration could not be recovered, please check and specify manually!"
                    .to_string(),
            );
        }
    }
    let disks = plan_disks(&cluster, &node, &storage, disk_params)?;
    p.config = merge(GuestType::Lxc, &original, options, unique);
    if let Err(error) =
        provision::allocate_disks(&mut cluster, &mut p, disks, mount_point_first_keys)
    {
        return fail(sim, &mut cluster, error);
    }
    if original.get("template").is_some_and(|t| t == "1") {
        convert_to_template(&mut cluster, &mut p);
    }
    p.log = vec![
        format!("recovering backed-up configuration from '{archive}'"),
        format!("restoring '{archive}' now.."),
        format!("extracting archive '{}'", archive_path(&archive)),
        format!(
            "Total bytes read: {} ({})",
            p_size(&p, &cluster),
            format_size(p_size(&p, &cluster))
        ),
        "merging backed-up and given configuration..".to_string(),
    ];
    upid_answer(provision::spawn(sim, &mut cluster, &req.user, p))
}

pub(crate) fn restore_qemu(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?.to_string();
    let vmid = required_vmid(req)?;
    let archive = req.required_str("archive")?;
    let storage = req.str("storage");
    let unique = req.flag("unique")?;
    for key in req.params.keys() {
        if volumes::is_disk_key(GuestType::Qemu, key) || key == "cdrom" {
            return Err(ApiError::param(
                key,
                "option conflicts with option 'archive'",
            ));
        }
    }
    if req.flag("live-restore")? {
        return Err(ApiError::internal(
            "live-restore is only compatible with backup images from a Proxmox Backup Server",
        ));
    }

    let mut cluster = sim.cluster.lock();
    online_node(&cluster, &node)?;
    let replaces = check_target(&cluster, GuestType::Qemu, vmid, req.flag("force")?)
        .map_err(ApiError::internal)?;
    check_archive_volume(&cluster, &archive, "backup")?;

    let mut p = Provision::new(GuestType::Qemu, &node, vmid, "qmrestore");
    p.start = req.flag("start")?;
    p.duration = secs(20.0);
    p.replaces = replaces;
    let fail = |sim: &Sim, cluster: &mut Cluster, error: String| {
        upid_answer(spawn_failing(
            sim,
            cluster,
            &req.user,
            &node,
            "qmrestore",
            vmid,
            error,
        ))
    };
    let original = match archive_config(&cluster, &node, &archive) {
        Ok(config) => config,
        Err(error) => return fail(sim, &mut cluster, error),
    };
    let options: BTreeMap<String, String> = req
        .params
        .keys()
        .filter(|k| {
            ![
                "node",
                "vmid",
                "archive",
                "storage",
                "force",
                "unique",
                "start",
                "pool",
                "bwlimit",
                "ha-managed",
                "live-restore",
            ]
            .contains(&k.as_str())
        })
        .filter_map(|k| req.str(k).map(|v| (k.clone(), v)))
        .collect();
    p.config = merge(GuestType::Qemu, &original, options, unique);
    let mut disks = Vec::new();
    for (key, value) in original
        .iter()
        .filter(|(k, v)| volumes::is_disk_key(GuestType::Qemu, k) && !v.contains("media=cdrom"))
    {
        let mut drive = PropertyString::parse_disk(value);
        let (Some(head), Some(size)) = (drive.head.take(), disk_size_bytes(value)) else {
            continue;
        };
        let sid = storage
            .clone()
            .unwrap_or_else(|| head.split(':').next().unwrap_or_default().to_string());
        drive.take("size");
        disks.push(NewDisk::new(key, &sid, size, drive));
    }
    if let Err(error) = provision::allocate_disks(&mut cluster, &mut p, disks, |_| &[]) {
        return fail(sim, &mut cluster, error);
    }
    if original.get("template").is_some_and(|t| t == "1") {
        convert_to_template(&mut cluster, &mut p);
    }
    p.log = vec![format!(
        "restore vma archive: zstd -q -d -c {} | vma extract -v -r /var/tmp/vzdumptmp{vmid}.fifo - /var/tmp/vzdumptmp{vmid}",
        archive_path(&archive)
    )];
    for volid in p.allocated.clone() {
        let drive = disk_key_of(&p.config, &volid).unwrap_or_default();
        p.log.push(format!("new volume ID is '{volid}'"));
        p.log.push(format!(
            "map 'drive-{drive}' to '{volid}' (write zeros = 0)"
        ));
    }
    let total = p_size(&p, &cluster);
    p.log.push(format!(
        "total bytes read {total}, sparse bytes {} ({}%)",
        total / 2,
        50
    ));
    p.log.push("rescan volumes...".to_string());
    upid_answer(provision::spawn(sim, &mut cluster, &req.user, p))
}

/// `restore_configuration`: the archive's options (minus disks, which are recreated,
/// and lock/snapshot state), then the options given with the request on top.
/// `unique` gives every NIC a new MAC.
fn merge(
    kind: GuestType,
    original: &BTreeMap<String, String>,
    given: BTreeMap<String, String>,
    unique: bool,
) -> BTreeMap<String, String> {
    let mut config: BTreeMap<String, String> = original
        .iter()
        .filter(|(k, v)| {
            !NOT_RESTORED.contains(&k.as_str())
                && !k.starts_with("unused")
                && (!volumes::is_disk_key(kind, k) || v.contains("media=cdrom"))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if unique {
        for (_, value) in config.iter_mut().filter(|(k, _)| k.starts_with("net")) {
            *value = match kind {
                GuestType::Lxc => lxc_net_with_mac(value, true),
                GuestType::Qemu => qemu_net_with_mac(value, true),
            };
        }
    }
    for (key, value) in given {
        let value = match (kind, key.starts_with("net")) {
            (GuestType::Lxc, true) => lxc_net_with_mac(&value, false),
            (GuestType::Qemu, true) => qemu_net_with_mac(&value, false),
            _ => value,
        };
        config.insert(key, value);
    }
    config
}

/// A backup of a template restores as a template: its disks become base volumes.
fn convert_to_template(cluster: &mut Cluster, p: &mut Provision) {
    let mut renamed = Vec::new();
    for volid in &p.allocated {
        if let Ok(base) = volume_ops::make_base(cluster, &p.node, volid) {
            renamed.push((volid.clone(), base));
        }
    }
    for (old, new) in &renamed {
        for value in p.config.values_mut() {
            if value.starts_with(&format!("{old},")) || value == old {
                *value = value.replacen(old.as_str(), new, 1);
            }
        }
    }
    p.allocated = renamed.into_iter().map(|(_, new)| new).collect();
    p.config.insert("template".into(), "1".into());
}

fn disk_key_of(config: &BTreeMap<String, String>, volid: &str) -> Option<String> {
    config
        .iter()
        .find(|(_, v)| v.starts_with(&format!("{volid},")))
        .map(|(k, _)| k.clone())
}

fn p_size(p: &Provision, cluster: &Cluster) -> u64 {
    p.allocated
        .iter()
        .filter_map(|v| volumes::volume_size(cluster, &p.node, v))
        .sum()
}
