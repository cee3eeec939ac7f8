//! `POST …/migrate`: move a guest and its local volumes to another node
//! (`vzmigrate` / `qmigrate`). Running CTs need `restart` (stop, move, start);
//! running VMs need `online` and keep running. The guest is `lock: migrate`
//! meanwhile. The task log follows `PVE::AbstractMigrate`'s timestamped lines.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;

use super::common::{
    Die, check_unlocked, is_running, log_time, noun, request_guest, root_only_flag, secs,
    task_type, upid_answer,
};
use super::propstr::PropertyString;
use super::volume_ops;
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, GuestStatus};
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// Request options that shape the migration.
struct MigrateOptions {
    /// `target-storage` (CT) / `targetstorage` (VM): source storage → target storage.
    storage_map: BTreeMap<String, String>,
    /// `with-local-disks`: live-migrate a VM's local disks too (qemu only).
    with_local_disks: bool,
}

struct Plan {
    vmid: u32,
    kind: GuestType,
    source: String,
    target: String,
    target_ip: String,
    /// Local volumes to move: (volid, storage on the target).
    moves: Vec<(String, String)>,
    /// CT restart mode / VM online migration of a running guest.
    restart: bool,
    online: bool,
}

pub(crate) fn migrate(sim: &Sim, req: &Req) -> ApiResult {
    let target = req.required_str("target")?;
    let local = req.node()?.to_string();
    if target == local {
        return Err(ApiError::param("target", "target is local node."));
    }
    let mut cluster = sim.cluster.lock();
    let target_node = cluster
        .nodes
        .get(&target)
        .ok_or_else(|| ApiError::internal(format!("no such cluster node '{target}'")))?;
    let (target_ip, target_online) = (target_node.ip.clone(), target_node.online);
    let guest = request_guest(&cluster, req)?.clone();
    let running = is_running(&guest);
    let online = req.flag("online")?;
    let restart = guest.kind == GuestType::Lxc && req.flag("restart")?;
    match guest.kind {
        GuestType::Lxc if running && !online && !restart => {
            return Err(ApiError::internal(
                "can't migrate running container without --online or --restart",
            ));
        }
        GuestType::Qemu if running && !online => {
            return Err(ApiError::internal(
                "can't migrate running VM without --online",
            ));
        }
        _ => {}
    }
    let options = match guest.kind {
        GuestType::Lxc => MigrateOptions {
            storage_map: parse_storage_map(req.str("target-storage")),
            with_local_disks: false,
        },
        GuestType::Qemu => {
            root_only_flag(req, "force")?;
            MigrateOptions {
                storage_map: parse_storage_map(req.str("targetstorage")),
                with_local_disks: req.flag("with-local-disks")?,
            }
        }
    };
    let task = task_type(guest.kind, "vzmigrate", "qmigrate");
    let mut log = vec![stamp(&format!(
        "starting migration of {} {} to node '{target}' ({target_ip})",
        noun(guest.kind),
        guest.vmid
    ))];
    let plan = plan(&cluster, &guest, &target, &options, &mut log).and_then(|moves| {
        if !target_online {
            return Err("Can't connect to destination address using public key".to_string());
        }
        if guest.kind == GuestType::Lxc && online && running {
            return Err("lxc live migration is currently not implemented".to_string());
        }
        Ok(Plan {
            vmid: guest.vmid,
            kind: guest.kind,
            source: guest.node.clone(),
            target: target.clone(),
            target_ip,
            moves,
            restart: guest.kind == GuestType::Lxc && running,
            online: guest.kind == GuestType::Qemu && running,
        })
    });
    let plan = match plan {
        Ok(plan) => plan,
        Err(error) => {
            log.push(stamp(&format!(
                "ERROR: migration aborted (duration 00:00:01): {error}"
            )));
            let spec = TaskSpec::new(&guest.node, task, guest.vmid, secs(1.0), move |_| {
                TaskOutcome::failed(log, "migration aborted")
            });
            return upid_answer(sim.spawn_task(&mut cluster, &req.user, spec));
        }
    };
    let moved_bytes: u64 = plan
        .moves
        .iter()
        .filter_map(|(v, _)| volumes::volume_size(&cluster, &plan.source, v))
        .sum();
    let duration = secs(5.0 + moved_bytes as f64 / (1u64 << 30) as f64 * 0.5);
    if let Some(g) = cluster.guests.get_mut(&plan.vmid) {
        g.config.insert("lock".into(), "migrate".into());
        if plan.restart {
            log.push(stamp(&format!("shutdown CT {}", plan.vmid)));
            g.status = GuestStatus::Stopped;
            g.started_at = None;
        }
    }
    let vmid = plan.vmid;
    let restart_source = plan.restart;
    let spec = TaskSpec::new(&guest.node, task, vmid, duration, move |c: &mut Cluster| {
        finish(c, plan)
    })
    .with_start_log(log)
    .with_rollback(move |c: &mut Cluster| {
        if let Some(g) = c.guests.get_mut(&vmid) {
            g.config.remove("lock");
            if restart_source {
                g.status = GuestStatus::Running;
                g.started_at = Some(now());
            }
        }
        TaskOutcome::ok(vec![stamp("ERROR: migration aborted")])
    });
    upid_answer(sim.spawn_task(&mut cluster, &req.user, spec))
}

