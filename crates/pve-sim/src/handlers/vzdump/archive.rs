//! One guest's backup inside a vzdump job: the log lines of `exec_backup_task`, the
//! archive volume with the embedded config, and `prune-backups` retention.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::Job;
use super::options::render_notes;
use crate::Cluster;
use crate::handlers::guests::common::{human_bytes, log_time};
use crate::handlers::guests::listing::display_name;
use crate::handlers::guests::lxc_create::archive_path;
use crate::model::{Guest, GuestStatus, Volume, disk_size_bytes};
use crate::tasks::now;

/// Back up one guest: the log lines of `exec_backup_task` and the archive volume.
pub(super) fn backup_guest(
    cluster: &mut Cluster,
    job: &Job,
    vmid: u32,
    status: GuestStatus,
    log: &mut Vec<String>,
) -> Result<(), String> {
    let guest = cluster
        .guests
        .get(&vmid)
        .cloned()
        .ok_or_else(|| format!("unable to find VM '{vmid}'"))?;
    let kind = guest.kind;
    let notes = job
        .notes_template
        .as_deref()
        .map(|t| render_notes(t, &guest, &job.node, &cluster.name));
    let started = now();
    let archive_kind = kind.as_str();
    log.push(format!(
        "INFO: Starting Backup of VM {vmid} ({archive_kind})"
    ));
    log.push(format!("INFO: Backup started at {}", log_time(started)));
    let running = status != GuestStatus::Stopped;
    log.push(format!(
        "INFO: status = {}",
        if running { "running" } else { "stopped" }
    ));
    let mode = if running { job.mode.as_str() } else { "stop" };
    let disks = guest.disks();
    match kind {
        GuestType::Lxc => {
            log.push(format!("INFO: CT Name: {}", display_name(&guest)));
            log.push("INFO: including mount point rootfs ('/') in backup".to_string());
        }
        GuestType::Qemu => {
            log.push(format!("INFO: VM Name: {}", display_name(&guest)));
            for (key, spec) in &disks {
                let (volid, size) = (
                    spec.split(',').next().unwrap_or_default(),
                    spec.split(',')
                        .find_map(|p| p.strip_prefix("size="))
                        .unwrap_or("0"),
                );
                log.push(format!("INFO: include disk '{key}' '{volid}' {size}"));
            }
        }
    }
    log.push(format!("INFO: backup mode: {mode}"));
    log.push("INFO: ionice priority: 7".to_string());
    let (extension, ratio) = compression(&job.compress);
    let archive_ext = if kind == GuestType::Qemu {
        "vma"
    } else {
        "tar"
    };
    let raw_bytes: u64 = disks
        .iter()
        .filter_map(|(_, spec)| disk_size_bytes(spec))
        .sum::<u64>()
        * 3
        / 10;
    let size = (raw_bytes as f64 * ratio) as u64;
    let (volid, file) = free_archive_name(
        cluster,
        job,
        archive_kind,
        vmid,
        started,
        archive_ext,
        extension,
    );
    log.push(format!(
        "INFO: creating vzdump archive '{}'",
        archive_path(&volid)
    ));
    let storage = cluster
        .nodes
        .get_mut(&job.node)
        .and_then(|n| n.storages.get_mut(&job.storage))
        .ok_or_else(|| format!("storage '{}' does not exist", job.storage))?;
    if storage.avail() < size {
        return Err(match kind {
            GuestType::Lxc => format!(
                "command 'tar cpf - --totals ...' failed: exit code 2 (writing '{file}': No space left on device)"
            ),
            GuestType::Qemu => "vma_queue_write: write error - No space left on device".to_string(),
        });
    }
    match kind {
        GuestType::Lxc => log.push(format!(
            "INFO: Total bytes written: {raw_bytes} ({})",
            human(raw_bytes)
        )),
        GuestType::Qemu => log.push(format!(
            "INFO: transferred {} in 20 seconds",
            human(raw_bytes)
        )),
    }
    log.push(format!("INFO: archive file size: {}", vzdump_size(size)));
    if notes.is_some() {
        log.push("INFO: adding notes to backup".to_string());
    }
    // `Mark as protected before pruning.`
    if job.protected {
        log.push("INFO: marking backup as protected".to_string());
    }
    storage.volumes.insert(
        volid.clone(),
        Volume {
            volid: volid.clone(),
            content: "backup".to_string(),
            format: format!(
                "{archive_ext}{}",
                extension.map(|e| format!(".{e}")).unwrap_or_default()
            ),
            size,
            vmid: Some(vmid),
            ctime: started,
            notes,
            backup_config: Some(embedded_config(&guest)),
            protected: job.protected,
        },
    );
    prune(cluster, job, vmid, kind, log);
    log.push(format!(
        "INFO: Finished Backup of VM {vmid} (00:00:{:02})",
        (now() - started).clamp(0, 59)
    ));
    log.push(format!("INFO: Backup finished at {}", log_time(now())));
    Ok(())
}

