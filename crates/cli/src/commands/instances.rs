//! `proxicloud instances list|get|launch|start|stop|shutdown|reboot|terminate|resize|
//! rename|tag`.

use std::io::{BufRead, IsTerminal, Write};

use clap::{Args, Subcommand};
use proxicloud_client::{Client, Power};
use proxicloud_types::api::instances::{
    CreateInstanceRequest, InstanceDto, InstanceListParams, InstanceType, LaunchedInstanceDto,
    NetworkDto, ResizeInstanceRequest, UpdateInstanceRequest,
};
use proxicloud_types::api::volumes::LaunchVolumeRequest;
use uuid::Uuid;

use super::output::{self, Format, OutputArgs};
use super::{CommandResult, EXIT_CODES_HELP, Failure, connect, progress};

#[derive(Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct InstancesArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(subcommand)]
    command: InstancesCommand,
}

#[derive(Subcommand)]
enum InstancesCommand {
    /// List the instances you may see (admins: all).
    List(ListArgs),
    /// Show one instance (by id or name).
    Get { instance: String },
    /// Create an instance. Left-out values come from the server's defaults.
    Launch(Box<LaunchArgs>),
    /// Start an instance.
    Start(PowerArgs),
    /// Stop an instance at once (like pulling the plug).
    Stop(PowerArgs),
    /// Shut an instance down cleanly (ACPI for VMs, the init system for containers).
    Shutdown(PowerArgs),
    /// Reboot a running instance.
    Reboot(PowerArgs),
    /// Stop and destroy an instance with its disks.
    Terminate(TerminateArgs),
    /// Change cores and memory and/or grow the root disk. What a running VM cannot
    /// take now (its cores; memory without hot-plug) applies at its next start.
    Resize(ResizeArgs),
    /// Rename an instance (the container's hostname, the VM's name).
    Rename {
        /// Id or name.
        instance: String,
        new_name: String,
    },
    /// Replace an instance's tags (none given: remove them all).
    Tag {
        /// Id or name.
        instance: String,
        tags: Vec<String>,
    },
}

#[derive(Args)]
struct ResizeArgs {
    /// Id or name.
    instance: String,
    #[arg(long)]
    cores: Option<u32>,
    /// MiB.
    #[arg(long)]
    memory: Option<u64>,
    /// GiB: the root disk's new size (disks only grow).
    #[arg(long)]
    disk: Option<u64>,
    #[command(flatten)]
    wait: WaitArg,
}

#[derive(Args)]
struct ListArgs {
    /// Only instances whose name contains this (case-insensitive).
    #[arg(long)]
    name: Option<String>,
    /// `running`, `stopped`, …
    #[arg(long)]
    status: Option<String>,
    #[arg(long = "type", value_enum)]
    kind: Option<InstanceType>,
    /// Only instances with this tag (case-insensitive).
    #[arg(long)]
    tag: Option<String>,
}

