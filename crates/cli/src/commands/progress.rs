//! Following a job: an indicatif progress bar on a terminal, one plain line per change
//! otherwise (logs, CI). Both go to stderr, so `--output json` stays parseable. A
//! command that submits a job ends with [`finish`] (prints it, after `--wait`).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use proxicloud_client::{Client, WaitOptions};
use proxicloud_types::api::jobs::{JobDto, JobStatusDto};

use super::output::{self, Format};
use super::{CommandResult, Failure};

/// Prints the job, after following it to its end with `--wait`.
pub(super) async fn finish(
    client: &Client,
    job: JobDto,
    wait: bool,
    format: Format,
) -> CommandResult {
    finish_with(client, job, wait, |job| print_job(job, format)).await
}

/// [`finish`] with the printing left to `print` (a launch adds its password).
pub(super) async fn finish_with(
    client: &Client,
    job: JobDto,
    wait: bool,
    print: impl Fn(&JobDto) -> CommandResult,
) -> CommandResult {
    let job = if wait {
        match follow(client, &job).await {
            Ok(job) => job,
            Err(Failure::Job(job)) => {
                print(&job)?;
                return Err(Failure::Job(job));
            }
            Err(other) => return Err(other),
        }
    } else {
        job
    };
    print(&job)
}

fn print_job(job: &JobDto, format: Format) -> CommandResult {
    match format {
        Format::Json => output::json(job)?,
        Format::Table => output::job(job),
    }
    Ok(())
}

/// Waits for job `id` to end; `Err(Failure::Job)` unless it succeeded.
pub async fn follow(client: &Client, job: &JobDto) -> Result<JobDto, Failure> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(100);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let mut last_line = String::new();
    let finished = client
        .wait_for_job(job.id, &WaitOptions::default(), |job| {
            let step = job
                .steps
                .get(job.current_step as usize)
                .map(|s| s.name.as_str())
                .unwrap_or("");
            let message = format!("{} {}: {step}", job.kind, job.status.as_str());
            match &bar {
                Some(bar) => {
                    bar.set_position(u64::from(job.progress));
                    bar.set_message(message);
                }
                None => {
                    let line = format!("job {} {}% {message}", job.id, job.progress);
                    if line != last_line {
                        eprintln!("{line}");
                        last_line = line;
                    }
                }
            }
        })
        .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let finished = finished?;
    if finished.status == JobStatusDto::Succeeded {
        eprintln!("job {} succeeded", finished.id);
        Ok(finished)
    } else {
        Err(Failure::Job(Box::new(finished)))
    }
}
