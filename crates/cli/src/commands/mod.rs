//! The client commands (`login`, `instances`, `jobs`, `keypairs`): the CLI as a client of a running
//! server's API, through `proxicloud-client`. One module per command family; each
//! returns `Result<(), Failure>` and [`Failure::exit_code`] turns the outcome into
//! the documented exit code.
//!
//! To add a command family: a module here with its clap `Args` and a `run`, a variant
//! in `main.rs`'s `Command`, and a line in the README's CLI section.

pub mod buckets;
pub mod credentials;
pub mod images;
pub mod instances;
pub mod jobs;
pub mod keypairs;
pub mod login;
pub mod output;
pub mod progress;
pub mod s3keys;
pub mod secrets;
mod volume_spec;
pub mod volumes;

use proxicloud_client::{Client, ClientError};
use proxicloud_types::api::jobs::JobDto;

/// Exit codes scripts can rely on (also in `--help` and the README).
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  unexpected error (a bug, or a local file that cannot be written)
  2  usage error (bad arguments, not logged in)
  3  the server refused the request (4xx: bad token, no permission, not found, invalid)
  4  the job failed or was cancelled
  5  cannot reach the server, or it failed (5xx)

Environment: PROXICLOUD_URL and PROXICLOUD_TOKEN override the stored login.";

pub mod exit {
    pub const UNEXPECTED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const REFUSED: i32 = 3;
    pub const JOB_FAILED: i32 = 4;
    pub const UNAVAILABLE: i32 = 5;
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    Api(ClientError),
    /// The job ended, but not with success.
    Job(Box<JobDto>),
    Usage(String),
    Other(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Api(error) if error.is_refused() => exit::REFUSED,
            Self::Api(error) if error.is_unavailable() => exit::UNAVAILABLE,
            Self::Api(_) | Self::Other(_) => exit::UNEXPECTED,
            Self::Job(_) => exit::JOB_FAILED,
            Self::Usage(_) => exit::USAGE,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api(error) => write!(f, "{error}"),
            Self::Job(job) => write!(
                f,
                "job {} {}: {}",
                job.id,
                job.status.as_str(),
                job.error.as_deref().unwrap_or("no reason given")
            ),
            Self::Usage(message) => f.write_str(message),
            Self::Other(error) => write!(f, "{error:#}"),
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Self::Api(error)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::Other(error)
    }
}

pub type CommandResult = Result<(), Failure>;

/// The client for the stored login, or `PROXICLOUD_URL` / `PROXICLOUD_TOKEN`.
pub fn connect() -> Result<Client, Failure> {
    let login = credentials::effective()?;
    Client::new(&login.url, login.token).map_err(|e| Failure::Usage(e.to_string()))
}

/// Prints the failure and gives the process's exit code.
pub fn report(result: CommandResult) -> i32 {
    match result {
        Ok(()) => 0,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.exit_code()
        }
    }
}
