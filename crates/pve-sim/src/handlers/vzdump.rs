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
    /// `protected`: the new archives get a protection file.
    protected: bool,
    keep_last: Option<usize>,
    command_line: String,
}

/// Which guests the request selects (`vmid` list, or `all` minus `exclude`).
struct Selection {
    vmids: Option<Vec<u32>>,
    exclude: Vec<u32>,
    all: bool,
}

/// PVE's parameter checks (`verify_vzdump_parameters` and the API's own).
fn parse_request(req: &Req) -> Result<(Job, Selection), ApiError> {
    if req.flag("stdout")? {
        let msg = "option is only allowed on the command line interface.";
        return Err(ApiError::param("stdout", msg));
    }
    let vmids = req.str("vmid");
    for conflicting in ["all", "exclude", "pool"] {
        if vmids.is_some() && req.str(conflicting).is_some_and(|v| v != "0") {
            return Err(ApiError::param(
                conflicting,
                "option conflicts with option 'vmid'",
            ));
        }
    }
    let exclude = ids(req.str("exclude").as_deref());
    let all = req.flag("all")? || !exclude.is_empty();
    if req.str("pool").is_some() {
        return Err(ApiError::new(
            501,
            "vzdump --pool is not implemented by the simulator",
        ));
    }
    if !all && vmids.is_none() {
        return Err(ApiError::param("vmid", "property is missing"));
    }
    if req.str("dumpdir").is_some() {
        let msg = "vzdump --dumpdir is not implemented by the simulator; use a backup storage";
        return Err(ApiError::new(501, msg));
    }
    if let Some(template) = req.str("notes-template") {
        verify_notes_template(&template).map_err(|e| ApiError::param("notes-template", e))?;
    }
    let job = Job {
        node: req.node()?.to_string(),
        storage: req.str("storage").unwrap_or_else(|| "local".to_string()),
        mode: req.str("mode").unwrap_or_else(|| "snapshot".to_string()),
        compress: req.str("compress").unwrap_or_else(|| "0".to_string()),
        notes_template: req.str("notes-template").filter(|t| !t.is_empty()),
        protected: req.flag("protected")?,
        keep_last: keep_last(
            req.str("prune-backups").as_deref(),
            req.bool("remove")?.unwrap_or(true),
        )?,
        command_line: command_line(req),
    };
    let selection = Selection {
        vmids: vmids.map(|list| ids(Some(&list))),
        exclude,
        all,
    };
    Ok((job, selection))
}

/// One guest of the job: its status before the job, or why it cannot be backed up.
type Plan = (u32, Result<GuestStatus, String>);

fn create_backup(sim: &Sim, req: &Req) -> ApiResult {
    let (job, selection) = parse_request(req)?;
    let mut cluster = sim.cluster.lock();
    online_node(&cluster, &job.node)?;
    let selected: Vec<u32> = match selection.vmids {
        Some(list) => list,
        None => cluster
            .guests
            .keys()
            .copied()
            .filter(|id| !selection.exclude.contains(id))
            .collect(),
    };
    let (local, external): (Vec<u32>, Vec<u32>) = selected
        .into_iter()
        .partition(|id| cluster.guests.get(id).is_none_or(|g| g.node == job.node));
    // PVE answers "OK" (no task) when every selected guest lives on other nodes.
    if local.is_empty() && !selection.all {
        return Ok(Value::String("OK".to_string()));
    }
    let task_id = match local.as_slice() {
        [only] => only.to_string(),
        _ => String::new(),
    };
    let mut start_log = vec![format!(
        "INFO: starting new backup job: {}",
        job.command_line
    )];
    if !external.is_empty() {
        let list: Vec<String> = external.iter().map(u32::to_string).collect();
        start_log.push(format!("INFO: skip external VMs: {}", list.join(", ")));
    }
    let node = job.node.clone();
    if let Err(error) = check_backup_storage(&cluster, &job) {
        let work = move |_: &mut Cluster| TaskOutcome::failed(Vec::new(), error);
        let spec =
            TaskSpec::new(&node, "vzdump", task_id, secs(0.5), work).with_start_log(start_log);
        return Ok(Value::String(sim.spawn_task(&mut cluster, &req.user, spec)));
    }
    let plans = lock_guests(&mut cluster, &job, local);
    let backed_up = plans.iter().filter(|(_, p)| p.is_ok()).count();
    let locked: Vec<(u32, GuestStatus)> = plans
        .iter()
        .filter_map(|(id, p)| p.as_ref().ok().map(|s| (*id, *s)))
        .collect();
    let work = move |c: &mut Cluster| run_job(c, &job, plans);
    let rollback = move |c: &mut Cluster| {
        for (vmid, status) in &locked {
            release(c, *vmid, *status);
        }
        TaskOutcome::ok(vec!["ERROR: Backup job failed - interrupted".to_string()])
    };
    let duration = secs(5.0 + 15.0 * backed_up as f64);
    let spec = TaskSpec::new(&node, "vzdump", task_id, duration, work)
        .with_start_log(start_log)
        .with_rollback(rollback);
    Ok(Value::String(sim.spawn_task(&mut cluster, &req.user, spec)))
}

/// `storage_info`: the target storage exists here and takes backups.
fn check_backup_storage(cluster: &Cluster, job: &Job) -> Result<(), String> {
    let storage = super::guests::volumes::storage_on(cluster, &job.node, &job.storage)?;
    if storage.content.iter().any(|c| c == "backup") {
        Ok(())
    } else {
        Err(format!(
            "can't use storage '{}' for backups - wrong content type",
            job.storage
        ))
    }
}

/// `lock_vm` for every guest that can be backed up (`stop` mode also stops it); the
/// others fail inside the job, like PVE's per-guest errors.
fn lock_guests(cluster: &mut Cluster, job: &Job, vmids: Vec<u32>) -> Vec<Plan> {
    let mut plans = Vec::new();
    for vmid in vmids {
        let Some(guest) = cluster.guests.get_mut(&vmid) else {
            plans.push((vmid, Err(format!("unable to find VM '{vmid}'"))));
            continue;
        };
        let plan = super::guests::common::check_unlocked(guest).map(|()| guest.status);
        if plan.is_ok() {
            guest.config.insert("lock".into(), "backup".into());
            if job.mode == "stop" {
                guest.status = GuestStatus::Stopped;
            }
        }
        plans.push((vmid, plan));
    }
    plans
}

/// Unlock a guest after its backup and start it again if `stop` mode stopped it.
fn release(cluster: &mut Cluster, vmid: u32, status: GuestStatus) -> bool {
    let Some(guest) = cluster.guests.get_mut(&vmid) else {
        return false;
    };
    if guest.lock() == Some("backup") {
        guest.config.remove("lock");
    }
    let restarted = guest.status != status;
    if restarted {
        guest.status = status;
        guest.started_at = Some(now());
    }
    restarted
}

fn run_job(cluster: &mut Cluster, job: &Job, plans: Vec<Plan>) -> TaskOutcome {
    let mut log = Vec::new();
    let mut errors = 0;
    for (vmid, plan) in plans {
        let result = plan.and_then(|status| {
            let result = backup_guest(cluster, job, vmid, status, &mut log);
            if release(cluster, vmid, status) {
                log.push("INFO: restarting vm".to_string());
            }
            result
        });
        if let Err(error) = result {
            errors += 1;
            log.push(format!("ERROR: Backup of VM {vmid} failed - {error}"));
            log.push(format!("INFO: Failed at {}", log_time(now())));
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
