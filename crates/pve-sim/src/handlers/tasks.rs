//! `/nodes/{node}/tasks…` (pve-manager `PVE::API2::Tasks`, pve-common `PVE::UPID`).

use serde_json::{Map, Value, json};

use crate::api::{
    Answer, AnswerResult, ApiError, ApiResult, Method, Req, Route, answer_route, route,
};
use crate::tasks::{Task, now};
use crate::{Cluster, Sim};

pub fn routes() -> Vec<Route> {
    vec![
        answer_route(Method::Get, "/nodes/{node}/tasks", list),
        route(Method::Get, "/nodes/{node}/tasks/{upid}", index),
        route(Method::Get, "/nodes/{node}/tasks/{upid}/status", status),
        answer_route(Method::Get, "/nodes/{node}/tasks/{upid}/log", log),
        route(Method::Delete, "/nodes/{node}/tasks/{upid}", stop),
    ]
}

/// The UPID fields PVE decodes, with a token user split into `user` and `tokenid`.
fn decoded_fields(task: &Task) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("upid".into(), json!(task.upid));
    entry.insert("node".into(), json!(task.node));
    entry.insert("pid".into(), json!(task.pid));
    entry.insert("pstart".into(), json!(task.pstart));
    entry.insert("starttime".into(), json!(task.starttime));
    entry.insert("type".into(), json!(task.kind));
    entry.insert("id".into(), json!(task.id));
    match task.user.split_once('!') {
        Some((user, token)) => {
            entry.insert("user".into(), json!(user));
            entry.insert("tokenid".into(), json!(token));
        }
        None => {
            entry.insert("user".into(), json!(task.user));
        }
    }
    entry
}

/// A task in task lists: finished ones carry `endtime` and `status` (the exit status).
pub fn task_entry(task: &Task) -> Value {
    let mut entry = decoded_fields(task);
    if let Some(status) = &task.exitstatus {
        entry.insert("status".into(), json!(status));
    }
    if let Some(end) = task.endtime {
        entry.insert("endtime".into(), json!(end));
    }
    Value::Object(entry)
}

/// `ok`, `warning`, `error` or `unknown`, as `PVE::UPID::normalize_status_type`.
fn status_type(status: Option<&str>) -> &'static str {
    match status {
        None | Some("") | Some("unexpected status") => "unknown",
        Some("OK") => "ok",
        Some(s)
            if s.strip_prefix("WARNINGS: ")
                .is_some_and(|n| n.parse::<u32>().is_ok()) =>
        {
            "warning"
        }
        Some(_) => "error",
    }
}

/// `GET /nodes/{node}/tasks`: one page, with the number of matching tasks as `total`.
fn list(sim: &Sim, req: &Req) -> AnswerResult {
    let node = req.node()?;
    let start = req.int("start")?.unwrap_or(0).max(0) as usize;
    let mut limit = req.int("limit")?.unwrap_or(50);
    let errors = req.flag("errors")?;
    let source = req.str("source").unwrap_or_else(|| "archive".into());
    let (since, until) = (req.int("since")?, req.int("until")?);
    let user_filter = req.str("userfilter").map(|u| u.to_lowercase());
    let type_filter = req.str("typefilter");
    let vmid = req.int("vmid")?.map(|v| v.to_string());
    let statuses: Option<Vec<String>> = match (req.str("statusfilter"), errors) {
        (Some(list), false) => Some(
            list.split([',', ';', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase)
                .collect(),
        ),
        (_, true) => Some(vec!["warning".into(), "error".into(), "unknown".into()]),
        (None, false) => None,
    };

    let cluster = sim.cluster.lock();
    let on_node = cluster.tasks.iter().filter(|t| t.node == node);
    // Active tasks first (as PVE reads the active list before the archive), newest first.
    let mut candidates: Vec<&Task> = Vec::new();
    if source == "active" || source == "all" {
        candidates.extend(on_node.clone().filter(|t| t.is_running()).rev());
    }
    if source != "active" {
        let mut finished: Vec<&Task> = on_node.filter(|t| !t.is_running()).collect();
        finished.sort_by_key(|t| std::cmp::Reverse((t.endtime, t.starttime)));
        candidates.extend(finished);
    }

    let mut count = 0usize;
    let mut out = Vec::new();
    for task in candidates {
        let skip = user_filter
            .as_ref()
            .is_some_and(|u| !task.user.to_lowercase().contains(u))
            || type_filter.as_ref().is_some_and(|t| *t != task.kind)
            || vmid.as_ref().is_some_and(|v| *v != task.id)
            || since.is_some_and(|s| task.starttime < s)
            || until.is_some_and(|u| task.starttime > u)
            || statuses.as_ref().is_some_and(|wanted| {
                let kind = status_type(task.exitstatus.as_deref());
                !wanted.iter().any(|w| w == kind)
            });
        if skip {
            continue;
        }
        count += 1;
        if count <= start || limit <= 0 {
            continue;
        }
        let mut entry = task_entry(task);
        if task.is_running() {
            entry["status"] = json!("RUNNING");
        }
        out.push(entry);
        limit -= 1;
    }
    Ok(Answer {
        total: Some(count as u64),
        ..Answer::from(Value::Array(out))
    })
}

/// Looks a UPID up on the node the request addresses; PVE's errors otherwise.
fn find<'a>(cluster: &'a Cluster, node: &str, upid: &str) -> Result<&'a Task, ApiError> {
    if !is_upid(upid) {
        return Err(ApiError::param("upid", "unable to parse worker upid"));
    }
    cluster
        .task(upid)
        .filter(|t| t.node == node)
        .ok_or_else(|| ApiError::param("upid", "no such task"))
}

