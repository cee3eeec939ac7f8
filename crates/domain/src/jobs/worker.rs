//! Runs one claimed job: its remaining steps in order, retries of transient failures,
//! compensation and the final outcome.

use std::time::Duration;

use proxicloud_store::{Job, JobOutcome, StepStatus};

use super::engine::Shared;
use super::handler::{Interruption, JobHandler, StepError};
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
        Ok(()) => JobOutcome::Succeeded,
        Err(StepError::Interrupted(why)) => return interrupted(shared, run, why).await,
        Err(StepError::Failed(error) | StepError::Transient(error)) => JobOutcome::Failed { error },
    };
    let job = run.into_job();
    finish(shared, worker_id, &job, outcome).await;
}

/// Runs every step not yet done. A step that failed earlier (the process died while
/// compensating) is compensated again and fails the job.
async fn run_steps(
    shared: &Shared,
    handler: &dyn JobHandler,
    run: &mut JobRun<'_>,
) -> Result<(), StepError> {
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
        run_step(shared, handler, run, index).await?;
    }
    Ok(())
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
                    "retrying in {} s: {message}",
                    pause.as_secs_f32().ceil()
                ));
                run.checkpoint().await?;
                run.pause(pause).await?;
                continue;
            }
            Err(StepError::Interrupted(why)) => return Err(StepError::Interrupted(why)),
            Err(StepError::Failed(message) | StepError::Transient(message)) => message,
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
        Interruption::LeaseLost | Interruption::CheckpointFailed => {
            tracing::warn!(job = %job.id, ?why, "stopped working on the job");
        }
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
        }
        // Another worker holds it now, or the database is down: whoever runs it next
        // finds every step done and finishes it.
        Err(error) => tracing::warn!(job = %job.id, %error, "cannot record the job's end"),
    }
}
