//! `proxicloud images list|catalog|download|upload|delete|create`.

use std::io::IsTerminal;
use std::path::PathBuf;

use bytes::Bytes;
use clap::{Args, Subcommand, ValueEnum};
use futures_util::stream;
use indicatif::{ProgressBar, ProgressStyle};
use proxicloud_types::api::images::{
    ChecksumAlgorithmDto, DeleteImageQuery, DownloadImageRequest, ImageDto, ImageKindDto,
    UploadContentDto, UploadImageQuery,
};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::progress::finish;
use super::{CommandResult, EXIT_CODES_HELP, Failure, connect};

/// Read and sent at a time.
const CHUNK: usize = 1024 * 1024;

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct ImagesArgs {
    #[command(flatten)]
    output: OutputArgs,
    /// Cluster id (default: the first cluster).
    #[arg(long, global = true)]
    cluster: Option<Uuid>,
    #[command(subcommand)]
    command: ImagesCommand,
}

#[derive(Subcommand)]
enum ImagesCommand {
    /// Container templates, ISOs and VM templates of the cluster.
    List,
    /// Container templates Proxmox VE offers for download (admins).
    Catalog,
    /// Download a container template from the catalogue to a storage (admins).
    Download {
        template: String,
        #[arg(long)]
        node: String,
        #[arg(long, default_value = "local")]
        storage: String,
        #[arg(long)]
        wait: bool,
    },
    /// Upload an ISO (.iso, .img) or container template (.tar, .tar.zst, …) (admins).
    Upload {
        file: PathBuf,
        #[arg(long)]
        node: String,
        #[arg(long, default_value = "local")]
        storage: String,
        /// Expected checksum as `ALGORITHM:HEX` (e.g. `sha256:9f86…`); Proxmox VE
        /// verifies the file before it keeps it.
        #[arg(long, value_parser = parse_checksum)]
        checksum: Option<(ChecksumAlgorithmDto, String)>,
        #[arg(long)]
        wait: bool,
    },
    /// Delete an image by the id the list shows (a volume id or a VM template's vmid).
    Delete {
        id: String,
        /// Only this node's copy of a template or ISO on non-shared storage.
        #[arg(long)]
        node: Option<String>,
        #[arg(long)]
        wait: bool,
    },
    /// Turn a stopped instance into a template.
    Create {
        #[arg(long)]
        instance: Uuid,
        #[arg(long)]
        wait: bool,
    },
}

fn parse_checksum(text: &str) -> Result<(ChecksumAlgorithmDto, String), String> {
    let (algorithm, digest) = text
        .split_once(':')
        .ok_or("expected ALGORITHM:HEX, e.g. sha256:9f86d081…")?;
    let algorithm = ChecksumAlgorithmDto::from_str(algorithm, true).map_err(|_| {
        format!("unknown algorithm '{algorithm}' (md5, sha1, sha224, sha256, sha384, sha512)")
    })?;
    Ok((algorithm, digest.to_ascii_lowercase()))
}

pub async fn run(args: ImagesArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    let images = client.images();
    let cluster_id = args.cluster;
    let (job, wait) = match args.command {
        ImagesCommand::List => {
            let list = images.list(cluster_id).await?;
            match format {
                Format::Json => output::json(&list)?,
                Format::Table => list.items.iter().for_each(print_image),
            }
            return Ok(());
        }
        ImagesCommand::Catalog => {
            let catalog = images.catalog(cluster_id).await?;
            match format {
                Format::Json => output::json(&catalog)?,
                Format::Table => catalog.items.iter().for_each(|a| {
                    output::line(format!(
                        "{}  {}",
                        a.template,
                        a.headline.as_deref().unwrap_or("")
                    ))
                }),
            }
            return Ok(());
        }
        ImagesCommand::Download {
            template,
            node,
            storage,
            wait,
        } => {
            let request = DownloadImageRequest {
                cluster_id,
                node,
                storage,
                template,
            };
            (images.download(&request).await?, wait)
        }
        ImagesCommand::Upload {
            file,
            node,
            storage,
            checksum,
            wait,
        } => {
            let (query, size, body) =
                upload_parts(&file, cluster_id, node, storage, checksum).await?;
            (images.upload(&query, size, body).await?, wait)
        }
        ImagesCommand::Delete { id, node, wait } => {
            let query = DeleteImageQuery { cluster_id, node };
            (images.delete(&id, &query).await?, wait)
        }
        ImagesCommand::Create { instance, wait } => {
            (images.create_from_instance(instance).await?, wait)
        }
    };
    finish(&client, job, wait, format).await
}

/// The upload's parameters and the file as a stream of chunks, with a progress bar of
/// the bytes read on a terminal.
async fn upload_parts(
    path: &std::path::Path,
    cluster_id: Option<Uuid>,
    node: String,
    storage: String,
    checksum: Option<(ChecksumAlgorithmDto, String)>,
) -> Result<
    (
        UploadImageQuery,
        u64,
        impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    ),
    Failure,
> {
    let filename = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Failure::Usage(format!("'{}' is not a file name", path.display())))?
        .to_owned();
    let lower = filename.to_ascii_lowercase();
    let content = if lower.ends_with(".iso") || lower.ends_with(".img") {
        UploadContentDto::Iso
    } else if lower.contains(".tar") {
        UploadContentDto::LxcTemplate
    } else {
        return Err(Failure::Usage(format!(
            "'{filename}' is neither an ISO (.iso, .img) nor a container template (.tar, .tar.zst, …)"
        )));
    };
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| Failure::Usage(format!("cannot open '{}': {e}", path.display())))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| Failure::Usage(format!("cannot read '{}': {e}", path.display())))?
        .len();
    let (checksum_algorithm, checksum) = match checksum {
        Some((algorithm, digest)) => (Some(algorithm), Some(digest)),
        None => (None, None),
    };
    let query = UploadImageQuery {
        cluster_id,
        node,
        storage,
        content,
        filename,
        checksum_algorithm,
        checksum,
        dry_run: false,
        size: None,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template(
                "uploading [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let body = stream::unfold((file, bar), |(mut file, bar)| async move {
        let mut buffer = vec![0; CHUNK];
        match file.read(&mut buffer).await {
            Ok(0) => {
                if let Some(bar) = &bar {
                    bar.finish_and_clear();
                }
                None
            }
            Ok(read) => {
                buffer.truncate(read);
                if let Some(bar) = &bar {
                    bar.inc(read as u64);
                }
                Some((Ok(Bytes::from(buffer)), (file, bar)))
            }
            Err(error) => Some((Err(error), (file, None))),
        }
    });
    Ok((query, size, body))
}

fn print_image(image: &ImageDto) {
    let kind = match image.kind {
        ImageKindDto::LxcTemplate => "template",
        ImageKindDto::Iso => "iso",
        ImageKindDto::VmTemplate => "vm-template",
    };
    output::line(format!(
        "{}  {kind}  {}  {} MiB  {}  {}",
        image.id,
        image.name,
        image.size / (1024 * 1024),
        image.storage.as_deref().unwrap_or("-"),
        image.nodes.join(",")
    ));
}
