//! `JobRun`: one worker's hold on one job while its steps run — the job row as last
//! checkpointed, and the operations a step uses to record what it did.

use std::time::Duration;

use proxicloud_pve::{Pve, PveError, TaskSuccess, Upid, WaitOptions};
use proxicloud_store::{
    ChildOf, Job, JobProgress, JobStep, NewJob, SEALED_PARAMS, StepStatus, StoreError, Timestamp,
    Uuid,
};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::engine::Shared;
use super::handler::{Interruption, StepError};

/// How many log lines a failed task's error carries.
const TASK_LOG_TAIL: u32 = 20;

pub struct JobRun<'a> {
    shared: &'a Shared,
    worker_id: &'a str,
    job: Job,
    /// An earlier attempt of the current step may have done part of its work: the step
    /// was running when this worker claimed the job, or is being retried.
    resumed_mid_step: bool,
    /// The current step asked to be shown as skipped rather than succeeded.
    skip_current: bool,
}

impl<'a> JobRun<'a> {
    pub(super) fn new(shared: &'a Shared, worker_id: &'a str, job: Job) -> Self {
        Self {
            shared,
            worker_id,
            job,
            resumed_mid_step: false,
            skip_current: false,
        }
    }

    pub fn job(&self) -> &Job {
        &self.job
    }

    pub fn id(&self) -> Uuid {
        self.job.id
    }

    /// The user the job acts for, while that user exists (`None`: the system, or a
    /// deleted user).
    pub fn owner_id(&self) -> Option<Uuid> {
        self.job.owner_id
    }

    /// The user the job acts for; fails the step when there is none (a system job, or
    /// the user was deleted while it ran).
    pub fn owner(&self) -> Result<Uuid, StepError> {
        self.job.owner_id.ok_or_else(|| {
            StepError::failed(format!(
                "this job needs a user to act for, and {} is not one (any more)",
                self.job.actor_name
            ))
        })
    }

