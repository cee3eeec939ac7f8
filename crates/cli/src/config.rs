//! Server configuration: built-in defaults, then a TOML file, then `PROXICLOUD_*`
//! environment variables (nested keys with `__`, e.g.
//! `PROXICLOUD_INVENTORY__POLL_INTERVAL_SECS=5`). Command-line flags are applied
//! last by the caller. Unknown keys are reported, not fatal, so an old config
//! keeps working after an upgrade — but a typo does not go unnoticed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use proxicloud_domain::alerts::notify::NotifierPolicy;
use serde::{Deserialize, Serialize};

/// Environment variables the binary reads that are not configuration keys.
const NON_CONFIG_ENV: &[&str] = &[
    "PROXICLOUD_ADMIN_PASSWORD",
    "PROXICLOUD_LOG",
    "PROXICLOUD_PVE_SCHEMA",
];
const ENV_PREFIX: &str = "PROXICLOUD_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address of the API, console and S3 endpoint.
    pub listen: SocketAddr,
    /// Where the SQLite database, object store and master key live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means SQLite in the data dir.
    pub database_url: String,
    /// Master key file; empty means `master.key` in the data dir.
    pub master_key_file: String,
    /// `error`, `warn`, `info`, `debug` or `trace` (or a tracing filter).
    pub log_level: String,
    /// Reverse proxies (addresses or networks, e.g. `127.0.0.1`, `10.0.0.0/8`) whose
    /// `X-Forwarded-For` names the client; empty: the TCP peer is the client.
    pub trusted_proxies: Vec<String>,
    pub inventory: InventoryConfig,
    pub jobs: JobsConfig,
    pub workers: WorkersConfig,
    pub tls: TlsConfig,
    pub prometheus: PrometheusConfig,
    pub alerts: AlertsConfig,
    /// The S3 endpoint (see `s3.rs`).
    pub s3: crate::s3::S3Settings,
    /// The secrets vault: `keep_versions`, the previous values an update keeps.
    pub vault: proxicloud_domain::vault::VaultConfig,
    pub console: ConsoleConfig,
}

/// Browser consoles of instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsoleConfig {
    /// A console session in which nobody typed for this long is closed.
    pub idle_timeout_secs: u64,
    /// Consoles one user may have open at once on this server (0: no limit).
    pub max_sessions_per_user: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 15 * 60,
            max_sessions_per_user: 10,
        }
    }
}

/// `GET /metrics` for Prometheus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PrometheusConfig {
    /// `token`: an admin's API token as Bearer (from anywhere); `loopback`: no token,
    /// for clients on this machine only (a Prometheus or agent beside it); `off`: 404.
    pub access: proxicloud_api::PrometheusAccess,
}

/// Alert notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertsConfig {
    /// Networks notification channels may not target (the SSRF guard); by default
    /// link-local ones, where clouds serve instance credentials (169.254.169.254,
    /// fd00:ec2::254). Loopback and private networks are allowed: homelab receivers
    /// live there.
    pub notifier_blocked_networks: Vec<ipnet::IpNet>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            notifier_blocked_networks: NotifierPolicy::default().blocked,
        }
    }
}

/// HTTPS served by ProxiCloud itself (see `tls.rs`); off by default, for loopback
/// use or a TLS-terminating reverse proxy in front.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsConfig {
    /// PEM certificate chain (leaf first); with `key`.
    pub cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: String,
    /// Without `cert`/`key`: a self-signed certificate made on first start and kept in
    /// `<data_dir>/tls/`; its fingerprint is printed at every start.
    pub self_signed: bool,
}

/// The background workers (see `proxicloud_domain::workers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkersConfig {
    /// With several replicas on PostgreSQL: seconds between a standby replica's
    /// attempts to take over a once-per-deployment worker (the inventory poller), and
    /// between the leader's checks that it still holds it.
    pub election_interval_secs: u64,
}

impl Default for WorkersConfig {
    fn default() -> Self {
        Self {
            election_interval_secs: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InventoryConfig {
    /// Seconds between two `/cluster/resources` polls of a cluster.
    pub poll_interval_secs: u64,
    /// Longest wait between polls of an unreachable cluster.
    pub max_backoff_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobsConfig {
    /// Jobs run concurrently by this process; 0 runs none here (other replicas do).
    pub workers: usize,
    /// Seconds a claimed job stays ours without a checkpoint before another worker may resume it.
    pub lease_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("static address"),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            master_key_file: String::new(),
            log_level: "info".to_string(),
            trusted_proxies: Vec::new(),
            inventory: InventoryConfig::default(),
            jobs: JobsConfig::default(),
            workers: WorkersConfig::default(),
            tls: TlsConfig::default(),
            prometheus: PrometheusConfig::default(),
            alerts: AlertsConfig::default(),
            s3: crate::s3::S3Settings::default(),
            vault: proxicloud_domain::vault::VaultConfig::default(),
            console: ConsoleConfig::default(),
        }
    }
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self {
            poll_interval_secs: 10,
            max_backoff_secs: 300,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            lease_secs: 60,
        }
    }
}

impl Config {
    /// The commented default configuration, for `proxicloud print-default-config`.
    pub fn default_toml() -> String {
        let body = toml::to_string_pretty(&Config::default()).expect("defaults serialise");
        format!(
            "# ProxiCloud configuration. Every key is optional; these are the defaults.\n\
             # Environment variables override the file: PROXICLOUD_LISTEN, PROXICLOUD_DATA_DIR,\n\
             # PROXICLOUD_INVENTORY__POLL_INTERVAL_SECS (nested keys joined by '__').\n\n{body}"
        )
    }