/// Archive extension and a plausible compressed/raw size ratio per `compress`.
fn compression(compress: &str) -> (Option<&'static str>, f64) {
    match compress {
        "zstd" => (Some("zst"), 0.45),
        "gzip" => (Some("gz"), 0.5),
        "1" | "lzo" => (Some("lzo"), 0.55),
        _ => (None, 1.0),
    }
}

/// `vzdump-<type>-<vmid>-<YYYY_MM_DD-HH_MM_SS>.<ext>`, a second later if taken.
fn free_archive_name(
    cluster: &Cluster,
    job: &Job,
    kind: &str,
    vmid: u32,
    at: i64,
    ext: &str,
    compressed: Option<&str>,
) -> (String, String) {
    let existing = cluster
        .nodes
        .get(&job.node)
        .and_then(|n| n.storages.get(&job.storage));
    let format = time::macros::format_description!("[year]_[month]_[day]-[hour]_[minute]_[second]");
    (at..)
        .map(|t| {
            let stamp = time::OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| d.format(&format).ok())
                .unwrap_or_default();
            let file = format!(
                "vzdump-{kind}-{vmid}-{stamp}.{ext}{}",
                compressed.map(|c| format!(".{c}")).unwrap_or_default()
            );
            (format!("{}:backup/{file}", job.storage), file)
        })
        .find(|(volid, _)| !existing.is_some_and(|s| s.volumes.contains_key(volid)))
        .expect("some second is free")
}

/// `PVE::VZDump::format_size`: KB/MB below a GiB, then `%.2fGB`.
fn vzdump_size(bytes: u64) -> String {
    let kb = bytes as f64 / 1024.0;
    if kb < 1024.0 {
        return format!("{}KB", kb as u64);
    }
    let mb = kb / 1024.0;
    if mb < 1024.0 {
        return format!("{}MB", mb as u64);
    }
    format!("{:.2}GB", mb / 1024.0)
}

fn human(bytes: u64) -> String {
    human_bytes(bytes)
}

/// The config inside the archive: the current config without lock and snapshot state.
fn embedded_config(guest: &Guest) -> BTreeMap<String, String> {
    guest
        .config
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "lock" | "parent" | "vmstate"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `prune-backups keep-last=N`: drop the guest's oldest archives on the storage.
/// Protected archives are left out of the count and never removed
/// (`prune_mark_backup_group`).
fn prune(cluster: &mut Cluster, job: &Job, vmid: u32, kind: GuestType, log: &mut Vec<String>) {
    let Some(keep) = job.keep_last else { return };
    let Some(storage) = cluster
        .nodes
        .get_mut(&job.node)
        .and_then(|n| n.storages.get_mut(&job.storage))
    else {
        return;
    };
    let prefix = format!("{}:backup/vzdump-{}-{vmid}-", job.storage, kind.as_str());
    let mut archives: Vec<(i64, String)> = storage
        .volumes
        .values()
        .filter(|v| v.volid.starts_with(&prefix) && !v.protected)
        .map(|v| (v.ctime, v.volid.clone()))
        .collect();
    archives.sort();
    archives.reverse();
    log.push(format!(
        "INFO: prune older backups with retention: keep-last={keep}"
    ));
    let removed: Vec<String> = archives
        .into_iter()
        .skip(keep)
        .map(|(_, volid)| volid)
        .collect();
    for volid in &removed {
        storage.volumes.remove(volid);
        log.push(format!("INFO: removing backup '{volid}'"));
    }
    let extra = if removed.is_empty() {
        ""
    } else {
        " not covered by keep-retention policy"
    };
    log.push(format!("INFO: pruned {} backup(s){extra}", removed.len()));
}
