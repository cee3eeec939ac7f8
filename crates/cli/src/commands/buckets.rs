//! `proxicloud buckets list|create|delete` and `proxicloud objects ls|put|get|rm`:
//! buckets and their objects through the API (the same buckets S3 clients see).
//! Uploads and downloads stream the file; they never hold it in memory.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use clap::{Args, Subcommand};
use futures_util::{StreamExt, stream};
use proxicloud_types::api::buckets::{BucketDto, ObjectListQuery};
use proxicloud_types::api::common::PageQuery;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::output::{self, Format, OutputArgs};
use super::{CommandResult, EXIT_CODES_HELP, Failure, connect};

const CHUNK: usize = 256 * 1024;

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct BucketsArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: BucketsCommand,
}

#[derive(Subcommand)]
enum BucketsCommand {
    /// List your buckets (admins: everyone's) with size and object count.
    List,
    /// Create a bucket (names are unique across all users).
    Create { name: String },
    /// Delete an empty bucket.
    Delete { name: String },
}

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct ObjectsArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: ObjectsCommand,
}

#[derive(Subcommand)]
enum ObjectsCommand {
    /// List a bucket's folder (`PREFIX` ending with `/`), or everything with --recursive.
    Ls {
        bucket: String,
        prefix: Option<String>,
        #[arg(long, short)]
        recursive: bool,
    },
    /// Upload a file as KEY (default: the file's name).
    Put {
        bucket: String,
        file: PathBuf,
        key: Option<String>,
        #[arg(long, default_value = "application/octet-stream")]
        content_type: String,
    },
    /// Download KEY to FILE (default: the key's last segment; `-` for stdout).
    Get {
        bucket: String,
        key: String,
        file: Option<PathBuf>,
    },
    /// Delete objects.
    Rm {
        bucket: String,
        #[arg(required = true)]
        keys: Vec<String>,
    },
}

pub async fn run_buckets(args: BucketsArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    let buckets = client.buckets();
    match args.command {
        BucketsCommand::List => {
            let mut all = Vec::new();
            let mut page = PageQuery {
                limit: Some(1000),
                cursor: None,
            };
            loop {
                let listed = buckets.list(&page).await?;
                all.extend(listed.items);
                match listed.next_cursor {
                    Some(cursor) => page.cursor = Some(cursor),
                    None => break,
                }
            }
            print_buckets(&all, format)?;
        }
        BucketsCommand::Create { name } => print_buckets(&[buckets.create(&name).await?], format)?,
        BucketsCommand::Delete { name } => {
            buckets.delete(&name).await?;
            eprintln!("deleted bucket {name}");
        }
    }
    Ok(())
}

fn print_buckets(items: &[BucketDto], format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        return output::json(&items);
    }
    let mut table = output::table(&["NAME", "OBJECTS", "SIZE", "CREATED"]);
    for bucket in items {
        table.add_row(vec![
            bucket.name.clone(),
            bucket.object_count.to_string(),
            bucket.size_bytes.to_string(),
            bucket.created_at.to_string(),
        ]);
    }
    output::line(table);
    Ok(())
}

