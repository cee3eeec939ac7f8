//! `POST /nodes/{node}/vzdump` (one `vzdump` task for the node's selected guests) and
//! `GET /nodes/{node}/vzdump/extractconfig`.
//!
//! Each backed-up guest carries `lock: backup` while the job runs and so refuses other
//! operations; at the end every archive exists as a `backup` volume
//! (`local:backup/vzdump-lxc-101-2026_11_22-10_00_00.tar.zst`) whose name is in the
//! task log and whose `backup_config` holds the guest config a restore recreates.
//! Simplification: PVE locks guests one after another; here all of a job's guests are
//! locked for the whole job.

mod archive;
mod options;

use serde_json::Value;

use super::guests::common::{log_time, online_node, secs};
use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::model::GuestStatus;
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};
use archive::backup_guest;
use options::{command_line, ids, keep_last, verify_notes_template};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::Post, "/nodes/{node}/vzdump", create_backup),
        route(
            Method::Get,
            "/nodes/{node}/vzdump/extractconfig",
            extract_config,
        ),
    ]
}

/// The job's options, after PVE's parameter checks.
struct Job {
    node: String,
    storage: String,
    mode: String,
    compress: String,
    notes_template: Option<String>,
    keep_last: Option<usize>,
    command_line: String,
}

fn create_backup(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?.to_string();
    if req.flag("stdout")? {
        return Err(ApiError::param(
            "stdout",
            "option is only allowed on the command line interface.",
        ));
    }
    let (vmid_list, all) = (req.str("vmid"), req.flag("all")?);
    for conflicting in ["all", "exclude", "pool"] {
        if vmid_list.is_some() && req.str(conflicting).is_some_and(|v| v != "0") {
            return Err(ApiError::param(
                conflicting,
                "option conflicts with option 'vmid'",
            ));
        }
    }
    let exclude = ids(req.str("exclude").as_deref());
    let all = all || !exclude.is_empty();
    if !all && vmid_list.is_none() && req.str("pool").is_none() {
        return Err(ApiError::param("vmid", "property is missing"));
    }
    if req.str("pool").is_some() {
        return Err(ApiError::new(
            501,
            "vzdump --pool is not implemented by the simulator",
        ));
    }
    if req.str("dumpdir").is_some() {
        return Err(ApiError::new(
            501,
            "vzdump --dumpdir is not implemented by the simulator; use a backup storage",
        ));
    }
    if let Some(template) = req.str("notes-template") {
        verify_notes_template(&template).map_err(|e| ApiError::param("notes-template", e))?;
    }
    let job = Job {
        node: node.clone(),
        storage: req.str("storage").unwrap_or_else(|| "local".to_string()),
        mode: req.str("mode").unwrap_or_else(|| "snapshot".to_string()),
        compress: req.str("compress").unwrap_or_else(|| "0".to_string()),
        notes_template: req.str("notes-template").filter(|t| !t.is_empty()),
        keep_last: keep_last(
            req.str("prune-backups").as_deref(),
            req.bool("remove")?.unwrap_or(true),
        )?,
        command_line: command_line(req),
    };

    let mut cluster = sim.cluster.lock();
    online_node(&cluster, &node)?;
    let selected: Vec<u32> = match &vmid_list {
        Some(list) => ids(Some(list)),
        None => cluster
            .guests
            .keys()
            .copied()
            .filter(|id| !exclude.contains(id))
            .collect(),
    };
    let (local, external): (Vec<u32>, Vec<u32>) = selected
        .into_iter()
        .partition(|id| cluster.guests.get(id).is_none_or(|g| g.node == node));
    // PVE answers "OK" (no task) when every selected guest lives on other nodes.
    if local.is_empty() && !all {
        return Ok(Value::String("OK".to_string()));
    }
    let task_id = if local.len() == 1 {
        local[0].to_string()
    } else {
        String::new()
    };
    let mut start_log = vec![format!(
        "INFO: starting new backup job: {}",
        job.command_line
    )];
    if !external.is_empty() {
        let list: Vec<String> = external.iter().map(u32::to_string).collect();
        start_log.push(format!("INFO: skip external VMs: {}", list.join(", ")));
    }
    let storage_ok = super::guests::volumes::storage_on(&cluster, &node, &job.storage)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            s.content
                .iter()
                .any(|c| c == "backup")
                .then_some(())
                .ok_or_else(|| {
                    format!(
                        "can't use storage '{}' for backups - wrong content type",
                        job.storage
                    )
                })
        });
    if let Err(error) = storage_ok {
        let spec = TaskSpec::new(&node, "vzdump", task_id, secs(0.5), move |_| {
            TaskOutcome::failed(Vec::new(), error)
        })
        .with_start_log(start_log);
        return Ok(Value::String(sim.spawn_task(&mut cluster, &req.user, spec)));
    }

    // Lock what can be backed up now; the rest fails in the job like PVE's lock_vm.
    let mut plans = Vec::new();
    for vmid in local {
        let precheck = match cluster.guests.get(&vmid) {
            None => Err(format!("unable to find VM '{vmid}'")),
            Some(guest) => super::guests::common::check_unlocked(guest).map(|()| guest.status),
        };
        if let (Ok(status), Some(guest)) = (&precheck, cluster.guests.get_mut(&vmid)) {
            guest.config.insert("lock".into(), "backup".into());
            if job.mode == "stop" && *status != GuestStatus::Stopped {
                guest.status = GuestStatus::Stopped;
            }
        }
        plans.push((vmid, precheck));
    }
    let duration = secs(5.0 + 15.0 * plans.iter().filter(|(_, p)| p.is_ok()).count() as f64);
    let locked: Vec<(u32, GuestStatus)> = plans
        .iter()
        .filter_map(|(id, p)| p.as_ref().ok().map(|s| (*id, *s)))
        .collect();
    let work = move |c: &mut Cluster| run_job(c, &job, plans);
    let rollback = move |c: &mut Cluster| {
        release(c, &locked);
        TaskOutcome::ok(vec!["ERROR: Backup job failed - interrupted".to_string()])
    };
    let spec = TaskSpec::new(&node, "vzdump", task_id, duration, work)
        .with_start_log(start_log)
        .with_rollback(rollback);
    Ok(Value::String(sim.spawn_task(&mut cluster, &req.user, spec)))
}

