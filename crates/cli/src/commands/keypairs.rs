//! `proxicloud keypairs create|import|list|delete`. `create` writes the private key
//! (which the server returns once and does not keep) to a new file with mode 0600,
//! and its public key beside it (`.pub`), as `ssh-keygen` does.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use proxicloud_client::Client;
use proxicloud_types::api::keypairs::{
    GenerateKeyPairRequest, ImportKeyPairRequest, KeyPairDto, KeyTypeDto,
};
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::{CommandResult, EXIT_CODES_HELP, Failure, connect};
use crate::files::write_new;

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct KeyPairsArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: KeyPairsCommand,
}

#[derive(Subcommand)]
enum KeyPairsCommand {
    /// Generate a key pair; the private key is written to a new file (mode 0600).
    Create {
        name: String,
        #[arg(long = "type", value_enum, default_value_t)]
        key_type: KeyTypeDto,
        /// Where to write the private key (default `./NAME`); must not exist yet.
        /// The public key goes to the same path plus `.pub`.
        #[arg(long, short = 'f')]
        file: Option<PathBuf>,
    },
    /// Import an existing public key (`~/.ssh/id_ed25519.pub`, or `-` for stdin).
    Import {
        name: String,
        #[arg(long)]
        public_key_file: PathBuf,
    },
    /// List your key pairs (admins: everyone's).
    List,
    /// Delete a key pair (by id or name). Instances launched with it keep the key.
    Delete { key_pair: String },
}

pub async fn run(args: KeyPairsArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    match args.command {
        KeyPairsCommand::Create {
            name,
            key_type,
            file,
        } => {
            let file = file.unwrap_or_else(|| PathBuf::from(&name));
            let public_file = public_path(&file);
            // Refuse before asking the server: a key we cannot save is a key lost, and
            // a pair whose `.pub` cannot be written would be left half-saved.
            if let Some(taken) = [&file, &public_file].into_iter().find(|p| p.exists()) {
                return Err(Failure::Usage(format!(
                    "{} already exists; choose another --file",
                    taken.display()
                )));
            }
            let request = GenerateKeyPairRequest {
                name,
                key_type: Some(key_type),
            };
            let generated = client.key_pairs().generate(&request).await?;
            write_new(&file, generated.private_key.as_bytes(), 0o600)?;
            let public = format!("{}\n", generated.key_pair.public_key);
            write_new(&public_file, public.as_bytes(), 0o644)?;
            print_one(generated.key_pair, format)?;
            eprintln!("private key written to {} (mode 0600)", file.display());
        }
        KeyPairsCommand::Import {
            name,
            public_key_file,
        } => {
            let public_key = read_text(&public_key_file)?;
            let request = ImportKeyPairRequest { name, public_key };
            let pair = client.key_pairs().import(&request).await?;
            print_one(pair, format)?;
        }
        KeyPairsCommand::List => {
            let pairs = client.key_pairs().list().await?.items;
            print_many(&pairs, format)?;
        }
        KeyPairsCommand::Delete { key_pair } => {
            let pair = resolve(&client, &key_pair).await?;
            client.key_pairs().delete(pair.id).await?;
            eprintln!("deleted key pair {} ({})", pair.name, pair.id);
        }
    }
    Ok(())
}

fn print_one(pair: KeyPairDto, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(&pair),
        Format::Table => print_many(&[pair], format),
    }
}

fn print_many(pairs: &[KeyPairDto], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(&pairs),
        Format::Table => {
            output::key_pairs(pairs);
            Ok(())
        }
    }
}

fn public_path(private: &Path) -> PathBuf {
    let mut name = private.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn read_text(path: &Path) -> Result<String, Failure> {
    let mut text = String::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read stdin")?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    }
    Ok(text)
}

/// A key pair by id or by name (among the caller's, which `list` returns).
async fn resolve(client: &Client, wanted: &str) -> Result<KeyPairDto, Failure> {
    if let Ok(id) = wanted.parse::<Uuid>() {
        return Ok(client.key_pairs().get(id).await?);
    }
    let listed = client.key_pairs().list().await?.items;
    Ok(by_name(&listed, wanted)?.clone())
}

/// The ids of key pairs given by id or name, in order: the caller's pairs are listed
/// once, whatever the number of names (an id is passed on as it is; the server checks
/// that it exists and is the caller's).
pub async fn resolve_ids(client: &Client, wanted: &[String]) -> Result<Vec<Uuid>, Failure> {
    let mut listed: Option<Vec<KeyPairDto>> = None;
    let mut ids = Vec::with_capacity(wanted.len());
    for wanted in wanted {
        if let Ok(id) = wanted.parse::<Uuid>() {
            ids.push(id);
            continue;
        }
        let pairs = match &mut listed {
            Some(pairs) => pairs,
            empty => empty.insert(client.key_pairs().list().await?.items),
        };
        ids.push(by_name(pairs, wanted)?.id);
    }
    Ok(ids)
}

fn by_name<'a>(pairs: &'a [KeyPairDto], wanted: &str) -> Result<&'a KeyPairDto, Failure> {
    let mut matches = pairs.iter().filter(|pair| pair.name == wanted);
    match (matches.next(), matches.count()) {
        (Some(pair), 0) => Ok(pair),
        (None, _) => Err(Failure::Usage(format!("no key pair named '{wanted}'"))),
        (Some(_), others) => Err(Failure::Usage(format!(
            "{} key pairs are named '{wanted}': use the id",
            others + 1
        ))),
    }
}
