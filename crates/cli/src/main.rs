//! `proxicloud`: one binary, wiring only. Each subcommand lives in its own module.

mod admin;
mod commands;
mod config;
mod demo;
mod files;
mod install;
mod logging;
mod pve_sim;
mod s3;
mod serve;
mod tls;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "proxicloud",
    version,
    about = "A small self-hosted cloud on top of Proxmox VE",
    after_help = commands::EXIT_CODES_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the control plane: API, console and workers.
    Serve(serve::ServeArgs),
    /// Maintenance tasks run against the database (e.g. `verify-audit`).
    Admin(admin::AdminArgs),
    /// Install this binary as a hardened systemd service (`--system`); again to upgrade.
    Install(install::InstallArgs),
    /// Run the Proxmox VE simulator (for demos, tests and benchmarks).
    PveSim(pve_sim::PveSimArgs),
    /// Log in to a server and store its URL and an API token for the commands below.
    Login(commands::login::LoginArgs),
    /// Containers and VMs: list, get, launch, start, stop, reboot, terminate.
    Instances(commands::instances::InstancesArgs),
    /// The jobs behind long operations: list, watch.
    Jobs(commands::jobs::JobsArgs),
    /// Images: list, catalogue, download, upload, delete, create from an instance.
    Images(commands::images::ImagesArgs),
    /// Data volumes and their snapshots: list, create, attach, detach, grow, delete, snapshot, clone.
    Volumes(commands::volumes::VolumesArgs),
    /// SSH key pairs to launch instances with: create, import, list, delete.
    Keypairs(commands::keypairs::KeyPairsArgs),
    /// Buckets of the object store (the ones S3 clients see): list, create, delete.
    Buckets(commands::buckets::BucketsArgs),
    /// Objects in a bucket: ls, put, get, rm (streamed both ways).
    Objects(commands::buckets::ObjectsArgs),
    /// S3: access keys for S3 clients (create, list, disable, enable, delete).
    S3(commands::s3keys::S3Args),
    /// The secrets vault: list, get, put (value from stdin or a file), rm, versions,
    /// rollback, grant, revoke, and the secrets an instance receives.
    Secrets(commands::secrets::SecretsArgs),
    /// Print the default configuration file (TOML).
    PrintDefaultConfig,
    /// Show the effective configuration (defaults, file, environment) and any unknown keys.
    CheckConfig {
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Serve(args) => {
            let (config, warnings) = args.config.load()?;
            let log_level = logging::LogLevel::init(&config.log_level);
            for warning in warnings {
                tracing::warn!("{warning}");
            }
            runtime.block_on(serve::run(args, config, log_level))
        }
        Command::Admin(args) => {
            logging::LogLevel::init("warn");
            runtime.block_on(admin::run(args))
        }
        Command::Install(args) => install::run(args),
        Command::PveSim(args) => {
            logging::LogLevel::init("info");
            runtime.block_on(pve_sim::run(args))
        }
        Command::Login(args) => client_command(&runtime, commands::login::run(args)),
        Command::Instances(args) => client_command(&runtime, commands::instances::run(args)),
        Command::Jobs(args) => client_command(&runtime, commands::jobs::run(args)),
        Command::Images(args) => client_command(&runtime, commands::images::run(args)),
        Command::Volumes(args) => client_command(&runtime, commands::volumes::run(args)),
        Command::Keypairs(args) => client_command(&runtime, commands::keypairs::run(args)),
        Command::Buckets(args) => client_command(&runtime, commands::buckets::run_buckets(args)),
        Command::Objects(args) => client_command(&runtime, commands::buckets::run_objects(args)),
        Command::S3(args) => client_command(&runtime, commands::s3keys::run(args)),
        Command::Secrets(args) => client_command(&runtime, commands::secrets::run(args)),
        Command::PrintDefaultConfig => {
            print!("{}", config::Config::default_toml());
            Ok(())
        }
        Command::CheckConfig { config } => {
            logging::LogLevel::init("info");
            check_config(config.as_deref())
        }
    }
}

/// Runs a client command and exits with its documented exit code.
fn client_command(
    runtime: &tokio::runtime::Runtime,
    command: impl std::future::Future<Output = commands::CommandResult>,
) -> ! {
    logging::LogLevel::init("warn");
    let code = commands::report(runtime.block_on(command));
    std::process::exit(code)
}

fn check_config(file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let (config, warnings) = config::Config::load(file, std::env::vars())?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let shown = config::Config {
        database_url: config::redact_url_password(&config.database_url),
        ..config.clone()
    };
    println!("{}", toml::to_string_pretty(&shown)?);
    println!(
        "# database: {}",
        config::redact_url_password(&config.database_url())
    );
    println!("# master key file: {}", config.master_key_path().display());
    Ok(())
}
