//! `proxicloud install --system`: this binary as a hardened systemd service on a
//! Debian or Proxmox VE host — the steps `install.sh` runs after building.
//!
//! - a system user `proxicloud` (no login, no home of its own);
//! - the binary at `/usr/local/bin/proxicloud`;
//! - `/etc/proxicloud/config.toml` (0640 root:proxicloud), written only if missing:
//!   an edited configuration survives every reinstall and upgrade;
//! - `/var/lib/proxicloud` (0700 proxicloud), the data directory;
//! - `/etc/systemd/system/proxicloud.service`, rewritten each time (it is ours);
//! - then the service is enabled and (re)started, and its URL printed.
//!
//! Running it again is an upgrade. `--uninstall` removes the service and binary and
//! keeps configuration and data; `--purge` removes those and the user too.
//! `--root DIR` installs into DIR instead of `/` (packaging, tests): no user is
//! created, no ownership changed, nothing started.

use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::Args;

use crate::files::write_atomic;

const USER: &str = "proxicloud";
const BINARY: &str = "usr/local/bin/proxicloud";
const CONFIG_DIR: &str = "etc/proxicloud";
const CONFIG: &str = "etc/proxicloud/config.toml";
const DATA_DIR: &str = "var/lib/proxicloud";
const UNIT: &str = "etc/systemd/system/proxicloud.service";

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Install as a system service (systemd, system user, /etc and /var/lib).
    #[arg(long, required = true)]
    system: bool,
    /// Install under this directory instead of `/`: no user, no ownership, no start.
    #[arg(long, default_value = "/")]
    root: PathBuf,
    /// Address the service listens on, written into a new configuration file.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Install without starting (or restarting) the service.
    #[arg(long)]
    no_start: bool,
    /// Remove the service and the binary; configuration and data stay.
    #[arg(long)]
    uninstall: bool,
    /// With --uninstall: also remove the configuration, the data and the user.
    #[arg(long, requires = "uninstall")]
    purge: bool,
}

/// The hardened unit: read-only system, no home directories, no new privileges,
/// no capabilities, writes only to the data directory.
pub fn unit_file() -> String {
    format!(
        "[Unit]
Description=ProxiCloud control plane
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={USER}
Group={USER}
ExecStart=/{BINARY} serve --config /{CONFIG}
Restart=on-failure
RestartSec=2
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=
AmbientCapabilities=
ReadWritePaths=/{DATA_DIR}

[Install]
WantedBy=multi-user.target
"
    )
}

fn config_file(listen: SocketAddr) -> String {
    format!(
        "# ProxiCloud configuration. Every key and its default: `proxicloud print-default-config`.\n\
         # Environment variables PROXICLOUD_* override it (e.g. in a systemd drop-in).\n\
         listen = \"{listen}\"\n\
         data_dir = \"/{DATA_DIR}\"\n"
    )
}

pub fn run(args: InstallArgs) -> anyhow::Result<()> {
    debug_assert!(args.system);
    let system = args.root == Path::new("/");
    if system && !is_root()? {
        bail!("installing a system service needs root: run it with sudo");
    }
    let at = |relative: &str| args.root.join(relative);
    if args.uninstall {
        return uninstall(&args, system);
    }
    if system {
        ensure_user()?;
    }
    install_binary(&at(BINARY))?;
    make_dir(&at(CONFIG_DIR), 0o750)?;
    let config = at(CONFIG);
    if config.exists() {
        println!("kept {}", config.display());
    } else {
        write_atomic(&config, config_file(args.listen).as_bytes(), 0o640)?;
        println!("wrote {}", config.display());
    }
    make_dir(&at(DATA_DIR), 0o700)?;
    if system {
        let (uid, gid) = user_ids()?;
        std::os::unix::fs::chown(at(CONFIG_DIR), Some(0), Some(gid))?;
        std::os::unix::fs::chown(&config, Some(0), Some(gid))?;
        std::os::unix::fs::chown(at(DATA_DIR), Some(uid), Some(gid))?;
    }
    let unit = at(UNIT);
    make_dir(unit.parent().expect("the unit has a directory"), 0o755)?;
    write_atomic(&unit, unit_file().as_bytes(), 0o644)?;
    println!("wrote {}", unit.display());
    if system && !args.no_start {
        systemctl(&["daemon-reload"])?;
        systemctl(&["enable", "proxicloud.service"])?;
        // A restart is an upgrade when it already ran; a start otherwise.
        systemctl(&["restart", "proxicloud.service"])?;
        println!(
            "ProxiCloud runs at http://{}\n\
             The first admin login is printed once in its log: \
             journalctl -u proxicloud | grep 'Initial admin login'",
            args.listen
        );
    } else {
        println!("not started; start with: systemctl enable --now proxicloud");
    }
    Ok(())
}

