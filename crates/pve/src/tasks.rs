//! PVE tasks: listing, status, logs, and waiting for a task to finish.

use std::time::Duration;

use proxicloud_types::{NodeName, VmId};
use serde::Deserialize;
use tokio::time::Instant;

use crate::api::Pve;
use crate::error::{PveError, Result};
use crate::params::{Params, api_path};
use crate::serde_util::{opt_i64, opt_string, opt_u64};
use crate::transport::{Method, Transport, decode};
use crate::upid::Upid;

/// A task in `/cluster/tasks` or `/nodes/{node}/tasks`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TaskSummary {
    pub upid: Upid,
    #[serde(default, deserialize_with = "opt_string")]
    pub node: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, deserialize_with = "opt_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub user: String,
    #[serde(default, deserialize_with = "opt_i64")]
    pub starttime: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub endtime: Option<i64>,
    /// The exit status once finished (`OK`, `WARNINGS: 2`, an error); absent or
    /// `RUNNING` while the task runs.
    #[serde(default, deserialize_with = "opt_string")]
    pub status: Option<String>,
}

/// `GET /nodes/{node}/tasks/{upid}/status`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TaskStatus {
    /// `running` or `stopped`.
    pub status: String,
    /// Set once stopped: `OK`, `WARNINGS: n`, or the error message.
    #[serde(default, deserialize_with = "opt_string")]
    pub exitstatus: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub upid: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, deserialize_with = "opt_string")]
    pub id: Option<String>,
    #[serde(default)]
    pub user: String,
    #[serde(default, deserialize_with = "opt_u64")]
    pub pid: Option<u64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub starttime: Option<i64>,
}

impl TaskStatus {
    pub fn is_running(&self) -> bool {
        self.status != "stopped"
    }
}

/// How a stopped task ended, from its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskSuccess {
    /// `0` for `OK`, `n` for `WARNINGS: n`.
    pub warnings: u32,
}

/// `Some` for PVE's success statuses (`OK`, `WARNINGS: n`), `None` for errors.
pub fn parse_exit_status(exitstatus: &str) -> Option<TaskSuccess> {
    let exitstatus = exitstatus.trim();
    if exitstatus == "OK" {
        return Some(TaskSuccess { warnings: 0 });
    }
    let count = exitstatus.strip_prefix("WARNINGS: ")?;
    count.parse().ok().map(|warnings| TaskSuccess { warnings })
}

/// One line of a task log.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TaskLogLine {
    /// Line number, starting at 1.
    #[serde(deserialize_with = "opt_u64")]
    pub n: Option<u64>,
    #[serde(default)]
    pub t: String,
}

/// A page of a task log plus the total line count PVE reports.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLog {
    pub lines: Vec<TaskLogLine>,
    pub total: Option<u64>,
}

/// Filters for `GET /nodes/{node}/tasks`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFilter {
    pub limit: Option<u32>,
    pub start: Option<u32>,
    pub vmid: Option<VmId>,
    /// Task type, e.g. `vzdump`.
    pub typefilter: Option<String>,
    pub userfilter: Option<String>,
    /// Only failed tasks.
    pub errors: bool,
    /// `archive` (finished, PVE's default), `active` or `all`.
    pub source: Option<String>,
}

/// How `wait_task` polls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitOptions {
    pub poll_interval: Duration,
    /// Give up (with `PveError::Timeout`; the task keeps running) after this long.
    pub timeout: Duration,
    /// How many log lines a `TaskFailed` error carries.
    pub log_tail_lines: u32,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(3600),
            log_tail_lines: 20,
        }
    }
}

pub(crate) async fn node_tasks(
    t: &Transport,
    node: &NodeName,
    filter: &TaskFilter,
) -> Result<Vec<TaskSummary>> {
    let params = Params::new()
        .opt("limit", filter.limit)
        .opt("start", filter.start)
        .opt("vmid", filter.vmid)
        .opt("typefilter", filter.typefilter.as_deref())
        .opt("userfilter", filter.userfilter.as_deref())
        .flag("errors", filter.errors)
        .opt("source", filter.source.as_deref());
    t.get(&api_path!("nodes", node, "tasks"), params).await
}

pub(crate) async fn status(t: &Transport, upid: &Upid) -> Result<TaskStatus> {
    let path = api_path!("nodes", upid.node(), "tasks", upid, "status");
    t.get(&path, Params::new()).await
}

pub(crate) async fn log(t: &Transport, upid: &Upid, start: u64, limit: u64) -> Result<TaskLog> {
    let path = api_path!("nodes", upid.node(), "tasks", upid, "log");
    let params = Params::new().set("start", start).set("limit", limit);
    let envelope = t.call_raw(Method::Get, &path, &params).await?;
    Ok(TaskLog {
        lines: decode(Method::Get, &path, envelope.data)?,
        total: envelope.total,
    })
}

pub(crate) async fn stop(t: &Transport, upid: &Upid) -> Result<()> {
    let path = api_path!("nodes", upid.node(), "tasks", upid);
    t.delete(&path, Params::new()).await
}

/// The last `count` lines of a task log. The whole log is fetched (`limit=0` reads to
/// the end) rather than paging from PVE's `total`, which not every server reports;
/// task logs are small enough for that.
pub async fn log_tail<P: Pve + ?Sized>(pve: &P, upid: &Upid, count: u32) -> Result<Vec<String>> {
    let log = pve.task_log(upid, 0, 0).await?;
    let skip = log.lines.len().saturating_sub(count as usize);
    Ok(log
        .lines
        .into_iter()
        .skip(skip)
        .map(|line| line.t)
        .collect())
}

