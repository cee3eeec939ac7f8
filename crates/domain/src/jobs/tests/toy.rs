//! A three-step job kind that records what ran where, and a Proxmox fake with one
//! controllable task, to test the engine without any real job logic.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use proxicloud_pve::{
    GuestType, NodeName, PowerAction, Pve, PveError, TaskLog, TaskLogLine, TaskStatus, Upid, VmId,
};
use proxicloud_store::{JobStep, NewJob, Uuid};
use serde::Deserialize;

use crate::jobs::{JobHandler, JobRun, StepError};

pub(super) const TOY: &str = "toy";
pub(super) const STEPS: [&str; 3] = ["one", "two", "three"];

#[derive(Debug, Default, Deserialize)]
struct ToyParams {
    /// The step that fails permanently.
    fail_at: Option<String>,
}

pub(super) fn toy_job(
    owner_id: Uuid,
    fail_at: Option<&str>,
    idempotency_key: Option<&str>,
) -> NewJob {
    NewJob {
        kind: TOY.into(),
        owner_id,
        resource_kind: None,
        resource_id: None,
        params: serde_json::json!({ "fail_at": fail_at }),
        steps: STEPS.iter().map(|name| JobStep::pending(*name)).collect(),
        idempotency_key: idempotency_key.map(Into::into),
    }
}

/// One executed step: its name, the worker, and whether it was a resumed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Call {
    pub step: String,
    pub worker: String,
    pub resumed: bool,
}

#[derive(Default)]
pub(super) struct Toy {
    pub calls: Mutex<Vec<Call>>,
    pub compensated: Mutex<Vec<String>>,
    /// Step `two` fails transiently this many times first.
    pub transient_failures: AtomicU32,
    /// Step `two` works this long without a checkpoint (to lose the lease).
    pub stall: Mutex<Option<Duration>>,
    /// Step `two` starts a task here and waits for it.
    pub pve: Option<Arc<TaskPve>>,
}

impl Toy {
    pub(super) fn steps_run(&self) -> Vec<String> {
        self.calls.lock().iter().map(|c| c.step.clone()).collect()
    }
}

#[async_trait]
impl JobHandler for Toy {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        self.calls.lock().push(Call {
            step: step.to_owned(),
            worker: run.worker_id().to_owned(),
            resumed: run.resumed_mid_step(),
        });
        let params: ToyParams = run.params()?;
        if params.fail_at.as_deref() == Some(step) {
            return Err(StepError::failed(format!("{step} broke")));
        }
        if step != "two" {
            return Ok(());
        }
        if self.transient_failures.load(Ordering::SeqCst) > 0 {
            self.transient_failures.fetch_sub(1, Ordering::SeqCst);
            return Err(StepError::Transient("Proxmox unreachable".into()));
        }
        let stall = *self.stall.lock();
        if let Some(stall) = stall {
            tokio::time::sleep(stall).await;
        }
        if let Some(pve) = &self.pve {
            let upid = match run.recorded_upid() {
                Some(upid) => upid,
                None => {
                    let node = NodeName::new("pve1").unwrap();
                    let upid = pve
                        .power(
                            &node,
                            GuestType::Lxc,
                            VmId::new(100).unwrap(),
                            PowerAction::Start,
                        )
                        .await?;
                    run.record_upid(&upid).await?;
                    upid
                }
            };
            run.wait_task(pve.as_ref(), &upid).await?;
        }
        Ok(())
    }

    async fn compensate(&self, _run: &mut JobRun<'_>, failed_step: &str) -> Result<(), StepError> {
        self.compensated.lock().push(failed_step.to_owned());
        Ok(())
    }
}

/// A Proxmox with one task that runs until `finish` is called.
#[derive(Default)]
pub(super) struct TaskPve {
    pub started: AtomicU32,
    finished: AtomicBool,
    exitstatus: Mutex<String>,
}

pub(super) const TOY_UPID: &str = "UPID:pve1:00001234:00005678:65A1B2C3:vzstart:100:root@pam:";

impl TaskPve {
    pub(super) fn finish(&self, exitstatus: &str) {
        *self.exitstatus.lock() = exitstatus.to_owned();
        self.finished.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl Pve for TaskPve {
    async fn power(
        &self,
        _: &NodeName,
        _: GuestType,
        _: VmId,
        _: PowerAction,
    ) -> Result<Upid, PveError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        Ok(TOY_UPID.parse().unwrap())
    }

    async fn task_status(&self, upid: &Upid) -> Result<TaskStatus, PveError> {
        let finished = self.finished.load(Ordering::SeqCst);
        Ok(TaskStatus {
            status: if finished { "stopped" } else { "running" }.into(),
            exitstatus: finished.then(|| self.exitstatus.lock().clone()),
            upid: Some(upid.to_string()),
            kind: "vzstart".into(),
            id: Some("100".into()),
            user: "root@pam".into(),
            pid: None,
            starttime: None,
        })
    }

    async fn task_log(&self, _: &Upid, _: u64, _: u64) -> Result<TaskLog, PveError> {
        let line = |n: u64, t: &str| TaskLogLine {
            n: Some(n),
            t: t.into(),
        };
        let exit = self.exitstatus.lock().clone();
        Ok(TaskLog {
            lines: vec![
                line(1, "starting CT 100"),
                line(2, &format!("TASK ERROR: {exit}")),
            ],
            total: Some(2),
        })
    }
}
