//! `proxicloud volumes list|get|create|attach|detach|grow|delete|snapshots|snapshot|clone`.

use clap::{Args, Subcommand};
use proxicloud_types::api::volumes::{
    AttachVolumeRequest, CreateVolumeRequest, CreateVolumeSnapshotRequest, VolumeDto,
};
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::progress::finish;
use super::{CommandResult, EXIT_CODES_HELP, connect};

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct VolumesArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: VolumesCommand,
}

#[derive(Subcommand)]
enum VolumesCommand {
    /// List your volumes (admins: all).
    List,
    /// Show one volume.
    Get { volume: Uuid },
    /// Create a volume on a node's storage (1 GiB to 16 TiB); with `--attach`, on that
    /// instance's node, attached by the same job (containers: at `--path`).
    Create {
        #[arg(long)]
        name: String,
        /// GiB.
        #[arg(long)]
        size: u64,
        /// Cluster id (not needed with `--attach`).
        #[arg(long, required_unless_present = "attach")]
        cluster: Option<Uuid>,
        #[arg(long, required_unless_present = "attach")]
        node: Option<String>,
        /// A storage of the node (or `--class`; with neither, the one with the most room).
        #[arg(long, conflicts_with = "class")]
        storage: Option<String>,
        /// A volume class set up by an admin (`ssd`, `hdd`, …).
        #[arg(long)]
        class: Option<String>,
        /// An instance id to attach the new volume to.
        #[arg(long)]
        attach: Option<Uuid>,
        #[arg(long, requires = "attach")]
        path: Option<String>,
        #[arg(long)]
        wait: bool,
    },
    /// Attach to an instance on the volume's node (containers: at `--path`).
    Attach {
        volume: Uuid,
        #[arg(long)]
        instance: Uuid,
        #[arg(long)]
        path: Option<String>,
        #[arg(long)]
        wait: bool,
    },
    /// Detach (a running container must be stopped first).
    Detach {
        volume: Uuid,
        #[arg(long)]
        wait: bool,
    },
    /// Grow a detached volume to `--size` GiB.
    Grow {
        volume: Uuid,
        #[arg(long)]
        size: u64,
        #[arg(long)]
        wait: bool,
    },
    /// Delete a detached volume with its snapshots.
    Delete {
        volume: Uuid,
        #[arg(long)]
        wait: bool,
    },
    /// List a volume's snapshots.
    Snapshots { volume: Uuid },
    /// Snapshot a volume.
    Snapshot {
        volume: Uuid,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        wait: bool,
    },
    /// Create a new volume from a snapshot.
    Clone {
        snapshot: Uuid,
        #[arg(long)]
        name: String,
        #[arg(long)]
        wait: bool,
    },
}

pub async fn run(args: VolumesArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    let volumes = client.volumes();
    let (job, wait) = match args.command {
        VolumesCommand::List => {
            let items = volumes.list_all(&Default::default()).await?;
            match format {
                Format::Json => output::json(&items)?,
                Format::Table => items.iter().for_each(print_volume),
            }
            return Ok(());
        }
        VolumesCommand::Get { volume } => {
            let shown = volumes.get(volume).await?;
            match format {
                Format::Json => output::json(&shown)?,
                Format::Table => print_volume(&shown),
            }
            return Ok(());
        }
        VolumesCommand::Snapshots { volume } => {
            let items = volumes.snapshots(volume).await?;
            match format {
                Format::Json => output::json(&items)?,
                Format::Table => {
                    for s in &items {
                        output::line(format!(
                            "{}  {}  {} GiB  {}  {}",
                            s.id, s.name, s.size_gib, s.status, s.created_at
                        ));
                    }
                }
            }
            return Ok(());
        }
        VolumesCommand::Create {
            name,
            size,
            cluster,
            node,
            storage,
            class,
            attach,
            path,
            wait,
        } => {
            let request = CreateVolumeRequest {
                name,
                size_gib: size,
                cluster_id: cluster,
                node,
                storage,
                class,
                attach: attach.map(|instance_id| AttachVolumeRequest {
                    instance_id,
                    mount_path: path,
                    bus: None,
                }),
            };
            (volumes.create(&request).await?, wait)
        }
        VolumesCommand::Attach {
            volume,
            instance,
            path,
            wait,
        } => {
            let request = AttachVolumeRequest {
                instance_id: instance,
                mount_path: path,
                bus: None,
            };
            (volumes.attach(volume, &request).await?, wait)
        }
        VolumesCommand::Detach { volume, wait } => (volumes.detach(volume).await?, wait),
        VolumesCommand::Grow { volume, size, wait } => (volumes.grow(volume, size).await?, wait),
        VolumesCommand::Delete { volume, wait } => (volumes.delete(volume).await?, wait),
        VolumesCommand::Snapshot {
            volume,
            name,
            description,
            wait,
        } => {
            let request = CreateVolumeSnapshotRequest { name, description };
            (volumes.snapshot(volume, &request).await?, wait)
        }
        VolumesCommand::Clone {
            snapshot,
            name,
            wait,
        } => (volumes.clone_snapshot(snapshot, &name).await?, wait),
    };
    finish(&client, job, wait, format).await
}

fn print_volume(v: &VolumeDto) {
    let attached = v
        .attachment
        .as_ref()
        .map(|a| {
            format!(
                "{} {}{}",
                a.instance_id,
                a.device,
                a.mount_path
                    .as_deref()
                    .map(|p| format!(" at {p}"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "-".to_owned());
    output::line(format!(
        "{}  {}  {} GiB  {}  {}/{}  {}",
        v.id, v.name, v.size_gib, v.status, v.node, v.storage, attached
    ));
}
