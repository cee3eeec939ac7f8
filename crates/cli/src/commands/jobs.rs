//! `proxicloud jobs list|watch`.

use clap::{Args, Subcommand, ValueEnum};
use proxicloud_types::api::jobs::{JobListParams, JobStatusDto};
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::{CommandResult, EXIT_CODES_HELP, Failure, connect, progress};

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct JobsArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: JobsCommand,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List jobs, newest first: yours (admins: everyone's).
    List {
        #[arg(long, value_enum)]
        status: Option<Status>,
        /// At most this many (default 50); `--all` for every page.
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long, conflicts_with = "limit")]
        all: bool,
    },
    /// Follow a job until it ends; exit 4 if it fails or is cancelled.
    Watch { id: Uuid },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Status {
    Queued,
    Running,
    /// Waiting for its child jobs.
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
}

impl From<Status> for JobStatusDto {
    fn from(status: Status) -> Self {
        match status {
            Status::Queued => Self::Queued,
            Status::Running => Self::Running,
            Status::Waiting => Self::Waiting,
            Status::Succeeded => Self::Succeeded,
            Status::Failed => Self::Failed,
            Status::Cancelled => Self::Cancelled,
        }
    }
}

pub async fn run(args: JobsArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    match args.command {
        JobsCommand::List { status, limit, all } => {
            let params = JobListParams {
                status: status.map(JobStatusDto::from),
                limit,
                ..JobListParams::default()
            };
            let jobs = if all {
                client.jobs().list_all(&params).await?
            } else {
                client.jobs().list(&params).await?.items
            };
            match format {
                Format::Json => output::json(&jobs)?,
                Format::Table => output::jobs(&jobs),
            }
        }
        JobsCommand::Watch { id } => {
            let job = client.jobs().get(id).await?;
            let outcome = progress::follow(&client, &job).await;
            let job = match &outcome {
                Ok(job) => job.clone(),
                Err(Failure::Job(job)) => (**job).clone(),
                Err(_) => return outcome.map(drop),
            };
            match format {
                Format::Json => output::json(&job)?,
                Format::Table => output::job(&job),
            }
            outcome?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every status the server has can be asked for: this match fails to compile when
    /// the API gains one that `--status` lacks.
    #[test]
    fn every_job_status_is_a_choice() {
        let all = [
            JobStatusDto::Queued,
            JobStatusDto::Running,
            JobStatusDto::Waiting,
            JobStatusDto::Succeeded,
            JobStatusDto::Failed,
            JobStatusDto::Cancelled,
        ];
        for dto in all {
            let choice = match dto {
                JobStatusDto::Queued => Status::Queued,
                JobStatusDto::Running => Status::Running,
                JobStatusDto::Waiting => Status::Waiting,
                JobStatusDto::Succeeded => Status::Succeeded,
                JobStatusDto::Failed => Status::Failed,
                JobStatusDto::Cancelled => Status::Cancelled,
            };
            assert_eq!(JobStatusDto::from(choice), dto);
        }
    }
}