    /// Layer defaults, the optional file and the environment. Returns the config
    /// and warnings about keys nobody reads.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<(Config, Vec<String>)> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                text.parse::<toml::Table>()
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => toml::Table::new(),
        };
        let mut warnings = Vec::new();
        for (name, value) in env {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if NON_CONFIG_ENV.contains(&name.as_str()) || key.starts_with("TEST_") {
                continue;
            }
            let path: Vec<String> = key.split("__").map(str::to_ascii_lowercase).collect();
            set_path(&mut table, &path, env_value(&value));
        }
        let mut unknown = Vec::new();
        let config: Config = serde_ignored::deserialize(toml::Value::Table(table), |path| {
            unknown.push(path.to_string())
        })
        .context("invalid configuration")?;
        warnings.extend(
            unknown
                .into_iter()
                .map(|key| format!("unknown configuration key '{key}' ignored")),
        );
        Ok((config, warnings))
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("proxicloud.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        if self.master_key_file.is_empty() {
            self.data_dir.join("master.key")
        } else {
            PathBuf::from(&self.master_key_file)
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:****@host/db`, for display.
pub fn redact_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let Some(at) = url[scheme_end..].find('@').map(|i| i + scheme_end) else {
        return url.to_string();
    };
    match url[scheme_end..at].find(':') {
        Some(colon) => format!("{}****{}", &url[..scheme_end + colon + 1], &url[at..]),
        None => url.to_string(),
    }
}

/// Environment values are TOML scalars when they parse as one (numbers, booleans),
/// otherwise plain strings (paths, URLs, addresses).
fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => match t.remove("v") {
            Some(
                v @ (toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_)),
            ) => v,
            _ => toml::Value::String(raw.to_string()),
        },
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(inner) = entry {
                set_path(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn notifier_blocked_networks_default_to_link_local_and_are_checked() {
        let (config, _) = Config::load(None, env(&[])).unwrap();
        let blocked: Vec<String> = config
            .alerts
            .notifier_blocked_networks
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(blocked, NotifierPolicy::DEFAULT_BLOCKED);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("proxicloud.toml");
        std::fs::write(&file, "[alerts]\nnotifier_blocked_networks = []\n").unwrap();
        let (config, _) = Config::load(Some(&file), env(&[])).unwrap();
        assert!(config.alerts.notifier_blocked_networks.is_empty());
        std::fs::write(
            &file,
            "[alerts]\nnotifier_blocked_networks = [\"10.0.0.0/33\"]\n",
        )
        .unwrap();
        let error = format!("{:#}", Config::load(Some(&file), env(&[])).unwrap_err());
        assert!(error.contains("notifier_blocked_networks"), "{error}");
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("proxicloud.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/pc\"\n[inventory]\npoll_interval_secs = 30\n",
        )
        .unwrap();
        let (config, warnings) = Config::load(
            Some(&file),
            env(&[
                ("PROXICLOUD_INVENTORY__POLL_INTERVAL_SECS", "5"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.inventory.poll_interval_secs, 5);
        assert_eq!(config.inventory.max_backoff_secs, 300);
        assert_eq!(
            config.database_url(),
            "sqlite:///srv/pc/proxicloud.db?mode=rwc"
        );
        assert_eq!(
            config.master_key_path(),
            PathBuf::from("/srv/pc/master.key")
        );
    }

    #[test]
    fn unknown_keys_are_warned_about_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("proxicloud.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:1\"\n[jobs]\nworkerz = 3\n").unwrap();
        let (config, warnings) = Config::load(
            Some(&file),
            env(&[("PROXICLOUD_POLL", "1"), ("PROXICLOUD_ADMIN_PASSWORD", "x")]),
        )
        .unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("lisen")));
        assert!(warnings.iter().any(|w| w.contains("jobs.workerz")));
        assert!(warnings.iter().any(|w| w.contains("poll")));
    }

    #[test]
    fn wrong_types_are_errors_naming_the_key() {
        let err = Config::load(None, env(&[("PROXICLOUD_JOBS__WORKERS", "many")])).unwrap_err();
        assert!(format!("{err:#}").contains("workers"), "{err:#}");
    }

    #[test]
    fn database_passwords_are_masked_for_display() {
        assert_eq!(
            redact_url_password("postgres://pc:s3cret@db:5432/pc"),
            "postgres://pc:****@db:5432/pc"
        );
        assert_eq!(
            redact_url_password("postgres://pc@db/pc"),
            "postgres://pc@db/pc"
        );
        assert_eq!(
            redact_url_password("sqlite://./data/x.db"),
            "sqlite://./data/x.db"
        );
    }

    #[test]
    fn printed_defaults_parse_back_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("default.toml");
        std::fs::write(&file, Config::default_toml()).unwrap();
        let (config, warnings) = Config::load(Some(&file), Vec::new()).unwrap();
        assert_eq!(config, Config::default());
        assert!(warnings.is_empty());
    }
}
