//! Asynchronous PVE tasks: every operation that returns a UPID gets a task record
//! with a log, runs for a (scaled) realistic time, then applies its effect.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Cluster, Sim};

/// How many finished tasks the cluster keeps (PVE keeps a rotating index too).
const TASK_HISTORY: usize = 5000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    pub upid: String,
    pub node: String,
    /// Task type as in the UPID: `vzcreate`, `qmstart`, `vzdump`, `srvreload`, …
    pub kind: String,
    /// The object id in the UPID, usually the vmid; may be empty.
    pub id: String,
    pub user: String,
    pub pid: u32,
    pub pstart: u64,
    pub starttime: i64,
    pub endtime: Option<i64>,
    /// `None` while running; then `OK`, `WARNINGS: n`, or the error message.
    pub exitstatus: Option<String>,
    pub log: Vec<String>,
}

impl Task {
    pub fn is_running(&self) -> bool {
        self.exitstatus.is_none()
    }
}

/// What a task's work reports back: lines for the log, and success (with a
/// warning count) or the error text that becomes the exit status.
pub struct TaskOutcome {
    pub log: Vec<String>,
    pub result: Result<u32, String>,
}

impl TaskOutcome {
    pub fn ok(log: Vec<String>) -> Self {
        Self { log, result: Ok(0) }
    }

    pub fn failed(log: Vec<String>, error: impl Into<String>) -> Self {
        Self {
            log,
            result: Err(error.into()),
        }
    }
}

/// The effect a task applies when it finishes. Runs under the cluster lock.
pub type TaskWork = Box<dyn FnOnce(&mut Cluster) -> TaskOutcome + Send>;

pub struct TaskSpec {
    pub node: String,
    pub kind: String,
    pub id: String,
    /// How long the operation takes on real hardware; multiplied by `--time-scale`.
    pub duration: Duration,
    /// Lines logged as soon as the task starts.
    pub start_log: Vec<String>,
    /// Lines logged one by one while it runs, evenly over its duration (a download's
    /// wget progress lines).
    pub progress_log: Vec<String>,
    /// Applied when the task completes normally.
    pub work: TaskWork,
    /// Applied instead of `work` when the task fails by fault injection, so the
    /// cluster is left as PVE would leave it after that failure (e.g. a failed
    /// create removes the half-made guest).
    pub rollback: Option<TaskWork>,
}

impl TaskSpec {
    pub fn new(
        node: &str,
        kind: &str,
        id: impl ToString,
        duration: Duration,
        work: impl FnOnce(&mut Cluster) -> TaskOutcome + Send + 'static,
    ) -> Self {
        Self {
            node: node.to_string(),
            kind: kind.to_string(),
            id: id.to_string(),
            duration,
            start_log: Vec::new(),
            progress_log: Vec::new(),
            work: Box::new(work),
            rollback: None,
        }
    }

    pub fn with_start_log(mut self, lines: Vec<String>) -> Self {
        self.start_log = lines;
        self
    }

    pub fn with_progress_log(mut self, lines: Vec<String>) -> Self {
        self.progress_log = lines;
        self
    }

    pub fn with_rollback(
        mut self,
        rollback: impl FnOnce(&mut Cluster) -> TaskOutcome + Send + 'static,
    ) -> Self {
        self.rollback = Some(Box::new(rollback));
        self
    }
}