/// Unlock the job's guests and restart the ones `stop` mode stopped.
fn release(cluster: &mut Cluster, locked: &[(u32, GuestStatus)]) {
    for (vmid, status) in locked {
        if let Some(guest) = cluster.guests.get_mut(vmid) {
            guest.config.remove("lock");
            if guest.status != *status {
                guest.status = *status;
                guest.started_at = Some(now());
            }
        }
    }
}

fn run_job(
    cluster: &mut Cluster,
    job: &Job,
    plans: Vec<(u32, Result<GuestStatus, String>)>,
) -> TaskOutcome {
    let mut log = Vec::new();
    let mut errors = 0;
    for (vmid, plan) in plans {
        let result = plan.and_then(|status| backup_guest(cluster, job, vmid, status, &mut log));
        if let Err(error) = result {
            errors += 1;
            log.push(format!("ERROR: Backup of VM {vmid} failed - {error}"));
            log.push(format!("INFO: Failed at {}", log_time(now())));
        }
        if let Some(guest) = cluster.guests.get_mut(&vmid)
            && guest.lock() == Some("backup")
        {
            guest.config.remove("lock");
        }
    }
    if errors == 0 {
        log.push("INFO: Backup job finished successfully".to_string());
        TaskOutcome::ok(log)
    } else {
        log.push("INFO: Backup job finished with errors".to_string());
        TaskOutcome::failed(log, "job errors")
    }
}

/// `GET /nodes/{node}/vzdump/extractconfig`: the archive's config file text.
fn extract_config(sim: &Sim, req: &Req) -> ApiResult {
    let volid = req.required_str("volume")?;
    let cluster = sim.cluster.lock();
    let node = req.node()?;
    online_node(&cluster, node)?;
    let volume = super::guests::volumes::find_volume(&cluster, node, &volid)
        .ok_or_else(|| ApiError::internal(format!("volume '{volid}' does not exist")))?;
    let config = volume.backup_config.as_ref().ok_or_else(|| {
        ApiError::internal(format!(
            "cannot determine backup guest type for backup archive '{volid}'"
        ))
    })?;
    let text: String = config.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
    Ok(Value::String(text))
}
