//! The stored login: `<config dir>/proxicloud/credentials.toml` (on Linux
//! `$XDG_CONFIG_HOME` or `~/.config`), written with mode 0600 because it holds an API
//! token. `PROXICLOUD_URL` and `PROXICLOUD_TOKEN` override it (scripts, CI).

use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::Failure;
use crate::files::write_atomic;

#[derive(Serialize, Deserialize)]
pub struct Credentials {
    pub url: String,
    pub token: String,
}

/// Never prints the token.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("url", &self.url)
            .field("token", &"[redacted]")
            .finish()
    }
}

pub fn path() -> anyhow::Result<PathBuf> {
    let dir = dirs::config_dir().context("no configuration directory (set $HOME)")?;
    Ok(dir.join("proxicloud").join("credentials.toml"))
}

pub fn load() -> anyhow::Result<Option<Credentials>> {
    let path = path()?;
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let credentials =
        toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(credentials))
}

/// Writes the file readable by its owner only (the token is never in a file with
/// wider permissions).
pub fn save(credentials: &Credentials) -> anyhow::Result<PathBuf> {
    let path = path()?;
    let dir = path.parent().expect("the path has a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_atomic(&path, toml::to_string(credentials)?.as_bytes(), 0o600)?;
    Ok(path)
}

/// The login to use: the environment's, else the stored one.
pub fn effective() -> Result<Credentials, Failure> {
    let env_url = std::env::var("PROXICLOUD_URL")
        .ok()
        .filter(|v| !v.is_empty());
    let env_token = std::env::var("PROXICLOUD_TOKEN")
        .ok()
        .filter(|v| !v.is_empty());
    let stored = load()?;
    let url = env_url.or_else(|| stored.as_ref().map(|c| c.url.clone()));
    let token = env_token.or_else(|| stored.map(|c| c.token));
    match (url, token) {
        (Some(url), Some(token)) => Ok(Credentials { url, token }),
        _ => Err(Failure::Usage(
            "not logged in: run `proxicloud login --url URL` (or set PROXICLOUD_URL and \
             PROXICLOUD_TOKEN)"
                .to_owned(),
        )),
    }
}
