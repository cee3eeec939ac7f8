//! `proxicloud serve`: the control plane — API, background workers and, with
//! `--demo`, a built-in Proxmox VE simulator to manage.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use proxicloud_api::{ApiConfig, AppState};
use proxicloud_domain::alerts::notify::NotifierPolicy;
use proxicloud_domain::app::{Services, ServicesConfig, Start};
use proxicloud_domain::iam::IamService;
use proxicloud_domain::inventory::InventoryConfig;
use proxicloud_domain::jobs::EngineConfig;
use proxicloud_domain::secrets::MasterKey;
use proxicloud_domain::settings::{LOG_LEVELS, Settings};
use proxicloud_domain::workers::SupervisorConfig;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;

use proxicloud_api::client_address::TrustedProxies;

use crate::config::Config;
use crate::demo;
use crate::logging::LogLevel;

/// Where the configuration comes from; shared by `serve` and `admin`.
#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// TOML configuration file (see `proxicloud print-default-config`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the config).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Data directory: SQLite database, object store, master key (overrides the config).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://…` (overrides the config).
    #[arg(long)]
    database_url: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with `--tls-key`).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate made on first start (kept in the
    /// data directory; its fingerprint is printed).
    #[arg(long, conflicts_with = "tls_cert")]
    tls_self_signed: bool,
    /// Address of the S3 endpoint (overrides `[s3] listen`; default 127.0.0.1:9000).
    #[arg(long)]
    s3_listen: Option<std::net::SocketAddr>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Also run a simulated 3-node Proxmox VE cluster and manage it.
    #[arg(long)]
    demo: bool,
}

impl ConfigArgs {
    /// Defaults, then the file, then `PROXICLOUD_*`, then these flags.
    pub fn load(&self) -> anyhow::Result<(Config, Vec<String>)> {
        let (mut config, warnings) = Config::load(self.config.as_deref(), std::env::vars())?;
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.database_url {
            config.database_url = url.clone();
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config.tls.cert = cert.display().to_string();
            config.tls.key = key.display().to_string();
        }
        if self.tls_self_signed {
            config.tls.self_signed = true;
        }
        if let Some(address) = self.s3_listen {
            config.s3.listen = address.to_string();
        }
        Ok((config, warnings))
    }
}

/// The data directory holds the master key and database: owner-only access.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))
}