/// `target-storage`/`targetstorage`: `SOURCE:TARGET` pairs, or one storage for all.
fn parse_storage_map(text: Option<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for pair in text
        .iter()
        .flat_map(|t| t.split([',', ';']))
        .filter(|p| !p.is_empty())
    {
        match pair.split_once(':') {
            Some((from, to)) => map.insert(from.to_string(), to.to_string()),
            None => map.insert("*".to_string(), pair.to_string()),
        };
    }
    map
}

/// The local volumes to move, with the checks of `prepare`/`scan_local_volumes`:
/// problems are logged one by one, then the migration aborts "- check log".
fn plan(
    cluster: &Cluster,
    guest: &Guest,
    target: &str,
    options: &MigrateOptions,
    log: &mut Vec<String>,
) -> Result<Vec<(String, String)>, Die> {
    check_unlocked(guest)?;
    let running = is_running(guest);
    let mut moves = Vec::new();
    let mut problems = false;
    for (key, value) in &guest.config {
        let is_volume = volumes::is_disk_key(guest.kind, key) || key.starts_with("unused");
        let Some(volid) = PropertyString::parse_disk(value)
            .head
            .filter(|h| is_volume && volumes::split_volid(h).is_some())
        else {
            continue;
        };
        if volume_ops::is_shared(cluster, &guest.node, &volid) {
            let sid = volid.split(':').next().unwrap_or_default();
            log.push(stamp(&format!(
                "volume '{volid}' is on shared storage '{sid}'"
            )));
            continue;
        }
        let refused = match guest.kind {
            GuestType::Qemu if value.contains("media=cdrom") => Some("local cdrom image"),
            GuestType::Qemu
                if running && !key.starts_with("unused") && !options.with_local_disks =>
            {
                Some("can't live migrate attached local disks without with-local-disks option")
            }
            _ if !guest.snapshots.is_empty() && on_lvm(cluster, &guest.node, &volid) => {
                Some("non-migratable snapshot exists")
            }
            _ => None,
        };
        if let Some(reason) = refused {
            let what = if guest.kind == GuestType::Qemu {
                "disk"
            } else {
                "volume"
            };
            log.push(stamp(&format!(
                "can't migrate local {what} '{volid}': {reason}"
            )));
            problems = true;
            continue;
        }
        let sid = volid.split(':').next().unwrap_or_default().to_string();
        let target_sid = options
            .storage_map
            .get(&sid)
            .or_else(|| options.storage_map.get("*"))
            .cloned()
            .unwrap_or(sid);
        volumes::check_disk_storage(cluster, target, &target_sid, guest.kind)
            .map_err(|e| format!("{volid}: {e}"))?;
        log.push(stamp(&match (guest.kind, key.starts_with("unused")) {
            (GuestType::Lxc, _) => format!("found local volume '{volid}' (in current VM config)"),
            (GuestType::Qemu, true) => format!("found local disk '{volid}' (unused)"),
            (GuestType::Qemu, false) => format!("found local disk '{volid}' (attached)"),
        }));
        moves.push((volid, target_sid));
    }
    if problems {
        return Err(format!("can't migrate {} - check log", noun(guest.kind)));
    }
    Ok(moves)
}