    /// The job's parameters as the handler stored them at submission.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, StepError> {
        serde_json::from_value(self.job.params.clone())
            .map_err(|e| StepError::failed(format!("job parameters cannot be read: {e}")))
    }

    pub fn now(&self) -> Timestamp {
        self.shared.config.clock.now()
    }

    /// How often to look again at something Proxmox is still doing.
    pub fn poll_interval(&self) -> Duration {
        self.shared.config.task_poll
    }

    /// See the field: when true, look for traces of an earlier attempt before acting.
    pub fn resumed_mid_step(&self) -> bool {
        self.resumed_mid_step
    }

    pub fn current_step(&self) -> &JobStep {
        &self.job.steps[self.job.current_step as usize]
    }

    /// When the current step first started (across attempts).
    pub fn step_started_at(&self) -> Option<Timestamp> {
        self.current_step().started_at
    }

    /// The Proxmox task most recently recorded for this job, if any.
    pub fn recorded_upid(&self) -> Option<Upid> {
        self.job
            .pve_upid
            .as_deref()
            .and_then(|raw| raw.parse().ok())
    }

    /// Progress text of the current step (saved with the next checkpoint).
    pub fn set_detail(&mut self, detail: impl Into<String>) {
        let index = self.job.current_step as usize;
        self.job.steps[index].detail = Some(detail.into());
    }

    /// How far the current step is (0–100, e.g. a download's percentage): the job's
    /// progress moves within that step's share; saved with the next checkpoint.
    pub fn set_step_progress(&mut self, percent: u8) {
        let total = self.job.steps.len().max(1);
        let index = (self.job.current_step as usize).min(total - 1);
        let within = usize::from(percent.min(100));
        self.job.progress = ((index * 100 + within) / total).min(99) as u8;
    }

    /// Names what the job acts on once it exists (a create job's instance); saved with
    /// the next checkpoint, so the job is listed with that resource from then on.
    pub fn set_resource_id(&mut self, id: impl Into<String>) {
        self.job.resource_id = Some(id.into());
    }

    /// Marks the current step as skipped (nothing to do) once it returns `Ok`.
    pub fn skip_step(&mut self, why: impl Into<String>) {
        self.set_detail(why);
        self.skip_current = true;
    }

    pub fn shutdown_requested(&self) -> bool {
        self.shared.shutdown.is_set()
    }

    /// Saves progress (and extends the lease). Returns `Interrupted` when the job must
    /// not be worked on any more: lost lease, unsavable checkpoint, or shutdown — in
    /// which case this checkpoint is where the next worker picks up.
    pub async fn checkpoint(&mut self) -> Result<(), StepError> {
        self.save().await?;
        if self.shutdown_requested() {
            return Err(StepError::Interrupted(Interruption::Shutdown));
        }
        Ok(())
    }

    /// Records the Proxmox task just started, before anything else happens, so a
    /// resumed run waits for it instead of starting it again.
    pub async fn record_upid(&mut self, upid: &Upid) -> Result<(), StepError> {
        self.job.pve_upid = Some(upid.as_str().to_owned());
        self.set_detail(format!("waiting for Proxmox task {upid}"));
        self.checkpoint().await
    }

    /// Waits for a Proxmox task, checkpointing every third of the lease so the job is
    /// not taken over while the task runs. A failed task is `Failed` with PVE's exit
    /// status and log tail; shutdown interrupts the wait (the task keeps running and the
    /// next worker waits for it again).
    pub async fn wait_task(
        &mut self,
        pve: &dyn Pve,
        upid: &Upid,
    ) -> Result<TaskSuccess, StepError> {
        let config = &self.shared.config;
        let deadline = Instant::now() + config.task_timeout;
        let options = WaitOptions {
            poll_interval: config.task_poll,
            timeout: (config.lease / 3).max(Duration::from_millis(10)),
            log_tail_lines: TASK_LOG_TAIL,
        };
        loop {
            let waited = tokio::select! {
                waited = pve.wait_task(upid, &options) => waited,
                () = self.shared.shutdown.wait() => {
                    self.save().await?;
                    return Err(StepError::Interrupted(Interruption::Shutdown));
                }
            };
            match waited {
                Ok(success) => return Ok(success),
                // Still running (or a poll failed on the way): keep waiting.
                Err(PveError::Timeout { .. }) => {}
                Err(error) if error.is_transient() => {
                    tracing::debug!(job = %self.job.id, %upid, %error, "task status poll failed; retrying");
                }
                Err(error) => return Err(error.into()),
            }
            if Instant::now() >= deadline {
                return Err(StepError::failed(format!(
                    "Proxmox task {upid} did not finish within {} s",
                    config.task_timeout.as_secs()
                )));
            }
            self.save().await?;
        }
    }

    /// Removes the job's sealed parameters ([`SEALED_PARAMS`]) once the step that
    /// needed them has used them, so the secret does not wait for the job's end.
    pub async fn drop_sealed(&mut self) -> Result<(), StepError> {
        if self.job.params.get(SEALED_PARAMS).is_none() {
            return Ok(());
        }
        let dropped = self
            .shared
            .store
            .jobs()
            .drop_sealed(self.job.id, self.worker_id, self.now())
            .await;
        match dropped {
            Ok(job) => {
                self.job.params = job.params;
                Ok(())
            }
            Err(StoreError::Stale(_)) => Err(StepError::Interrupted(Interruption::LeaseLost)),
            Err(error) => {
                tracing::error!(job = %self.job.id, %error, "cannot drop the job's sealed parameters; leaving it for a later resume");
                Err(StepError::Interrupted(Interruption::CheckpointFailed))
            }
        }
    }

    /// Sleeps, but returns `Interrupted` at once on shutdown.
    pub async fn pause(&mut self, duration: Duration) -> Result<(), StepError> {
        tokio::select! {
            () = tokio::time::sleep(duration) => Ok(()),
            () = self.shared.shutdown.wait() => Err(StepError::Interrupted(Interruption::Shutdown)),
        }
    }

    /// Starts a child job (acting for this job's actor), or returns the one this job
    /// already started under `key`: a step re-run after a crash finds its children
    /// instead of starting them twice. `job.actor` and `job.parent` are overwritten.
    pub async fn spawn_child(&mut self, key: &str, mut job: NewJob) -> Result<Job, StepError> {
        job.actor = self.job.actor.clone();
        job.parent = Some(ChildOf {
            parent_id: self.job.id,
            key: key.to_owned(),
        });
        let created = self.shared.store.jobs().create(job).await?;
        if created.created {
            self.shared.publish(&created.job);
            self.shared.wake.notify_one();
        }
        Ok(created.job)
    }

    /// This job's children, oldest first, as they are now.
    pub async fn children(&self) -> Result<Vec<Job>, StepError> {
        Ok(self.shared.store.jobs().children(self.job.id).await?)
    }

    /// Every child's final state once all have ended (what a failed child means is the
    /// step's decision). While any is unfinished this returns `Interrupted`: the step
    /// must pass it on (`?`), the job is parked without holding a worker, and the step
    /// runs again from its start when the last child ends — so spawn before waiting,
    /// idempotently, as [`JobRun::spawn_child`] does.
    pub async fn wait_for_children(&mut self) -> Result<Vec<Job>, StepError> {
        let children = self.children().await?;
        let unfinished = children
            .iter()
            .filter(|child| !child.status.is_terminal())
            .count();
        if unfinished == 0 {
            return Ok(children);
        }
        self.set_detail(format!(
            "waiting for {unfinished} of {} child jobs",
            children.len()
        ));
        self.save().await?;
        Err(StepError::Interrupted(Interruption::WaitingForChildren))
    }

    // ---- engine side ----

    pub(super) fn into_job(self) -> Job {
        self.job
    }

    pub(super) fn worker_id(&self) -> &str {
        self.worker_id
    }

    /// Makes `index` the current step and marks it running. `retry`: the same worker is
    /// running it again after a transient failure.
    pub(super) async fn begin_step(&mut self, index: usize, retry: bool) -> Result<(), StepError> {
        let now = self.now();
        let step = &mut self.job.steps[index];
        self.resumed_mid_step = retry || step.status == StepStatus::Running;
        self.skip_current = false;
        step.status = StepStatus::Running;
        step.started_at.get_or_insert(now);
        step.finished_at = None;
        self.job.current_step = index as u32;
        self.save().await
    }

    pub(super) async fn complete_step(&mut self, index: usize) -> Result<(), StepError> {
        let now = self.now();
        let total = self.job.steps.len().max(1);
        let step = &mut self.job.steps[index];
        step.status = if self.skip_current {
            StepStatus::Skipped
        } else {
            StepStatus::Succeeded
        };
        step.finished_at = Some(now);
        self.job.progress = ((index + 1) * 100 / total).min(99) as u8;
        self.save().await
    }

    pub(super) async fn fail_step(&mut self, index: usize, message: &str) -> Result<(), StepError> {
        let now = self.now();
        let step = &mut self.job.steps[index];
        step.status = StepStatus::Failed;
        step.finished_at = Some(now);
        step.detail = Some(message.to_owned());
        self.save().await
    }

    /// Writes the checkpoint and publishes it; keeps the row the store returned.
    pub(super) async fn save(&mut self) -> Result<(), StepError> {
        let progress = JobProgress {
            steps: self.job.steps.clone(),
            current_step: self.job.current_step,
            progress: self.job.progress,
            pve_upid: self.job.pve_upid.clone(),
            resource_id: self.job.resource_id.clone(),
        };
        let now = self.now();
        let saved = self
            .shared
            .store
            .jobs()
            .checkpoint(
                self.job.id,
                self.worker_id,
                &progress,
                now,
                self.shared.config.lease,
            )
            .await;
        match saved {
            Ok(job) => {
                self.job = job;
                self.shared.publish(&self.job);
                Ok(())
            }
            Err(StoreError::Stale(_)) => {
                tracing::warn!(job = %self.job.id, worker = self.worker_id, "lost the job's lease; leaving it to its new worker");
                Err(StepError::Interrupted(Interruption::LeaseLost))
            }
            Err(error) => {
                tracing::error!(job = %self.job.id, %error, "cannot checkpoint the job; leaving it for a later resume");
                Err(StepError::Interrupted(Interruption::CheckpointFailed))
            }
        }
    }
}
