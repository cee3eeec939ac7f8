//! `proxicloud jobs list|watch`.

use clap::{Args, Subcommand};
use proxicloud_types::api::jobs::{JobListParams, JobStatusDto};
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::{CommandResult, EXIT_CODES_HELP, connect, progress};

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
        status: Option<JobStatusDto>,
        /// At most this many (default 50); `--all` for every page.
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long, conflicts_with = "limit")]
        all: bool,
    },
    /// Follow a job until it ends; exit 4 if it fails or is cancelled.
    Watch { id: Uuid },
}

pub async fn run(args: JobsArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    match args.command {
        JobsCommand::List { status, limit, all } => {
            let params = JobListParams {
                status,
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
            progress::finish(&client, job, true, format).await?;
        }
    }
    Ok(())
}
