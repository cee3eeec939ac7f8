//! Runs one claimed job: its remaining steps in order, retries of transient failures,
//! compensation, cancellation at step boundaries, parking while children run, and the
//! final outcome (see `engine.rs` for why each is crash-safe).

use std::time::Duration;

use proxicloud_store::{Job, JobOutcome, JobStatus, StepStatus};

use super::engine::Shared;
use super::handler::{Interruption, JobHandler, StepError, unreachable_part};
use super::run::JobRun;

pub(super) async fn run_job(shared: &Shared, worker_id: &str, job: Job) {
    let Some(handler) = shared.handlers.get(&job.kind) else {
        let message = format!("no handler for job kind '{}'", job.kind);
        finish(
            shared,
            worker_id,
            &job,
            JobOutcome::Failed { error: message },
        )
        .await;
        return;
    };
    let mut run = JobRun::new(shared, worker_id, job);
    let outcome = match run_steps(shared, handler.as_ref(), &mut run).await {
        Ok(Ended::Done) => JobOutcome::Succeeded,
        Ok(Ended::Cancelled { next_step }) => {
            match cancel(handler.as_ref(), &mut run, next_step).await {
                Ok(outcome) => outcome,
                Err(why) => return interrupted(shared, run, why).await,
            }
        }
        Err(StepError::Interrupted(why)) => return interrupted(shared, run, why).await,
        Err(StepError::Failed(error) | StepError::Transient(error)) => JobOutcome::Failed { error },
    };
    let job = run.into_job();
    finish(shared, worker_id, &job, outcome).await;
}

/// How the steps ended when nothing failed.
enum Ended {
    Done,
    /// Cancellation was requested; `next_step` is the one that did not run.
    Cancelled {
        next_step: usize,
    },
}

/// Runs every step not yet done, stopping before the next one once cancellation is
/// requested. A step that failed earlier (the process died while compensating) is
/// compensated again and fails the job.
async fn run_steps(
    shared: &Shared,
    handler: &dyn JobHandler,
    run: &mut JobRun<'_>,
) -> Result<Ended, StepError> {
    if let Some(index) = run
        .job()
        .steps
        .iter()
        .position(|s| s.status == StepStatus::Failed)
    {
        let error = run.job().steps[index]
            .detail
            .clone()
            .unwrap_or_else(|| "step failed".to_owned());
        return Err(compensate(handler, run, index, error).await);
    }
    for index in 0..run.job().steps.len() {
        if matches!(
            run.job().steps[index].status,
            StepStatus::Succeeded | StepStatus::Skipped
        ) {
            continue;
        }
        if shared.shutdown.is_set() {
            return Err(StepError::Interrupted(Interruption::Shutdown));
        }
        if run.job().cancel_requested_at.is_some() {
            return Ok(Ended::Cancelled { next_step: index });
        }
        run_step(shared, handler, run, index).await?;
    }
    Ok(Ended::Done)
}

/// Compensates for the steps before `next_step` and says how the job ends: cancelled
/// with the canceller's reason (and any cleanup problem appended).
async fn cancel(
    handler: &dyn JobHandler,
    run: &mut JobRun<'_>,
    next_step: usize,
) -> Result<JobOutcome, Interruption> {
    let reason = run
        .job()
        .cancel_reason
        .clone()
        .unwrap_or_else(|| "cancelled".to_owned());
    let name = run.job().steps.get(next_step).map(|s| s.name.clone());
    tracing::info!(job = %run.id(), step = ?name, %reason, "job cancelled; compensating");
    let Some(name) = name else {
        return Ok(JobOutcome::Cancelled {
            reason: Some(reason),
        });
    };
    let reason = match handler.compensate(run, &name).await {
        Ok(()) => reason,
        Err(StepError::Interrupted(why)) => return Err(why),
        Err(StepError::Failed(problem) | StepError::Transient(problem)) => {
            tracing::error!(job = %run.id(), step = %name, %problem, "compensation failed");
            format!("{reason}\n(cleanup after the cancellation did not complete: {problem})")
        }
    };
    Ok(JobOutcome::Cancelled {
        reason: Some(reason),
    })
}

