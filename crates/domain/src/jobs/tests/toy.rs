//! A three-step job kind that records what ran where, and a Proxmox (the crate's
//! `FakePve`) whose task step two waits for, to test the engine without any real job
//! logic.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use proxicloud_pve::fake::{FakeGuest, FakePve};
use proxicloud_pve::{GuestType, NodeName, PowerAction, Pve, VmId};
use proxicloud_store::{JobActor, JobStep, NewJob, Uuid};
use serde::Deserialize;

use crate::jobs::{JobHandler, JobRun, StepError};

pub(super) const TOY: &str = "toy";
pub(super) const STEPS: [&str; 3] = ["one", "two", "three"];
/// What step two's transient failures say: internals a job's owner must not read.
pub(super) const TRANSIENT_ERROR: &str =
    "no Proxmox VE node reachable (https://10.0.0.2:8006: Connection refused (os error 111))";

#[derive(Debug, Default, Deserialize)]
struct ToyParams {
    /// The step that fails permanently.
    fail_at: Option<String>,
    /// The container step two starts (100 unless given).
    vmid: Option<u32>,
}

/// Containers `held_pve` has: 100 and the next few, one per sibling of a fan-out.
const CONTAINERS: std::ops::RangeInclusive<u32> = 100..=109;

pub(super) fn toy_job(
    owner_id: Uuid,
    fail_at: Option<&str>,
    idempotency_key: Option<&str>,
) -> NewJob {
    NewJob {
        params: serde_json::json!({ "fail_at": fail_at }),
        idempotency_key: idempotency_key.map(Into::into),
        ..NewJob::new(
            TOY,
            JobActor::User(owner_id),
            STEPS.iter().map(|name| JobStep::pending(*name)).collect(),
        )
    }
}

/// `job` starting its own container in step two: siblings that shared one would
/// find it already running, depending on who got there first.
pub(super) fn with_vmid(mut job: NewJob, vmid: u32) -> NewJob {
    assert!(
        CONTAINERS.contains(&vmid),
        "held_pve has no container {vmid}"
    );
    job.params["vmid"] = vmid.into();
    job
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
    /// Step `two` starts its container (100 unless the job names another) here and
    /// waits for the task.
    pub pve: Option<Arc<FakePve>>,
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
            return Err(StepError::Transient(TRANSIENT_ERROR.into()));
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
                            VmId::new(params.vmid.unwrap_or(100)).unwrap(),
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

/// A Proxmox with containers 100 to 109 on pve1, whose tasks run until `hold_tasks(false)`.
pub(super) fn held_pve() -> Arc<FakePve> {
    let builder = CONTAINERS.fold(FakePve::builder(), |builder, vmid| {
        builder.guest(vmid, FakeGuest::new("pve1", GuestType::Lxc))
    });
    Arc::new(builder.hold_tasks().build())
}
