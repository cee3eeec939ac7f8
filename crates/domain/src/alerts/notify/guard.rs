//! The notifiers' HTTP client, hardened because a channel's address is typed in by a
//! user and requested by the server:
//! - **no redirects** (`redirect::Policy::none()`): a receiver cannot bounce us to an
//!   address the guard would refuse; a 3xx is reported as the receiver's answer;
//! - **time limits**: to connect and for the whole request, so a receiver that hangs
//!   cannot hold a delivery (or the outbox) for ever;
//! - **an SSRF guard**: addresses in the blocked networks are refused, whether the URL
//!   names them literally or a host name resolves to them (checked on the addresses we
//!   actually connect to, so DNS rebinding does not get around it);
//! - **no proxy** (`no_proxy()`): `HTTP(S)_PROXY` in the server's environment would
//!   hand the receiver's *name* to the proxy, which resolves and connects itself —
//!   the guard would never see the address. Guarding the proxy's own address instead
//!   would not help (the proxy is allowed; where it goes is the question), so
//!   notifications never use one. A deployment that must go through a proxy needs an
//!   explicit setting, checked by the proxy's own policy; there is none yet.
//!
//! The choice (see `NotifierPolicy::default`): loopback and private networks are
//! **allowed** — a homelab's ntfy, Gotify or webhook receiver lives on the LAN or on
//! the same host —, link-local networks and the cloud metadata addresses are
//! **refused** (169.254.0.0/16 holds 169.254.169.254, the metadata service of AWS,
//! GCP, Azure and OpenStack that hands out credentials; fe80::/10; fd00:ec2::254,
//! AWS's IPv6 metadata address). An administrator changes the list with
//! `[alerts] notifier_blocked_networks`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long one delivery may take, and its connection.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What channels may target, and how long a delivery may take.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifierPolicy {
    /// Addresses in these networks are refused.
    pub blocked: Vec<IpNet>,
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl NotifierPolicy {
    /// The default blocked networks (link-local and cloud metadata), as text.
    pub const DEFAULT_BLOCKED: [&'static str; 3] =
        ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"];

    /// The blocked network `address` is in, if any (IPv4-mapped IPv6 addresses are
    /// checked as the IPv4 address they carry).
    pub fn blocks(&self, address: IpAddr) -> Option<&IpNet> {
        let address = address.to_canonical();
        self.blocked.iter().find(|net| net.contains(&address))
    }
}

impl Default for NotifierPolicy {
    fn default() -> Self {
        Self {
            blocked: Self::DEFAULT_BLOCKED
                .iter()
                .map(|net| net.parse().expect("valid default network"))
                .collect(),
            connect_timeout: CONNECT_TIMEOUT,
            timeout: SEND_TIMEOUT,
        }
    }
}

/// Why a request was not sent (found again in the error's source chain).
#[derive(Debug, thiserror::Error)]
#[error(
    "the receiver's address {address} is in a blocked network ({network}); an administrator allows it with [alerts] notifier_blocked_networks"
)]
pub struct Blocked {
    pub address: IpAddr,
    pub network: IpNet,
}

/// Resolves host names, then drops what the policy blocks; nothing left is an error.
struct GuardedResolver {
    policy: Arc<NotifierPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            // The port is replaced by the URL's; 0 is a placeholder.
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.blocks(addr.ip()) {
                    Some(network) => {
                        refused = Some(Blocked {
                            address: addr.ip(),
                            network: *network,
                        });
                        false
                    }
                    None => true,
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(blocked)) => Err(Box::new(blocked) as _),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// The client every delivery goes through, and its policy (for addresses written
/// literally in URLs, which the resolver never sees).
#[derive(Clone)]
pub struct Notifier {
    client: reqwest::Client,
    policy: Arc<NotifierPolicy>,
}

impl Notifier {
    pub fn new(policy: NotifierPolicy) -> Self {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            .user_agent(concat!("ProxiCloud/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the notifier's HTTP client builds");
        Self { client, policy }
    }

    pub(super) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn policy(&self) -> &NotifierPolicy {
        &self.policy
    }

    /// Refuses a URL whose host is a literal address in a blocked network.
    pub(super) fn check_literal(&self, url: &reqwest::Url) -> Result<(), Blocked> {
        let address = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        match self.policy.blocks(address) {
            Some(network) => Err(Blocked {
                address,
                network: *network,
            }),
            None => Ok(()),
        }
    }
}

/// A failed request in words, without its URL: the guard's refusal, a timeout, or the
/// innermost cause (connection refused, name not found, TLS).
pub(super) fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "the receiver did not answer in time".to_owned();
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&error);
    let mut innermost = None;
    while let Some(cause) = source {
        if let Some(blocked) = cause.downcast_ref::<Blocked>() {
            return blocked.to_string();
        }
        innermost = Some(cause);
        source = cause.source();
    }
    match innermost {
        Some(cause) => format!("could not reach the receiver: {cause}"),
        None => format!("could not reach the receiver: {}", error.without_url()),
    }
}
