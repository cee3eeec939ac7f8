//! Who the client is when ProxiCloud sits behind a reverse proxy: `X-Forwarded-For`
//! is believed only from the proxies the operator named (`trusted_proxies`), and only
//! as far as those proxies vouch for it — read from the right, every hop that is itself
//! a trusted proxy is skipped, and the first one that is not is the client. Anything
//! else (a client naming itself, a proxy nobody trusts) leaves the TCP peer, so nobody
//! dodges the per-address login throttle or puts a made-up address in the audit log.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// `10.0.0.0/8`, `192.168.1.10` (one host) or `::1`.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{entry}' is neither an IP address nor a network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for a request that came from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A hop that is not an address is nothing a trusted proxy wrote.
            let Ok(address) = hop.parse::<IpAddr>() else {
                return client;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy_and_only_as_far_as_it_vouches() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.168.1.2".into()]).unwrap();
        let peer = ip("10.0.0.5");
        // A direct client naming another address is ignored.
        assert_eq!(
            proxies.client_ip(ip("203.0.113.9"), &forwarded(&["1.2.3.4"])),
            ip("203.0.113.9")
        );
        // Through one trusted proxy.
        assert_eq!(
            proxies.client_ip(peer, &forwarded(&["198.51.100.7"])),
            ip("198.51.100.7")
        );
        // A client that sends its own header first cannot choose: the rightmost hop the
        // trusted proxies did not add is the client.
        assert_eq!(
            proxies.client_ip(peer, &forwarded(&["1.2.3.4, 198.51.100.7"])),
            ip("198.51.100.7")
        );
        // Two trusted proxies in a row, across header lines.
        assert_eq!(
            proxies.client_ip(peer, &forwarded(&["198.51.100.7", "192.168.1.2"])),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last address a trusted proxy vouched for.
        assert_eq!(proxies.client_ip(peer, &forwarded(&["nonsense"])), peer);
        assert_eq!(proxies.client_ip(peer, &HeaderMap::new()), peer);
        // IPv4-mapped IPv6 peers match IPv4 networks.
        assert_eq!(
            proxies.client_ip(ip("::ffff:10.1.2.3"), &forwarded(&["198.51.100.7"])),
            ip("198.51.100.7")
        );
        assert!(TrustedProxies::parse(&["not-an-ip".into()]).is_err());
    }
}