/// Polls the task's status until it stops. Success statuses return the warning count;
/// anything else becomes `PveError::TaskFailed` with the end of the task log.
pub async fn wait_for_task<P: Pve + ?Sized>(
    pve: &P,
    upid: &Upid,
    options: &WaitOptions,
) -> Result<TaskSuccess> {
    let deadline = Instant::now() + options.timeout;
    loop {
        let status = pve.task_status(upid).await?;
        if !status.is_running() {
            let exitstatus = status.exitstatus.unwrap_or_default();
            if let Some(success) = parse_exit_status(&exitstatus) {
                return Ok(success);
            }
            let log_tail = log_tail(pve, upid, options.log_tail_lines)
                .await
                .unwrap_or_else(|err| vec![format!("(task log unavailable: {err})")]);
            return Err(PveError::TaskFailed {
                upid: Box::new(upid.clone()),
                exitstatus,
                log_tail,
            });
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(PveError::Timeout {
                what: format!("task {upid} still running after {:?}", options.timeout),
            });
        }
        tokio::time::sleep(options.poll_interval.min(deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::{FakePve, TaskEnd};

    #[test]
    fn ok_and_warnings_are_success() {
        assert_eq!(parse_exit_status("OK"), Some(TaskSuccess { warnings: 0 }));
        assert_eq!(
            parse_exit_status("WARNINGS: 3"),
            Some(TaskSuccess { warnings: 3 })
        );
        assert_eq!(parse_exit_status("unexpected status"), None);
        assert_eq!(
            parse_exit_status("command 'lxc-start -n 101' failed: exit code 1"),
            None
        );
        assert_eq!(parse_exit_status("WARNINGS: many"), None);
    }

    #[test]
    fn task_lists_decode_running_and_finished_tasks() {
        let json = r#"[
            {"upid":"UPID:pve1:000CFFFA:03E8EF53:619480BA:vzdump:103:root@pam:","node":"pve1",
             "type":"vzdump","id":"103","user":"root@pam","starttime":1637122234,"status":"RUNNING"},
            {"upid":"UPID:pve1:000CFC5C:03E8D0C3:6194806C:aptupdate::root@pam:","node":"pve1",
             "type":"aptupdate","id":"","user":"root@pam","starttime":"1637122156",
             "endtime":1637122161,"status":"OK","saved":"0"}
        ]"#;
        let tasks: Vec<TaskSummary> = serde_json::from_str(json).expect("decodes");
        assert_eq!(tasks[0].upid.task_type(), "vzdump");
        assert_eq!(tasks[1].starttime, Some(1_637_122_156));
        assert_eq!(tasks[1].status.as_deref(), Some("OK"));
    }

    /// A task on the crate's fake that runs a few polls, then ends with `final_exit`
    /// and a log of `log_lines` lines.
    fn fake(final_exit: &str, log_lines: usize) -> (FakePve, Upid) {
        let pve = FakePve::builder()
            .task_time(Duration::from_millis(3))
            .build();
        let log = (1..=log_lines).map(|i| format!("line {i}"));
        pve.script_task_ends([TaskEnd::exit(final_exit).with_log(log)]);
        let upid = pve.start_task("pve1", "vzdump", "");
        (pve, upid)
    }

    fn quick() -> WaitOptions {
        WaitOptions {
            poll_interval: Duration::from_millis(1),
            ..WaitOptions::default()
        }
    }

    #[tokio::test]
    async fn waiting_returns_the_warning_count() {
        let (pve, upid) = fake("WARNINGS: 2", 3);
        let success = pve
            .wait_task(&upid, &quick())
            .await
            .expect("warnings are success");
        assert_eq!(success.warnings, 2);
    }

    #[tokio::test]
    async fn failed_tasks_carry_the_last_twenty_log_lines() {
        let (pve, upid) = fake("job errors", 30);
        let err = pve.wait_task(&upid, &quick()).await.expect_err("failure");
        let PveError::TaskFailed {
            exitstatus,
            log_tail,
            ..
        } = err
        else {
            panic!("expected TaskFailed, got {err:?}");
        };
        assert_eq!(exitstatus, "job errors");
        assert_eq!(log_tail.len(), 20);
        assert_eq!(log_tail[0], "line 11");
        assert_eq!(log_tail[19], "line 30");
    }

    #[tokio::test]
    async fn fakes_get_not_implemented_for_everything_else() {
        let (pve, _) = fake("OK", 1);
        let err = pve.version().await.expect_err("not scripted");
        assert!(
            matches!(
                err,
                PveError::NotImplemented {
                    operation: "version"
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn waiting_stops_at_the_timeout() {
        let pve = FakePve::builder().hold_tasks().build();
        let upid = pve.start_task("pve1", "vzdump", "");
        let options = WaitOptions {
            poll_interval: Duration::from_millis(5),
            timeout: Duration::from_millis(30),
            log_tail_lines: 20,
        };
        let err = pve
            .wait_task(&upid, &options)
            .await
            .expect_err("never stops");
        assert!(matches!(err, PveError::Timeout { .. }), "{err:?}");
    }
}
