//! Tasks: started by the guest calls (or `start_task`), ended by time as scripted.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use proxicloud_types::NodeName;

use super::FakePve;
use super::state::{Effect, FakeTask, TaskEnd};
use crate::error::{PveError, Result};
use crate::tasks::{TaskFilter, TaskLog, TaskLogLine, TaskStatus, TaskSummary};
use crate::upid::Upid;

impl FakePve {
    pub(super) fn spawn(&self, node: &str, kind: &str, id: &str, effect: Effect) -> Upid {
        let mut state = self.state();
        state.pid += 1;
        let starttime = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let raw = format!(
            "UPID:{node}:{:08X}:{:08X}:{starttime:08X}:{kind}:{id}:root@pam!ci:",
            state.pid,
            state.pid * 3
        );
        let upid: Upid = raw.parse().expect("valid UPID");
        state.tasks.push(FakeTask {
            upid: upid.clone(),
            started: Instant::now(),
            effect,
            exitstatus: None,
            log: vec![format!("starting {kind} {id}")],
        });
        upid
    }

    /// `POST /nodes/{node}/aplinfo`: a `download` task named after the template whose
    /// log already carries wget's progress lines (`--progress=dot:giga`, as
    /// `PVE::Tools::download_file_from_url` runs it), so progress readers have
    /// something to read while it runs.
    pub(super) fn fake_download_appliance(
        &self,
        node: &NodeName,
        storage: &str,
        template: &str,
    ) -> Result<Upid> {
        self.enter(
            "download_appliance",
            Some(node.as_str()),
            format!("{storage} {template}"),
        )?;
        let upid = self.spawn(node.as_str(), "download", template, Effect::Nothing);
        let mut state = self.state();
        if let Some(task) = state.tasks.iter_mut().find(|t| t.upid == upid) {
            task.log.extend([
                format!("downloading http://download.proxmox.com/images/system/{template} to /var/lib/vz/template/cache/{template}"),
                "Length: 134217728 (128M) [application/octet-stream]".into(),
                "     0K ........ ........ ........ ........ 25% 50.2M 2s".into(),
                " 32768K ........ ........ ........ ........ 50% 61.0M 1s".into(),
            ]);
        }
        Ok(upid)
    }

    /// Ends every task whose time is up, applying its effect if it ends well.
    pub(super) fn finish_due_tasks(&self) {
        let mut state = self.state();
        let state = &mut *state;
        if state.held {
            return;
        }
        let task_time = state.task_time();
        for task in state
            .tasks
            .iter_mut()
            .filter(|t| t.exitstatus.is_none() && t.started.elapsed() >= task_time)
        {
            let mut end = state.task_ends.pop_front().unwrap_or_else(TaskEnd::ok);
            if end.succeeded() && state.failing_kind.as_deref() == Some(task.upid.task_type()) {
                end = TaskEnd::injected_failure();
            }
            let succeeded = end.succeeded();
            let guests = &mut state.guests;
            match (task.effect, succeeded) {
                (Effect::Create(vmid), true) => {
                    if let Some(guest) = guests.get_mut(&vmid) {
                        guest.config.remove("lock");
                    }
                }
                (Effect::Create(vmid), false) if state.creations_die => {
                    if let Some(guest) = guests.get_mut(&vmid) {
                        guest.config.remove("lock");
                        guest.config.remove("description");
                    }
                }
                // PVE rolls a failed creation back.
                (Effect::Create(vmid), false) => {
                    guests.remove(&vmid);
                }
                (Effect::Power(vmid, running), true) => {
                    if let Some(guest) = guests.get_mut(&vmid) {
                        guest.running = running;
                    }
                }
                (Effect::Destroy(vmid), true) => {
                    guests.remove(&vmid);
                }
                (Effect::Backup, true) => {
                    if let Some((node, storage, volume, config)) =
                        state.archives.remove(&task.upid.to_string())
                    {
                        state.archive_configs.insert(volume.volid.clone(), config);
                        state.volumes.push((node, storage, volume));
                    }
                }
                _ => {}
            }
            match end.log {
                Some(log) => task.log = log,
                None if succeeded => task.log.push("TASK OK".into()),
                None => task.log.push(format!("TASK ERROR: {}", end.exitstatus)),
            }
            task.exitstatus = Some(end.exitstatus);
        }
    }

    fn with_task<T>(&self, upid: &Upid, read: impl FnOnce(&FakeTask) -> T) -> Result<T> {
        self.finish_due_tasks();
        let state = self.state();
        let task = state.tasks.iter().find(|t| &t.upid == upid);
        task.map(read).ok_or(PveError::NotFound {
            message: "no such task".into(),
        })
    }

    pub(super) fn fake_task_status(&self, upid: &Upid) -> Result<TaskStatus> {
        self.enter("task_status", Some(upid.node().as_str()), String::new())?;
        self.with_task(upid, |task| TaskStatus {
            status: if task.exitstatus.is_some() {
                "stopped"
            } else {
                "running"
            }
            .into(),
            exitstatus: task.exitstatus.clone(),
            upid: Some(upid.to_string()),
            kind: upid.task_type().into(),
            id: Some(upid.id().into()),
            user: upid.user().into(),
            pid: Some(upid.pid()),
            starttime: Some(upid.starttime()),
        })
    }

    pub(super) fn fake_task_log(&self, upid: &Upid, start: u64, limit: u64) -> Result<TaskLog> {
        self.enter(
            "task_log",
            Some(upid.node().as_str()),
            format!("{start} {limit}"),
        )?;
        self.with_task(upid, |task| {
            let limit = if limit == 0 {
                usize::MAX
            } else {
                limit as usize
            };
            let lines = task
                .log
                .iter()
                .enumerate()
                .skip(start as usize)
                .take(limit)
                .map(|(n, t)| TaskLogLine {
                    n: Some(n as u64 + 1),
                    t: t.clone(),
                })
                .collect();
            TaskLog {
                lines,
                total: Some(task.log.len() as u64),
            }
        })
    }

    /// Newest first, filtered by type and vmid as PVE does.
    pub(super) fn fake_node_tasks(
        &self,
        node: &NodeName,
        filter: &TaskFilter,
    ) -> Result<Vec<TaskSummary>> {
        self.enter("node_tasks", Some(node.as_str()), format!("{filter:?}"))?;
        self.finish_due_tasks();
        let state = self.state();
        let kind_matches = |t: &&FakeTask| {
            let kind = filter.typefilter.as_deref();
            kind.is_none_or(|kind| t.upid.task_type() == kind)
        };
        let vmid_matches = |t: &&FakeTask| {
            filter
                .vmid
                .is_none_or(|vmid| t.upid.id() == vmid.to_string())
        };
        Ok(state
            .tasks
            .iter()
            .rev()
            .filter(|t| t.upid.node() == node)
            .filter(kind_matches)
            .filter(vmid_matches)
            .map(|t| TaskSummary {
                upid: t.upid.clone(),
                node: Some(node.to_string()),
                kind: t.upid.task_type().into(),
                id: Some(t.upid.id().into()),
                user: t.upid.user().into(),
                starttime: Some(t.upid.starttime()),
                endtime: None,
                status: Some(t.exitstatus.clone().unwrap_or("RUNNING".into())),
            })
            .collect())
    }
}
