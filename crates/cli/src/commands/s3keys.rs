//! `proxicloud s3 keys create|list|disable|enable|delete`: the caller's S3 access
//! keys. `create` prints the secret, which the server shows this once.

use clap::{Args, Subcommand};
use proxicloud_types::api::s3::AccessKeyDto;
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::{CommandResult, EXIT_CODES_HELP, Failure, connect};

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct S3Args {
    #[command(subcommand)]
    command: S3Command,
}

#[derive(Subcommand)]
enum S3Command {
    /// Access keys for S3 clients (aws, rclone, s3cmd, SDKs).
    Keys(KeysArgs),
}

#[derive(Args)]
struct KeysArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key; its secret is printed this once.
    Create,
    /// List your keys (admins: everyone's).
    List,
    /// Disable a key (by id or access key id): S3 clients using it are refused.
    Disable { key: String },
    /// Enable a disabled key again.
    Enable { key: String },
    /// Delete a key.
    Delete { key: String },
}

pub async fn run(args: S3Args) -> CommandResult {
    let S3Command::Keys(args) = args.command;
    let client = connect()?;
    let format = args.output.output;
    let keys = client.access_keys();
    match args.command {
        KeysCommand::Create => {
            let created = keys.create().await?;
            match format {
                Format::Json => output::json(&created)?,
                Format::Table => {
                    println!("access_key_id     = {}", created.access_key_id);
                    println!("secret_access_key = {}", created.secret_access_key);
                    eprintln!("store the secret now: it is not shown again");
                }
            }
        }
        KeysCommand::List => print(&keys.list().await?.items, format)?,
        KeysCommand::Disable { key } => {
            let id = resolve(&client, &key).await?;
            print(&[keys.set_disabled(id, true).await?], format)?;
        }
        KeysCommand::Enable { key } => {
            let id = resolve(&client, &key).await?;
            print(&[keys.set_disabled(id, false).await?], format)?;
        }
        KeysCommand::Delete { key } => {
            let id = resolve(&client, &key).await?;
            keys.delete(id).await?;
            eprintln!("deleted access key {key}");
        }
    }
    Ok(())
}

fn print(keys: &[AccessKeyDto], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(&keys),
        Format::Table => {
            let mut table = output::table(&["ID", "ACCESS KEY ID", "STATE", "CREATED"]);
            for key in keys {
                let state = if key.disabled { "disabled" } else { "enabled" };
                table.add_row(vec![
                    key.id.to_string(),
                    key.access_key_id.clone(),
                    state.to_owned(),
                    key.created_at.to_string(),
                ]);
            }
            output::line(table);
            Ok(())
        }
    }
}

/// A key by id, or by its access key id (`PC…`).
async fn resolve(client: &proxicloud_client::Client, wanted: &str) -> Result<Uuid, Failure> {
    if let Ok(id) = wanted.parse::<Uuid>() {
        return Ok(id);
    }
    let listed = client.access_keys().list().await?.items;
    listed
        .iter()
        .find(|k| k.access_key_id == wanted)
        .map(|k| k.id)
        .ok_or_else(|| Failure::Usage(format!("no access key '{wanted}'")))
}