fn uninstall(args: &InstallArgs, system: bool) -> anyhow::Result<()> {
    let at = |relative: &str| args.root.join(relative);
    if system && at(UNIT).exists() {
        systemctl(&["disable", "--now", "proxicloud.service"])?;
    }
    for file in [at(UNIT), at(BINARY)] {
        remove_file(&file)?;
    }
    if system {
        systemctl(&["daemon-reload"])?;
    }
    if args.purge {
        for dir in [at(CONFIG_DIR), at(DATA_DIR)] {
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing {}", dir.display()))?;
                println!("removed {}", dir.display());
            }
        }
        if system && user_exists()? {
            run_tool("userdel", &[USER])?;
        }
    } else {
        println!(
            "kept {} and {} (remove them with --uninstall --purge)",
            at(CONFIG_DIR).display(),
            at(DATA_DIR).display()
        );
    }
    Ok(())
}

fn is_root() -> anyhow::Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .context("running id -u")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn user_exists() -> anyhow::Result<bool> {
    Ok(Command::new("getent")
        .args(["passwd", USER])
        .output()
        .context("running getent")?
        .status
        .success())
}

fn ensure_user() -> anyhow::Result<()> {
    if user_exists()? {
        return Ok(());
    }
    run_tool(
        "useradd",
        &[
            "--system",
            "--user-group",
            "--home-dir",
            &format!("/{DATA_DIR}"),
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            USER,
        ],
    )?;
    println!("created system user {USER}");
    Ok(())
}

fn user_ids() -> anyhow::Result<(u32, u32)> {
    let id = |flag: &str| -> anyhow::Result<u32> {
        let output = Command::new("id").args([flag, USER]).output()?;
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .with_context(|| format!("id {flag} {USER}"))
    };
    Ok((id("-u")?, id("-g")?))
}

fn run_tool(tool: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(tool)
        .args(args)
        .status()
        .with_context(|| format!("running {tool}"))?;
    if !status.success() {
        bail!("{tool} {} failed ({status})", args.join(" "));
    }
    Ok(())
}

fn systemctl(args: &[&str]) -> anyhow::Result<()> {
    run_tool("systemctl", args)
}

/// This very binary, copied into place unless it already is the installed one.
fn install_binary(target: &Path) -> anyhow::Result<()> {
    let current = std::env::current_exe().context("locating this binary")?;
    if target.exists() && std::fs::canonicalize(target)? == std::fs::canonicalize(&current)? {
        return Ok(());
    }
    make_dir(target.parent().expect("the binary has a directory"), 0o755)?;
    let bytes = std::fs::read(&current).context("reading this binary")?;
    write_atomic(target, &bytes, 0o755)?;
    println!("installed {}", target.display());
    Ok(())
}

fn make_dir(dir: &Path, mode: u32) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    // An existing directory gets the mode too (an older install, a hand-made one).
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", dir.display()))
}

fn remove_file(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            println!("removed {}", path.display());
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("removing {}", path.display())),
    }
}
