//! `proxicloud secrets list|get|put|rm|versions|rollback|grant|revoke|instance`: the
//! secrets vault. `put` reads the value from stdin (one final line break dropped) or
//! from `--from-file` (as is) — never from the command line, where `ps` and shell
//! history would show it. `get` prints the value alone, for `$(…)`; every `get` is an
//! audited read.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use proxicloud_client::Client;
use proxicloud_types::api::secrets::{CreateSecretRequest, SecretDto, UpdateSecretRequest};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::{CommandResult, EXIT_CODES_HELP, Failure, connect};

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct SecretsArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: SecretsCommand,
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// List your secrets and those granted to you (names and metadata, never values).
    List,
    /// Print a secret's value (an audited read).
    Get { name: String },
    /// Create a secret, or give it a new value (a new version). The value comes from
    /// stdin, or from --from-file; never from the command line.
    Put {
        name: String,
        /// Read the value from this file, byte for byte (UTF-8 text).
        #[arg(long, value_name = "PATH")]
        from_file: Option<PathBuf>,
        #[arg(long)]
        description: Option<String>,
        /// A tag (repeatable); replaces the tags when given.
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Delete a secret and its versions; instances receiving it lose the variable.
    Rm { name: String },
    /// The kept versions, newest first.
    Versions { name: String },
    /// Make a kept version's value current again (as a new version).
    Rollback { name: String, version: u32 },
    /// Let another user (username or id) read the secret, whatever their role.
    Grant { name: String, user: String },
    /// Take a grant back.
    Revoke { name: String, user: String },
    /// Show, or with --set replace, the secrets an instance receives as environment
    /// variables (containers on Proxmox VE 9.1+).
    Instance {
        id: Uuid,
        /// Secret names (or ids), comma-separated; an empty value removes them all.
        #[arg(long, value_delimiter = ',', num_args = 0..)]
        set: Option<Vec<String>>,
    },
}

pub async fn run(args: SecretsArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    let secrets = client.secrets();
    match args.command {
        SecretsCommand::List => print(&secrets.list().await?, format)?,
        SecretsCommand::Get { name } => {
            let read = secrets.get(&name).await?;
            match format {
                Format::Json => output::json(&read)?,
                Format::Table => println!("{}", read.value.expose_secret()),
            }
        }
        SecretsCommand::Put {
            name,
            from_file,
            description,
            tags,
        } => {
            let value = read_value(from_file)?;
            let tags = (!tags.is_empty()).then_some(tags);
            let saved = put(&client, &name, value, description, tags).await?;
            print(&[saved], format)?;
        }
        SecretsCommand::Rm { name } => {
            secrets.delete(&name).await?;
            eprintln!("deleted secret {name}");
        }
        SecretsCommand::Versions { name } => {
            let versions = secrets.versions(&name).await?;
            match format {
                Format::Json => output::json(&versions)?,
                Format::Table => {
                    let mut table = output::table(&["VERSION", "CREATED", "CURRENT"]);
                    for v in versions {
                        let current = if v.current { "yes" } else { "" };
                        table.add_row(vec![
                            v.version.to_string(),
                            v.created_at.to_string(),
                            current.to_owned(),
                        ]);
                    }
                    output::line(table);
                }
            }
        }
        SecretsCommand::Rollback { name, version } => {
            print(&[secrets.rollback(&name, version).await?], format)?;
        }
        SecretsCommand::Grant { name, user } => {
            let grant = secrets.grant(&name, &user).await?;
            eprintln!("{} may now read {name}", grant.username);
        }
        SecretsCommand::Revoke { name, user } => {
            secrets.revoke(&name, &user).await?;
            eprintln!("{user} may no longer read {name}");
        }
        SecretsCommand::Instance { id, set } => {
            if let Some(names) = set {
                let names = names.into_iter().filter(|n| !n.is_empty()).collect();
                let job = secrets.set_for_instance(id, names).await?;
                eprintln!("applying as job {}", job.id);
            }
            let shown = secrets.of_instance(id).await?;
            match format {
                Format::Json => output::json(&shown)?,
                Format::Table => {
                    for secret in &shown.secrets {
                        println!("{}", secret.name);
                    }
                    if let Some(status) = &shown.status {
                        eprintln!("status: {status}");
                    }
                    if let Some(reason) = &shown.reason {
                        eprintln!("reason: {reason}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// The value from the file as is, or from stdin without one final line break (what
/// `echo` and a typed line add).
fn read_value(from_file: Option<PathBuf>) -> Result<SecretString, Failure> {
    let text = match from_file {
        Some(path) => std::fs::read_to_string(&path)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?,
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::Usage(format!("cannot read the value from stdin: {e}")))?;
            let trimmed = text
                .strip_suffix("\r\n")
                .or_else(|| text.strip_suffix('\n'))
                .map(str::len);
            if let Some(len) = trimmed {
                text.truncate(len);
            }
            text
        }
    };
    if text.is_empty() {
        return Err(Failure::Usage(
            "no value: pipe it to stdin or give --from-file".into(),
        ));
    }
    Ok(SecretString::from(text))
}

/// A new version of an existing secret, or a new secret.
async fn put(
    client: &Client,
    name: &str,
    value: SecretString,
    description: Option<String>,
    tags: Option<Vec<String>>,
) -> Result<SecretDto, Failure> {
    let secrets = client.secrets();
    let update = UpdateSecretRequest {
        value: Some(value.clone()),
        description: description.clone(),
        tags: tags.clone(),
    };
    match secrets.update(name, &update).await {
        Err(error) if error.status() == Some(404) => {
            let create = CreateSecretRequest {
                name: name.to_owned(),
                value,
                description: description.unwrap_or_default(),
                tags: tags.unwrap_or_default(),
            };
            Ok(secrets.create(&create).await?)
        }
        other => Ok(other?),
    }
}

fn print(secrets: &[SecretDto], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(&secrets),
        Format::Table => {
            let mut table = output::table(&["NAME", "VERSION", "UPDATED", "SHARED", "DESCRIPTION"]);
            for secret in secrets {
                let shared = if secret.shared { "shared" } else { "" };
                table.add_row(vec![
                    secret.name.clone(),
                    secret.version.to_string(),
                    secret.updated_at.to_string(),
                    shared.to_owned(),
                    secret.description.clone(),
                ]);
            }
            output::line(table);
            Ok(())
        }
    }
}
