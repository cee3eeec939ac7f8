//! A parent job kind for the tree tests: its `fan_out` step starts one toy child per
//! key and waits for them; `report` then runs only if every child succeeded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use parking_lot::Mutex;
use proxicloud_store::{JobActor, JobStatus, JobStep, NewJob, Uuid};
use tokio::sync::Notify;

use proxicloud_pve::fake::FakePve;

use super::toy::{TOY, Toy, toy_job, with_vmid};
use crate::jobs::{JobHandler, JobHandlers, JobRun, StepError};

pub(super) const FAN_OUT: &str = "fan_out";

pub(super) fn fan_out_job(owner_id: Uuid) -> NewJob {
    NewJob::new(
        FAN_OUT,
        JobActor::User(owner_id),
        vec![JobStep::pending("fan_out"), JobStep::pending("report")],
    )
}

#[derive(Default)]
pub(super) struct FanOut {
    pub children: usize,
    /// The child with this key fails at its step two.
    pub failing_child: Option<String>,
    /// After spawning, hang forever (the process "dies" there) and notify `spawned`.
    pub hang_after_spawn: AtomicBool,
    pub spawned: Arc<Notify>,
    /// What each run of `fan_out` saw once every child had ended.
    pub outcomes: Mutex<Vec<Vec<(String, JobStatus)>>>,
    pub compensated: Mutex<Vec<String>>,
}

impl FanOut {
    pub(super) fn new(children: usize) -> Arc<Self> {
        Arc::new(Self {
            children,
            ..Self::default()
        })
    }
}

/// The parent kind and the toy kind its children run as.
pub(super) fn tree_handlers(parent: &Arc<FanOut>, child: &Arc<Toy>) -> JobHandlers {
    let mut handlers = JobHandlers::new();
    handlers.register(FAN_OUT, parent.clone());
    handlers.register(TOY, child.clone());
    handlers
}

/// A child toy whose step two waits for a task on `pve` (see `toy::held_pve`).
pub(super) fn waiting_child(pve: &Arc<FakePve>) -> Arc<Toy> {
    Arc::new(Toy {
        pve: Some(pve.clone()),
        ..Toy::default()
    })
}

#[async_trait]
impl JobHandler for FanOut {
    async fn run_step(&self, run: &mut JobRun<'_>, step: &str) -> Result<(), StepError> {
        if step != "fan_out" {
            return Ok(());
        }
        for n in 0..self.children {
            let key = format!("c{n}");
            let fail_at = (self.failing_child.as_deref() == Some(key.as_str())).then_some("two");
            // The actor is the parent's whatever the child says.
            let child = with_vmid(toy_job(Uuid::nil(), fail_at, None), 100 + n as u32);
            run.spawn_child(&key, child).await?;
        }
        if self.hang_after_spawn.load(Ordering::SeqCst) {
            self.spawned.notify_one();
            std::future::pending::<()>().await;
        }
        let children = run.wait_for_children().await?;
        let seen: Vec<(String, JobStatus)> = children
            .iter()
            .map(|c| (c.child_key.clone().unwrap_or_default(), c.status))
            .collect();
        let failed = seen
            .iter()
            .filter(|(_, status)| *status != JobStatus::Succeeded)
            .count();
        self.outcomes.lock().push(seen);
        if failed > 0 {
            return Err(StepError::failed(format!(
                "{failed} of {} children did not succeed",
                children.len()
            )));
        }
        Ok(())
    }

    async fn compensate(&self, _run: &mut JobRun<'_>, failed_step: &str) -> Result<(), StepError> {
        self.compensated.lock().push(failed_step.to_owned());
        Ok(())
    }
}
