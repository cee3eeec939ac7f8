//! How to reach and authenticate against one Proxmox VE cluster.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::error::PveError;
use crate::tls::Fingerprint;

/// PVE's API port; used when an address names none.
pub const DEFAULT_PORT: u16 = 8006;

/// A string that never shows up in `Debug` or `Display` output (logs, panics, error
/// chains). Read it explicitly with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

/// How the client proves who it is.
#[derive(Debug, Clone)]
pub enum Auth {
    /// An API token: `id` is `USER@REALM!TOKENID`. Stateless, no CSRF token needed.
    Token { id: String, secret: Secret },
    /// A password login (`POST /access/ticket`); the ticket is renewed automatically.
    Password { user: String, password: Secret },
}

impl Auth {
    pub fn token(id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Auth::Token {
            id: id.into(),
            secret: secret.into(),
        }
    }

    pub fn password(user: impl Into<String>, password: impl Into<Secret>) -> Self {
        Auth::Password {
            user: user.into(),
            password: password.into(),
        }
    }

    /// Parses the `USER@REALM!TOKENID=SECRET` form PVE shows when a token is created.
    pub fn token_from_str(full: &str) -> Result<Self, PveError> {
        let (id, secret) = full.split_once('=').ok_or_else(|| {
            PveError::Config("API token must look like USER@REALM!TOKENID=SECRET".to_string())
        })?;
        let (user, token_name) = id.split_once('!').ok_or_else(|| {
            PveError::Config(format!("API token id '{id}' has no '!TOKENID' part"))
        })?;
        if !user.contains('@') || token_name.is_empty() || secret.is_empty() {
            return Err(PveError::Config(format!(
                "API token id '{id}' must look like USER@REALM!TOKENID with a non-empty secret"
            )));
        }
        Ok(Auth::token(id, secret))
    }
}

/// How the server certificate is checked.
#[derive(Debug, Clone, Default)]
pub enum TlsMode {
    /// The operating system's trust store (a PVE cluster with a publicly trusted or
    /// locally installed certificate).
    #[default]
    System,
    /// Accept exactly the certificates with these SHA-256 fingerprints (the usual case
    /// for PVE's self-signed certificates; each node of a cluster has its own).
    Fingerprint(Vec<Fingerprint>),
    /// Trust these certificates (DER), typically the cluster's `pve-root-ca.pem`: a
    /// server certificate that chains to one of them and names the address used is
    /// accepted, and so is one that *is* one of them (a node certificate pasted in).
    Trust(Vec<Vec<u8>>),
    /// Accept any certificate. Only when the user explicitly asked for it.
    Insecure,
}

/// Time limits. Every request has one; the connect limit is short so that failover
/// to the next node does not wait for the whole request timeout.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
        }
    }
}

/// Retries apply to idempotent GETs only: a POST that timed out may well have run.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 disables retries).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Everything needed to talk to one cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Node API addresses such as `https://pve1:8006`, tried in order on connection errors.
    pub addresses: Vec<Url>,
    pub auth: Auth,
    pub tls: TlsMode,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// Age at which a login ticket is renewed. PVE tickets expire after two hours;
    /// renewing after one leaves ample margin (tests shorten it to seconds).
    pub ticket_renew_after: Duration,
}