pub async fn run(args: ServeArgs, config: Config, log_level: LogLevel) -> anyhow::Result<()> {
    prepare_data_dir(&config.data_dir)?;
    // Configuration mistakes end the start before any worker claims a job.
    let identity = crate::tls::load(&config.tls, &config.data_dir, config.listen)?;
    let api_config = ApiConfig {
        trusted_proxies: TrustedProxies::parse(&config.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?,
        prometheus: config.prometheus.access,
        ..ApiConfig::default()
    };
    let master_key = MasterKey::load_or_create(&config.master_key_path())?;
    let store = proxicloud_store::connect(&config.database_url())
        .await
        .context("opening the database")?;
    let s3_listener = crate::s3::bind(&config.s3).await?;
    let mut services_config = services_config(&config);
    services_config.objects = crate::s3::objects_config(&config.s3, &config.data_dir).await?;
    services_config.s3_endpoint = crate::s3::endpoint(&config.s3, s3_listener.as_ref());
    let services =
        Arc::new(Services::build(store.clone(), master_key.clone(), services_config).await?);
    log_level.follow(services.platform().settings.subscribe());

    let admin_password = std::env::var("PROXICLOUD_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(SecretString::from);
    let initial_admin = services
        .get::<IamService>()
        .bootstrap_admin(admin_password)
        .await?;

    let demo = if args.demo {
        let demo = demo::start(&config.data_dir, &master_key).await?;
        demo.register(&services.platform().clusters).await?;
        Some(demo)
    } else {
        None
    };
    // A taken port, too, ends the start before any worker runs.
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let s3 = crate::s3::start(s3_listener, &config.s3, store.clone(), &services).await?;
    let running = services.start(Start::ALL).await?;

    let scheme = if identity.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr()?);
    // Plain stdout lines: the operator reads them, scripts and tests parse them.
    println!("ProxiCloud listening on {url}");
    if let Some(identity) = &identity {
        let made = if identity.generated {
            ", self-signed, made now"
        } else {
            ""
        };
        println!(
            "TLS certificate fingerprint (SHA-256{made}) {}",
            identity.fingerprint
        );
    }
    if let Some(admin) = &initial_admin {
        if admin.generated {
            println!(
                "Initial admin login: {} / {}  (shown once; change it after signing in)",
                admin.username,
                admin.password.expose_secret()
            );
        } else {
            println!(
                "Initial admin login: {} / (PROXICLOUD_ADMIN_PASSWORD)",
                admin.username
            );
        }
    }
    if let Some(demo) = &demo {
        println!("Demo Proxmox VE simulator at {}", demo.sim.base_url);
    }
    if let Some(s3) = &s3 {
        println!("S3 endpoint at {} (region {})", s3.url, config.s3.region);
    }

    let events = services.platform().events.clone();
    let stopping = async move {
        shutdown_signal().await;
        // Event streams never end by themselves; graceful shutdown waits for them.
        events.close();
    };
    let state = AppState::new(services, api_config);
    let app = proxicloud_api::build_router_with_fallback(state, proxicloud_ui::router());
    match identity {
        Some(identity) => {
            proxicloud_api::serve_router_tls(listener, identity.config, app, stopping).await?
        }
        None => proxicloud_api::serve_router(listener, app, stopping).await?,
    }
    tracing::info!("HTTP server stopped; stopping workers");
    // Running job steps reach their next checkpoint and hand the job back.
    running.shutdown().await;
    if let Some(s3) = s3 {
        s3.shutdown().await;
    }
    if let Some(demo) = demo {
        demo.sim.shutdown().await;
    }
    store.close().await;
    Ok(())
}

/// The application's settings from the configuration file and environment.
fn services_config(config: &Config) -> ServicesConfig {
    // The configuration file's poll interval and log level are the defaults until an
    // admin sets them. A tracing filter there (`proxicloud_api=debug`) is no level the
    // setting can hold (saving the page would fail on it): it stays in force instead
    // (see logging.rs) and the setting keeps its default.
    let mut settings = Settings::default();
    settings.system.poll_interval_secs = config.inventory.poll_interval_secs;
    if LOG_LEVELS.contains(&config.log_level.as_str()) {
        settings.system.log_level = config.log_level.clone();
    }
    ServicesConfig {
        settings,
        engine: EngineConfig {
            workers: config.jobs.workers,
            lease: Duration::from_secs(config.jobs.lease_secs),
            ..EngineConfig::default()
        },
        inventory: InventoryConfig {
            max_backoff: Duration::from_secs(config.inventory.max_backoff_secs),
            ..InventoryConfig::default()
        },
        workers: SupervisorConfig {
            election_interval: Duration::from_secs(config.workers.election_interval_secs.max(1)),
            ..SupervisorConfig::default()
        },
        notifier: NotifierPolicy {
            blocked: config.alerts.notifier_blocked_networks.clone(),
            ..NotifierPolicy::default()
        },
        vault: config.vault,
        console: proxicloud_domain::console::ConsoleConfig {
            idle_timeout: Duration::from_secs(config.console.idle_timeout_secs.max(1)),
            max_sessions_per_user: config.console.max_sessions_per_user as usize,
        },
        ..ServicesConfig::default()
    }
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutdown requested");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracing_filter_in_the_config_file_leaves_the_log_level_setting_valid() {
        let mut config = Config {
            log_level: "proxicloud_api=debug,info".into(),
            ..Config::default()
        };
        let settings = services_config(&config).settings;
        assert_eq!(settings.system.log_level, "info");
        settings
            .validated()
            .expect("an admin can still save the settings");
        config.log_level = "debug".into();
        assert_eq!(services_config(&config).settings.system.log_level, "debug");
    }
}