pub async fn run_objects(args: ObjectsArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    let buckets = client.buckets();
    match args.command {
        ObjectsCommand::Ls {
            bucket,
            prefix,
            recursive,
        } => {
            let mut query = ObjectListQuery {
                prefix,
                delimiter: (!recursive).then(|| "/".to_owned()),
                ..ObjectListQuery::default()
            };
            let (mut folders, mut objects) = (Vec::new(), Vec::new());
            loop {
                let page = buckets.list_objects(&bucket, &query).await?;
                folders.extend(page.common_prefixes);
                objects.extend(page.objects);
                match page.next_cursor {
                    Some(cursor) => query.cursor = Some(cursor),
                    None => break,
                }
            }
            if format == Format::Json {
                output::json(&serde_json::json!({ "folders": folders, "objects": objects }))?;
            } else {
                let mut table = output::table(&["KEY", "SIZE", "LAST MODIFIED", "ETAG"]);
                for folder in folders {
                    table.add_row(vec![folder, "-".into(), "".into(), "".into()]);
                }
                for object in objects {
                    table.add_row(vec![
                        object.key,
                        object.size.to_string(),
                        object.last_modified.to_string(),
                        object.etag,
                    ]);
                }
                output::line(table);
            }
        }
        ObjectsCommand::Put {
            bucket,
            file,
            key,
            content_type,
        } => {
            let key = match key {
                Some(key) => key,
                None => file_name(&file)?,
            };
            let (size, body) = file_stream(&file).await?;
            let object = buckets
                .put(&bucket, &key, &content_type, Some(size), body)
                .await?;
            if format == Format::Json {
                output::json(&object)?;
            } else {
                eprintln!(
                    "uploaded {} ({} bytes, etag {})",
                    object.key, object.size, object.etag
                );
            }
        }
        ObjectsCommand::Get { bucket, key, file } => {
            let body = buckets.get(&bucket, &key).await?;
            let target = file.unwrap_or_else(|| {
                PathBuf::from(
                    key.rsplit('/')
                        .find(|s| !s.is_empty())
                        .unwrap_or("download"),
                )
            });
            let written = save(body, &target).await?;
            if target != Path::new("-") {
                eprintln!("downloaded {key} to {} ({written} bytes)", target.display());
            }
        }
        ObjectsCommand::Rm { bucket, keys } => {
            let results = buckets.delete_objects(&bucket, keys).await?.results;
            let mut failed = false;
            for result in results {
                match (&result.error, result.deleted) {
                    (Some(error), _) => {
                        failed = true;
                        eprintln!("{}: {error}", result.key);
                    }
                    (None, true) => eprintln!("deleted {}", result.key),
                    (None, false) => eprintln!("{}: no such object", result.key),
                }
            }
            if failed {
                return Err(Failure::Other(anyhow::anyhow!(
                    "some objects were not deleted"
                )));
            }
        }
    }
    Ok(())
}

fn file_name(file: &Path) -> Result<String, Failure> {
    file.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| Failure::Usage(format!("give a key for '{}'", file.display())))
}

async fn file_stream(
    path: &Path,
) -> Result<
    (
        u64,
        impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ),
    Failure,
> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Failure::Usage(format!("cannot open '{}': {e}", path.display())))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| Failure::Usage(format!("cannot read '{}': {e}", path.display())))?
        .len();
    let body = stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0; CHUNK];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(read) => {
                buffer.truncate(read);
                Some((Ok(Bytes::from(buffer)), Some(file)))
            }
            Err(error) => Some((Err(error), None)),
        }
    });
    Ok((size, body))
}

/// Streams the body to `target` (`-`: stdout); a file is written beside and renamed
/// when complete, so a broken download leaves no half file under the name.
async fn save(mut body: proxicloud_client::ByteStream, target: &Path) -> Result<u64, Failure> {
    let mut written = 0u64;
    if target == Path::new("-") {
        let mut out = tokio::io::stdout();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.context("download interrupted")?;
            out.write_all(&chunk).await.context("writing stdout")?;
            written += chunk.len() as u64;
        }
        out.flush().await.context("writing stdout")?;
        return Ok(written);
    }
    let partial = target.with_extension("part");
    let mut file = tokio::fs::File::create(&partial)
        .await
        .with_context(|| format!("cannot create {}", partial.display()))?;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(Failure::Other(
                    anyhow::Error::new(error).context("download interrupted"),
                ));
            }
        };
        file.write_all(&chunk).await.context("writing the file")?;
        written += chunk.len() as u64;
    }
    file.sync_all().await.context("writing the file")?;
    tokio::fs::rename(&partial, target)
        .await
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(written)
}