#[derive(Args)]
struct LaunchArgs {
    /// `lxc` (a container, from `--template`) or `vm` (from `--iso` or `--clone-from`).
    #[arg(long = "type", value_enum)]
    kind: Option<InstanceType>,
    /// A DNS label; generated when left out.
    #[arg(long)]
    name: Option<String>,
    /// Cluster id or name.
    #[arg(long)]
    cluster: Option<String>,
    #[arg(long)]
    node: Option<String>,
    /// Containers: the OS template volume, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    #[arg(long)]
    template: Option<String>,
    /// VMs: the installer ISO volume, e.g. `local:iso/debian-12.iso`.
    #[arg(long)]
    iso: Option<String>,
    /// VMs: the vmid of a VM template to clone.
    #[arg(long)]
    clone_from: Option<u32>,
    #[arg(long)]
    cores: Option<u32>,
    /// MiB.
    #[arg(long)]
    memory: Option<u64>,
    /// GiB.
    #[arg(long)]
    disk: Option<u64>,
    /// Storage for the root disk.
    #[arg(long)]
    storage: Option<String>,
    /// Linux bridge (default `vmbr0`).
    #[arg(long)]
    bridge: Option<String>,
    /// 802.1Q VLAN tag.
    #[arg(long)]
    vlan: Option<u16>,
    /// An OpenSSH public key for root / the cloud-init user (repeatable).
    #[arg(long = "ssh-key")]
    ssh_keys: Vec<String>,
    /// A key pair (`proxicloud keypairs`) by name or id, whose key is installed too
    /// (repeatable).
    #[arg(long = "key-pair")]
    key_pairs: Vec<String>,
    /// A volume made or attached before the first start (repeatable, at most 8):
    /// `name=data,size=20,path=/data` (new; `class=`/`storage=` optional) or
    /// `id=<volume id>,path=/srv` (existing, on the instance's node). VMs take `bus=`
    /// instead of `path=`.
    #[arg(long = "volume", value_parser = super::volume_spec::parse)]
    volumes: Vec<LaunchVolumeRequest>,
    /// Containers: set a generated root password, printed once (stdout; in `--output
    /// json` as `root_password`). A container needs this or an SSH key.
    #[arg(long)]
    generate_root_password: bool,
    /// Containers: a secret (your secret's name, or the id of one shared with you) set as
    /// an environment variable before the first start (repeatable; Proxmox VE 9.1+).
    #[arg(long = "secret", value_name = "NAME")]
    secrets: Vec<String>,
    /// Do not start it once created.
    #[arg(long)]
    no_start: bool,
    /// Repeat a launch safely: the same key returns the first job.
    #[arg(long)]
    idempotency_key: Option<String>,
    #[command(flatten)]
    wait: WaitArg,
}

#[derive(Args)]
struct WaitArg {
    /// Wait until the job ends (progress on stderr); exit 4 if it fails.
    #[arg(long)]
    wait: bool,
}

#[derive(Args)]
struct PowerArgs {
    /// Id or name.
    instance: String,
    #[command(flatten)]
    wait: WaitArg,
}

#[derive(Args)]
struct TerminateArgs {
    /// Id or name.
    instance: String,
    /// Do not ask to type the name to confirm.
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    wait: WaitArg,
}

pub async fn run(args: InstancesArgs) -> CommandResult {
    let client = connect()?;
    let format = args.output.output;
    match args.command {
        InstancesCommand::List(list) => {
            let params = InstanceListParams {
                q: list.name,
                status: list.status,
                kind: list.kind,
                tag: list.tag,
                ..InstanceListParams::default()
            };
            let items = client.instances().list_all(&params).await?;
            match format {
                Format::Json => output::json(&items)?,
                Format::Table => output::instances(&items),
            }
        }
        InstancesCommand::Get { instance } => {
            let instance = resolve(&client, &instance).await?;
            match format {
                Format::Json => output::json(&instance)?,
                Format::Table => output::instance(&instance),
            }
        }
        InstancesCommand::Launch(launch) => {
            let wait = launch.wait.wait;
            let key = launch.idempotency_key.clone();
            let key_pair_ids = super::keypairs::resolve_ids(&client, &launch.key_pairs).await?;
            let request = create_request(*launch, key_pair_ids);
            let launched = client.instances().launch(&request, key.as_deref()).await?;
            let password = launched.root_password;
            // At once, before any waiting: a job that fails later still made the guest.
            if let (Some(password), Format::Table) = (&password, format) {
                output::line(format_args!("root password: {password}"));
                eprintln!(
                    "warning: the root password is shown only this once and is stored nowhere; save it now"
                );
            }
            progress::finish_with(&client, launched.job, wait, |job| {
                match format {
                    Format::Json => output::json(&LaunchedInstanceDto {
                        job: job.clone(),
                        root_password: password.clone(),
                    })?,
                    Format::Table => output::job(job),
                }
                Ok(())
            })
            .await?;
        }
        InstancesCommand::Start(power) => {
            power_action(&client, power, Power::Start, format).await?
        }
        InstancesCommand::Stop(power) => power_action(&client, power, Power::Stop, format).await?,
        InstancesCommand::Shutdown(power) => {
            power_action(&client, power, Power::Shutdown, format).await?
        }
        InstancesCommand::Reboot(power) => {
            power_action(&client, power, Power::Reboot, format).await?
        }
        InstancesCommand::Terminate(terminate) => {
            let instance = resolve(&client, &terminate.instance).await?;
            if !terminate.yes {
                confirm_name(&instance.name)?;
            }
            let job = client
                .instances()
                .terminate(instance.id, &instance.name)
                .await?;
            progress::finish(&client, job, terminate.wait.wait, format).await?;
        }
        InstancesCommand::Resize(resize) => {
            let instance = resolve(&client, &resize.instance).await?;
            let request = ResizeInstanceRequest {
                cores: resize.cores,
                memory: resize.memory,
                disk: resize.disk,
            };
            let job = client.instances().resize(instance.id, &request).await?;
            progress::finish(&client, job, resize.wait.wait, format).await?;
        }
        InstancesCommand::Rename { instance, new_name } => {
            let update = UpdateInstanceRequest {
                name: Some(new_name),
                tags: None,
            };
            edit(&client, &instance, &update, format).await?;
        }
        InstancesCommand::Tag { instance, tags } => {
            let update = UpdateInstanceRequest {
                name: None,
                tags: Some(tags),
            };
            edit(&client, &instance, &update, format).await?;
        }
    }
    Ok(())
}