impl ClusterConfig {
    /// `addresses` accept `host`, `host:port` or `https://host:port[/]`; the port
    /// defaults to 8006 and the scheme to https.
    pub fn new<I, S>(addresses: I, auth: Auth) -> Result<Self, PveError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let addresses = addresses
            .into_iter()
            .map(|a| parse_address(a.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if addresses.is_empty() {
            return Err(PveError::Config(
                "a cluster needs at least one node address".to_string(),
            ));
        }
        Ok(Self {
            addresses,
            auth,
            tls: TlsMode::default(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            ticket_renew_after: Duration::from_secs(3600),
        })
    }

    pub fn with_tls(mut self, tls: TlsMode) -> Self {
        self.tls = tls;
        self
    }

    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_ticket_renew_after(mut self, age: Duration) -> Self {
        self.ticket_renew_after = age;
        self
    }
}

/// Normalises a node address to `scheme://host:port/` (the API root is appended per call).
pub fn parse_address(raw: &str) -> Result<Url, PveError> {
    let raw = raw.trim();
    let bad = |why: String| PveError::Config(format!("invalid node address '{raw}': {why}"));
    let (scheme, rest) = raw.split_once("://").unwrap_or(("https", raw));
    if !matches!(scheme, "https" | "http") {
        return Err(bad(
            "must use https (or http for a plain-text simulator)".to_string()
        ));
    }
    // Parsed under a scheme without a default port: `url` drops an explicit port that
    // equals the scheme default (`https://h:443` → no port), which would otherwise be
    // mistaken for "no port given" and replaced by 8006.
    let probe = Url::parse(&format!("pve-node://{rest}")).map_err(|e| bad(e.to_string()))?;
    let host = probe
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("no host".to_string()))?;
    let port = probe.port().unwrap_or(DEFAULT_PORT);
    Url::parse(&format!("{scheme}://{host}:{port}/")).map_err(|e| bad(e.to_string()))
}

impl FromStr for Auth {
    type Err = PveError;

    /// `USER@REALM!TOKENID=SECRET` is a token; `USER@REALM:PASSWORD` a password login.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A user id holds neither ':' nor '!', so the first ':' after a plain user id
        // marks a password (which may itself contain '!' or '=').
        match s.split_once(':') {
            Some((user, password)) if user.contains('@') && !user.contains('!') => {
                Ok(Auth::password(user, password))
            }
            _ if s.contains('!') => Auth::token_from_str(s),
            _ => Err(PveError::Config(
                "credentials must be USER@REALM!TOKENID=SECRET or USER@REALM:PASSWORD".to_string(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let auth = Auth::token("root@pam!ci", "3f1c-very-secret");
        let printed = format!("{auth:?}");
        assert!(!printed.contains("very-secret"), "{printed}");
        let auth = Auth::password("root@pam", "hunter2");
        assert!(!format!("{auth:?}").contains("hunter2"));
    }

    #[test]
    fn token_strings_split_into_id_and_secret() {
        let Auth::Token { id, secret } =
            Auth::token_from_str("root@pam!ci=aaaa-bbbb").expect("valid token")
        else {
            panic!("expected a token");
        };
        assert_eq!(id, "root@pam!ci");
        assert_eq!(secret.expose(), "aaaa-bbbb");
        assert!(Auth::token_from_str("root@pam=secret").is_err());
        assert!(Auth::token_from_str("root@pam!ci=").is_err());
        assert!(Auth::token_from_str("rootpam!ci=x").is_err());
    }

    #[test]
    fn credentials_parse_as_token_or_password() {
        assert!(matches!(
            "root@pam!ci=s".parse::<Auth>(),
            Ok(Auth::Token { .. })
        ));
        assert!(matches!(
            "root@pam:pa:ss".parse::<Auth>(),
            Ok(Auth::Password { password, .. }) if password.expose() == "pa:ss"
        ));
        assert!(matches!(
            "root@pam:pa!ss=1".parse::<Auth>(),
            Ok(Auth::Password { password, .. }) if password.expose() == "pa!ss=1"
        ));
        assert!("nobody".parse::<Auth>().is_err());
    }

    #[test]
    fn addresses_default_to_https_and_port_8006() {
        let url = parse_address("pve1").expect("host only");
        assert_eq!(url.as_str(), "https://pve1:8006/");
        let url = parse_address("10.0.0.5:443").expect("host and port");
        // 443 is https's default, so `Url` leaves it implicit.
        assert_eq!(url.port_or_known_default(), Some(443));
        let url = parse_address("https://pve2:8006/api2/json").expect("full url");
        assert_eq!(url.as_str(), "https://pve2:8006/");
        let url = parse_address("https://[fd00::5]").expect("IPv6");
        assert_eq!(url.as_str(), "https://[fd00::5]:8006/");
        let url = parse_address("http://127.0.0.1:80").expect("plain http");
        assert_eq!(url.as_str(), "http://127.0.0.1/");
        assert!(parse_address("ftp://pve").is_err());
        assert!(ClusterConfig::new(Vec::<String>::new(), Auth::token("a@b!c", "d")).is_err());
    }
}