/// `UPID:node:PID:PSTART:STARTTIME:type:id:user:` with hex fields (PVE::UPID::decode).
fn is_upid(upid: &str) -> bool {
    let parts: Vec<&str> = upid.split(':').collect();
    let hex = |s: &str, lens: &[usize]| {
        lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
    };
    parts.len() == 9
        && parts[0] == "UPID"
        && !parts[1].is_empty()
        && hex(parts[2], &[8])
        && hex(parts[3], &[8, 9])
        && hex(parts[4], &[8])
        && !parts[5].is_empty()
        && !parts[7].is_empty()
        && parts[8].is_empty()
}

fn index(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    find(&cluster, req.node()?, req.path("upid")?)?;
    Ok(json!([{ "name": "log" }, { "name": "status" }]))
}

fn status(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let task = find(&cluster, req.node()?, req.path("upid")?)?;
    let mut entry = decoded_fields(task);
    match &task.exitstatus {
        None => {
            entry.insert("status".into(), json!("running"));
        }
        Some(exit) => {
            entry.insert("status".into(), json!("stopped"));
            entry.insert("exitstatus".into(), json!(exit));
        }
    }
    Ok(Value::Object(entry))
}

/// `GET …/log`: one page of lines, with the log's line count as `total`.
fn log(sim: &Sim, req: &Req) -> AnswerResult {
    let upid = req.path("upid")?;
    if !is_upid(upid) {
        return Err(ApiError::param("upid", "unable to parse worker upid"));
    }
    if req.flag("download")? {
        if req.params.contains_key("start") || req.params.contains_key("limit") {
            return Err(ApiError::internal(
                "'download' cannot be used together with 'start' or 'limit' parameters",
            ));
        }
        return Err(ApiError::not_implemented(req.method, &req.template));
    }
    let start = req.int("start")?.unwrap_or(0).max(0) as usize;
    let limit = req.int("limit")?.unwrap_or(50).max(0) as usize;
    let cluster = sim.cluster.lock();
    let node = req.node()?;
    let Some(task) = cluster.task(upid).filter(|t| t.node == node) else {
        // PVE reads the log file directly; a missing one reads as this single line.
        let line = json!({ "n": 1, "t": "unable to open file - No such file or directory" });
        return Ok(Answer {
            total: Some(1),
            ..Answer::from(json!([line]))
        });
    };
    Ok(Answer {
        // `dump_logfile` counts every line; an empty log reads as its "no content" line.
        total: Some(task.log.len().max(1) as u64),
        ..Answer::from(Value::Array(log_lines(&task.log, start, limit)))
    })
}

/// `dump_logfile`: lines numbered from 1, `limit` 0 meaning "to the end", and a
/// "no content" line for an empty log (ExtJS needs one).
fn log_lines(log: &[String], start: usize, limit: usize) -> Vec<Value> {
    if log.is_empty() {
        return vec![json!({ "n": 1, "t": "no content" })];
    }
    let take = if limit == 0 { usize::MAX } else { limit };
    log.iter()
        .enumerate()
        .skip(start)
        .take(take)
        .map(|(i, line)| json!({ "n": i + 1, "t": line }))
        .collect()
}

/// Stopping a running task kills its worker, which dies with "received interrupt".
fn stop(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let upid = find(&cluster, req.node()?, req.path("upid")?)?.upid.clone();
    if let Some(task) = cluster.tasks.iter_mut().rev().find(|t| t.upid == upid)
        && task.is_running()
    {
        task.log.push("received interrupt".into());
        task.log.push("TASK ERROR: received interrupt".into());
        task.exitstatus = Some("received interrupt".into());
        task.endtime = Some(now());
    }
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upids_parse_like_pve() {
        assert!(is_upid(
            "UPID:pve1:00001A2B:00003C4D:67400000:vzcreate:101:root@pam!ci:"
        ));
        assert!(is_upid(
            "UPID:pve1:00001A2B:100003C4D:67400000:srvreload::root@pam:"
        ));
        assert!(!is_upid(
            "UPID:pve1:1A2B:00003C4D:67400000:vzcreate:101:root@pam:"
        ));
        assert!(!is_upid(
            "UPID:pve1:00001A2B:00003C4D:67400000:vzcreate:101:root@pam"
        ));
    }

    #[test]
    fn status_types_follow_normalize_status_type() {
        assert_eq!(status_type(Some("OK")), "ok");
        assert_eq!(status_type(Some("WARNINGS: 2")), "warning");
        assert_eq!(status_type(Some("command 'lxc-start' failed")), "error");
        assert_eq!(status_type(None), "unknown");
    }

    #[test]
    fn log_lines_are_numbered_from_one_and_limit_zero_reads_all() {
        let log: Vec<String> = (1..=5).map(|i| format!("line {i}")).collect();
        let page = log_lines(&log, 1, 2);
        assert_eq!(
            page,
            vec![
                json!({"n": 2, "t": "line 2"}),
                json!({"n": 3, "t": "line 3"})
            ]
        );
        assert_eq!(log_lines(&log, 0, 0).len(), 5);
        assert_eq!(
            log_lines(&[], 0, 50),
            vec![json!({"n": 1, "t": "no content"})]
        );
    }
}