/// `UPID:node:PID:PSTART:STARTTIME:type:id:user:` with PID, PSTART and STARTTIME in
/// upper-case hex, 8 digits, as PVE::Tools::upid_encode writes them.
pub fn encode_upid(task: &Task) -> String {
    format!(
        "UPID:{}:{:08X}:{:08X}:{:08X}:{}:{}:{}:",
        task.node, task.pid, task.pstart, task.starttime, task.kind, task.id, task.user
    )
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Cluster {
    pub fn task(&self, upid: &str) -> Option<&Task> {
        self.tasks.iter().rev().find(|t| t.upid == upid)
    }

    fn task_mut(&mut self, upid: &str) -> Option<&mut Task> {
        self.tasks.iter_mut().rev().find(|t| t.upid == upid)
    }

    /// Run a finished task's work (or its rollback on injected failure) and record the result.
    fn finish_task(&mut self, upid: &str, work: TaskWork, rollback: Option<TaskWork>) {
        // Stopped early (`DELETE /nodes/{node}/tasks/{upid}`): the work never happens;
        // undo what the request already did, as PVE's worker cleanup would.
        if self.task(upid).is_some_and(|t| !t.is_running()) {
            if let Some(rollback) = rollback {
                let outcome = rollback(self);
                if let Some(task) = self.task_mut(upid) {
                    task.log.extend(outcome.log);
                }
            }
            return;
        }
        let injected = self.fail_next_tasks > 0;
        let outcome = if injected {
            self.fail_next_tasks -= 1;
            let mut outcome = match rollback {
                Some(rollback) => rollback(self),
                None => TaskOutcome::ok(Vec::new()),
            };
            outcome.result = Err("simulated failure (injected by /sim/faults)".to_string());
            outcome
        } else {
            work(self)
        };
        if let Some(task) = self.task_mut(upid) {
            task.log.extend(outcome.log);
            let status = match outcome.result {
                Ok(0) => "OK".to_string(),
                Ok(n) => format!("WARNINGS: {n}"),
                Err(e) => {
                    task.log.push(format!("TASK ERROR: {e}"));
                    e
                }
            };
            if status == "OK" {
                task.log.push("TASK OK".to_string());
            } else if let Some(n) = status.strip_prefix("WARNINGS: ") {
                task.log.push(format!("TASK WARNINGS: {n}"));
            }
            task.exitstatus = Some(status);
            task.endtime = Some(now());
        }
    }
}

impl Sim {
    /// Record a new running task and schedule its completion. Returns the UPID.
    pub fn spawn_task(&self, cluster: &mut Cluster, user: &str, spec: TaskSpec) -> String {
        cluster.next_pid = cluster.next_pid.wrapping_add(1).max(1000);
        let mut task = Task {
            upid: String::new(),
            node: spec.node,
            kind: spec.kind,
            id: spec.id,
            user: user.to_string(),
            pid: cluster.next_pid,
            pstart: cluster.next_pid as u64 * 7 + 1_000_000,
            starttime: now(),
            endtime: None,
            exitstatus: None,
            log: spec.start_log,
        };
        task.upid = encode_upid(&task);
        let upid = task.upid.clone();
        cluster.tasks.push(task);
        if cluster.tasks.len() > TASK_HISTORY {
            let excess = cluster.tasks.len() - TASK_HISTORY;
            cluster.tasks.drain(..excess);
        }

        let sim = self.clone();
        let delay = self.scaled(spec.duration);
        if !spec.progress_log.is_empty() {
            let every = delay / (spec.progress_log.len() as u32 + 1);
            let (sim, upid) = (self.clone(), upid.clone());
            tokio::spawn(async move {
                for line in spec.progress_log {
                    tokio::time::sleep(every).await;
                    let mut cluster = sim.cluster.lock();
                    match cluster.task_mut(&upid) {
                        Some(task) if task.is_running() => task.log.push(line),
                        _ => return,
                    }
                }
            });
        }
        let (work, rollback) = (spec.work, spec.rollback);
        let task_upid = upid.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            sim.cluster.lock().finish_task(&task_upid, work, rollback);
        });
        upid
    }

    /// A real-world duration scaled by `--time-scale`.
    pub fn scaled(&self, real: Duration) -> Duration {
        real.mul_f64(self.config.time_scale.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upid_has_pve_layout() {
        let task = Task {
            upid: String::new(),
            node: "pve1".into(),
            kind: "vzcreate".into(),
            id: "101".into(),
            user: "root@pam!ci".into(),
            pid: 0x1a2b,
            pstart: 0x3c4d,
            starttime: 0x6740_0000,
            endtime: None,
            exitstatus: None,
            log: vec![],
        };
        assert_eq!(
            encode_upid(&task),
            "UPID:pve1:00001A2B:00003C4D:67400000:vzcreate:101:root@pam!ci:"
        );
    }
}