/// LVM(-thin) cannot move volume snapshots between nodes.
fn on_lvm(cluster: &Cluster, node: &str, volid: &str) -> bool {
    let sid = volid.split(':').next().unwrap_or_default();
    cluster.nodes[node]
        .storages
        .get(sid)
        .is_some_and(|s| s.kind.starts_with("lvm"))
}

fn finish(cluster: &mut Cluster, plan: Plan) -> TaskOutcome {
    let start = now();
    let mut log = Vec::new();
    let mut renamed = Vec::new();
    for (volid, target_sid) in &plan.moves {
        let same_storage = volid.split(':').next() == Some(target_sid.as_str());
        let new_volid = if same_storage {
            volume_ops::relocate(cluster, &plan.source, &plan.target, volid).map(|()| volid.clone())
        } else {
            move_to_other_storage(cluster, &plan, volid, target_sid)
        };
        match new_volid {
            Ok(new_volid) => {
                log.push(stamp(&format!(
                    "volume '{volid}' is '{new_volid}' on the target"
                )));
                renamed.push((volid.clone(), new_volid));
            }
            Err(error) => {
                log.push(stamp(&format!(
                    "ERROR: migration aborted (duration 00:00:05): {error}"
                )));
                if let Some(g) = cluster.guests.get_mut(&plan.vmid) {
                    g.config.remove("lock");
                }
                return TaskOutcome::failed(log, "migration aborted");
            }
        }
    }
    let Some(guest) = cluster.guests.get_mut(&plan.vmid) else {
        return TaskOutcome::failed(
            log,
            format!(
                "{} {} vanished during migration",
                noun(plan.kind),
                plan.vmid
            ),
        );
    };
    for value in guest.config.values_mut() {
        for (old, new) in &renamed {
            if value == old || value.starts_with(&format!("{old},")) {
                *value = value.replacen(old.as_str(), new, 1);
            }
        }
    }
    guest.config.remove("lock");
    guest.node = plan.target.clone();
    if plan.online {
        log.push(stamp(&format!(
            "starting online/live migration on unix:/run/qemu-server/{}.migrate",
            plan.vmid
        )));
        log.push(stamp("migration status: completed"));
        guest.started_at = Some(now());
    }
    if plan.restart {
        log.push(stamp("start final cleanup"));
        log.push(stamp("start container on target node"));
        log.push(stamp(&format!(
            "# /usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias={}' root@{} pct start {}",
            plan.target, plan.target_ip, plan.vmid
        )));
        guest.status = GuestStatus::Running;
        guest.started_at = Some(now());
    }
    let elapsed = (now() - start).max(0);
    log.push(stamp(&format!(
        "migration finished successfully (duration 00:00:{:02})",
        elapsed.min(59)
    )));
    TaskOutcome::ok(log)
}

/// `target-storage` to a different storage: a copy there, the source freed.
fn move_to_other_storage(
    cluster: &mut Cluster,
    plan: &Plan,
    volid: &str,
    target_sid: &str,
) -> Result<String, Die> {
    let size = volumes::volume_size(cluster, &plan.source, volid)
        .ok_or_else(|| format!("volume '{volid}' does not exist"))?;
    let new_volid = volumes::allocate(
        cluster,
        &plan.target,
        target_sid,
        plan.vmid,
        plan.kind,
        size,
    )?;
    volumes::free(cluster, &plan.source, volid);
    Ok(new_volid)
}

/// A migration log line: `2026-11-22 10:00:00 message`.
fn stamp(message: &str) -> String {
    format!("{} {message}", log_time(now()))
}