async fn run_step(
    shared: &Shared,
    handler: &dyn JobHandler,
    run: &mut JobRun<'_>,
    index: usize,
) -> Result<(), StepError> {
    let name = run.job().steps[index].name.clone();
    let mut retries = 0;
    loop {
        run.begin_step(index, retries > 0).await?;
        let error = match handler.run_step(run, &name).await {
            Ok(()) => return run.complete_step(index).await,
            Err(StepError::Transient(message)) if retries < shared.config.transient_retries => {
                retries += 1;
                let pause = backoff(shared, retries);
                tracing::warn!(job = %run.id(), step = %name, retries, %message, "step failed transiently; retrying");
                run.set_detail(format!(
                    "could not reach {}; trying again in {} s",
                    unreachable_part(&message),
                    pause.as_secs_f32().ceil()
                ));
                run.checkpoint().await?;
                run.pause(pause).await?;
                continue;
            }
            Err(StepError::Interrupted(why)) => return Err(StepError::Interrupted(why)),
            Err(StepError::Failed(message)) => message,
            Err(StepError::Transient(message)) => format!(
                "could not reach {} ({} tries); the server log has each error",
                unreachable_part(&message),
                retries + 1
            ),
        };
        tracing::warn!(job = %run.id(), step = %name, error = %error, "step failed");
        run.fail_step(index, &error).await?;
        return Err(compensate(handler, run, index, error).await);
    }
}

fn backoff(shared: &Shared, retries: u32) -> Duration {
    let cap = (shared.config.lease / 3).max(shared.config.retry_backoff);
    shared
        .config
        .retry_backoff
        .saturating_mul(1 << retries.min(16).saturating_sub(1))
        .min(cap)
}

/// Runs the handler's compensation for the failed step; returns the error the job
/// fails with (compensation problems are appended, interruptions pass through).
async fn compensate(
    handler: &dyn JobHandler,
    run: &mut JobRun<'_>,
    index: usize,
    error: String,
) -> StepError {
    let name = run.job().steps[index].name.clone();
    match handler.compensate(run, &name).await {
        Ok(()) => StepError::Failed(error),
        Err(StepError::Interrupted(why)) => StepError::Interrupted(why),
        Err(StepError::Failed(problem) | StepError::Transient(problem)) => {
            tracing::error!(job = %run.id(), step = %name, %problem, "compensation failed");
            StepError::Failed(format!(
                "{error}\n(cleanup after the failure did not complete: {problem})"
            ))
        }
    }
}

async fn interrupted(shared: &Shared, run: JobRun<'_>, why: Interruption) {
    let worker_id = run.worker_id().to_owned();
    let job = run.into_job();
    match why {
        Interruption::Shutdown => {
            match shared
                .store
                .jobs()
                .release(job.id, &worker_id, shared.config.clock.now())
                .await
            {
                Ok(released) => {
                    tracing::info!(job = %job.id, "job handed back to the queue for shutdown");
                    shared.publish(&released);
                }
                Err(error) => {
                    tracing::warn!(job = %job.id, %error, "cannot release the job; its lease will expire")
                }
            }
        }
        Interruption::WaitingForChildren => park(shared, &worker_id, &job).await,
        Interruption::LeaseLost | Interruption::CheckpointFailed => {
            tracing::warn!(job = %job.id, ?why, "stopped working on the job");
        }
    }
}

/// Parks a parent until its children end, freeing this worker. If they all ended in
/// the meantime the store queues it instead, and a worker (likely this one) takes it
/// again at once.
async fn park(shared: &Shared, worker_id: &str, job: &Job) {
    let now = shared.config.clock.now();
    match shared
        .store
        .jobs()
        .wait_for_children(job.id, worker_id, now)
        .await
    {
        Ok(parked) => {
            tracing::debug!(job = %job.id, status = %parked.status, "job waits for its children");
            shared.publish(&parked);
            if parked.status == JobStatus::Queued {
                shared.wake.notify_one();
            }
        }
        // Its lease runs out and the next worker re-runs the step, which waits again.
        Err(error) => tracing::warn!(job = %job.id, %error, "cannot park the job"),
    }
}

async fn finish(shared: &Shared, worker_id: &str, job: &Job, outcome: JobOutcome) {
    let status = outcome.status();
    match shared
        .store
        .jobs()
        .finish(job.id, worker_id, outcome, shared.config.clock.now())
        .await
    {
        Ok(finished) => {
            tracing::info!(job = %job.id, kind = %job.kind, %status, "job finished");
            shared.publish(&finished);
            if let Some(parent_id) = finished.parent_id {
                announce_parent(shared, parent_id).await;
            }
        }
        // Another worker holds it now, or the database is down: whoever runs it next
        // finds every step done and finishes it.
        Err(error) => tracing::warn!(job = %job.id, %error, "cannot record the job's end"),
    }
}

/// A child ended: its parent may have been queued again in the same transaction.
async fn announce_parent(shared: &Shared, parent_id: proxicloud_store::Uuid) {
    match shared.store.jobs().get(parent_id).await {
        Ok(parent) => {
            if parent.status == JobStatus::Queued {
                shared.wake.notify_one();
            }
            shared.publish(&parent);
        }
        Err(error) => tracing::debug!(job = %parent_id, %error, "cannot read the parent job"),
    }
}
