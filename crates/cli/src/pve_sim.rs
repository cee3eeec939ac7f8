//! `proxicloud pve-sim`: the Proxmox VE simulator on its own port.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use proxicloud_pve_sim::SimConfig;

#[derive(Args, Debug)]
pub struct PveSimArgs {
    /// Address to listen on (port 0 picks a free port; the chosen URL is printed).
    #[arg(long, default_value = "127.0.0.1:8006")]
    listen: SocketAddr,
    /// Number of simulated nodes (pve1, pve2, …).
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Number of guests seeded across the nodes.
    #[arg(long, default_value_t = 30)]
    guests: usize,
    /// API token accepted by the simulator, `USER@REALM!TOKENID=SECRET` (repeatable).
    #[arg(long = "token", value_name = "USER@REALM!ID=SECRET")]
    tokens: Vec<String>,
    /// Password login accepted by the simulator, `USER@REALM:PASSWORD` (repeatable).
    #[arg(long = "password", value_name = "USER@REALM:PASSWORD")]
    passwords: Vec<String>,
    /// Serve HTTPS with a generated self-signed certificate (the default, as PVE does).
    #[arg(long, overrides_with = "no_tls")]
    tls: bool,
    /// Serve plain HTTP.
    #[arg(long)]
    no_tls: bool,
    /// The official PVE API schema (default: ../shared/pve-api/pve-api-schema.json when it exists).
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Multiplies every task duration: 1.0 is real time, 0.01 is fast enough for tests.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Persist the cluster in this file so it survives restarts.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Append every received request to this file as JSON lines.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Seed of the generated cluster.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The Proxmox VE release to report (default: the schema's, 9.1.1); an older one
    /// refuses the parameters it did not have yet, such as a container's `env` before 9.1.
    #[arg(long, value_name = "VERSION")]
    pve_version: Option<String>,
}

/// `user@realm!id=secret` → (`user@realm!id`, `secret`).
fn parse_token(text: &str) -> anyhow::Result<(String, String)> {
    let (id, secret) = text
        .split_once('=')
        .context("token must look like USER@REALM!TOKENID=SECRET")?;
    if !id.contains('@') || !id.contains('!') || secret.is_empty() {
        bail!("token must look like USER@REALM!TOKENID=SECRET");
    }
    Ok((id.to_string(), secret.to_string()))
}

/// `user@realm:password` → (`user@realm`, `password`); the password may contain ':'.
fn parse_password(text: &str) -> anyhow::Result<(String, String)> {
    let (user, password) = text
        .split_once(':')
        .context("password login must look like USER@REALM:PASSWORD")?;
    if !user.contains('@') || password.is_empty() {
        bail!("password login must look like USER@REALM:PASSWORD");
    }
    Ok((user.to_string(), password.to_string()))
}

impl PveSimArgs {
    fn into_config(self) -> anyhow::Result<SimConfig> {
        let defaults = SimConfig::default();
        Ok(SimConfig {
            listen: self.listen,
            nodes: self.nodes,
            guests: self.guests,
            tokens: self
                .tokens
                .iter()
                .map(|t| parse_token(t))
                .collect::<anyhow::Result<_>>()?,
            passwords: self
                .passwords
                .iter()
                .map(|p| parse_password(p))
                .collect::<anyhow::Result<_>>()?,
            tls: !self.no_tls,
            schema_path: self.schema.or(defaults.schema_path.clone()),
            time_scale: self.time_scale,
            state_file: self.state,
            record_file: self.record,
            seed: self.seed,
            pve_version: self.pve_version.unwrap_or(defaults.pve_version.clone()),
            ..defaults
        })
    }
}

pub async fn run(args: PveSimArgs) -> anyhow::Result<()> {
    let config = args.into_config()?;
    if config.tokens.is_empty() && config.passwords.is_empty() {
        bail!("give at least one --token or --password, or nobody can log in");
    }
    let running = proxicloud_pve_sim::start(config).await?;
    // Machine-readable lines: tests and scripts read the URL and fingerprint from here.
    println!("pve-sim listening on {}", running.base_url);
    if let Some(fingerprint) = &running.fingerprint {
        println!("pve-sim certificate fingerprint (SHA-256) {fingerprint}");
    }
    shutdown_signal().await;
    running.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM: both stop the simulator cleanly so `--state` is saved.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_passwords_parse_like_pve_writes_them() {
        assert_eq!(
            parse_token("root@pam!ci=abc=def").unwrap(),
            ("root@pam!ci".to_string(), "abc=def".to_string())
        );
        assert!(parse_token("root@pam=abc").is_err());
        assert!(parse_token("root@pam!ci=").is_err());
        assert_eq!(
            parse_password("root@pam:pa:ss").unwrap(),
            ("root@pam".to_string(), "pa:ss".to_string())
        );
        assert!(parse_password("root:pass").is_err());
    }
}