async fn edit(
    client: &Client,
    instance: &str,
    update: &UpdateInstanceRequest,
    format: Format,
) -> CommandResult {
    let instance = resolve(client, instance).await?;
    let updated = client.instances().update(instance.id, update).await?;
    match format {
        Format::Json => output::json(&updated)?,
        Format::Table => output::instance(&updated),
    }
    Ok(())
}

fn create_request(launch: LaunchArgs, key_pair_ids: Vec<Uuid>) -> CreateInstanceRequest {
    CreateInstanceRequest {
        kind: launch.kind,
        name: launch.name,
        cluster: launch.cluster,
        node: launch.node,
        template: launch.template,
        iso: launch.iso,
        clone_from: launch.clone_from,
        cores: launch.cores,
        memory: launch.memory,
        disk: launch.disk,
        storage: launch.storage,
        network: NetworkDto {
            bridge: launch.bridge,
            vlan: launch.vlan,
        },
        ssh_public_keys: launch.ssh_keys,
        key_pair_ids,
        generate_root_password: launch.generate_root_password,
        start: launch.no_start.then_some(false),
        volumes: launch.volumes,
        secrets: launch.secrets,
    }
}

async fn power_action(
    client: &Client,
    args: PowerArgs,
    action: Power,
    format: Format,
) -> CommandResult {
    let instance = resolve(client, &args.instance).await?;
    let job = client.instances().power(instance.id, action).await?;
    progress::finish(client, job, args.wait.wait, format).await
}

/// An instance by id, or by exact name.
async fn resolve(client: &Client, instance: &str) -> Result<InstanceDto, Failure> {
    if let Ok(id) = instance.parse::<Uuid>() {
        return Ok(client.instances().get(id).await?);
    }
    let params = InstanceListParams {
        q: Some(instance.to_owned()),
        ..InstanceListParams::default()
    };
    let mut matches: Vec<InstanceDto> = client
        .instances()
        .list_all(&params)
        .await?
        .into_iter()
        .filter(|i| i.name == instance)
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(Failure::Usage(format!("no instance named '{instance}'"))),
        n => Err(Failure::Usage(format!(
            "{n} instances are named '{instance}': use the id"
        ))),
    }
}

/// Termination destroys disks: a person types the name; a script passes `--yes`.
fn confirm_name(name: &str) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "terminating needs --yes when not run on a terminal".to_owned(),
        ));
    }
    eprint!("This destroys '{name}' and its disks. Type its name to confirm: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(anyhow::Error::from)?;
    if answer.trim() != name {
        return Err(Failure::Usage("not confirmed".to_owned()));
    }
    Ok(())
}
