//! A running guest's IP addresses, as the guest itself reports them: containers through
//! `GET …/lxc/{vmid}/interfaces` (PVE reads `ip a` inside the container's network
//! namespace), VMs through the QEMU guest agent's `network-get-interfaces`.
//!
//! Both can only answer while the guest runs (and, for VMs, while an agent is
//! configured and answering). That is an expected state, not a failure, so it comes
//! back as [`GuestAddresses::Unavailable`]; only real errors are `Err`.

use std::net::IpAddr;

use proxicloud_types::{GuestType, NodeName, VmId};
use serde::Deserialize;

use crate::error::{PveError, Result};
use crate::params::{Params, api_path};
use crate::transport::Transport;

/// One address of one guest interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestAddress {
    /// The interface name inside the guest (`eth0`, `ens18`).
    pub interface: String,
    pub address: IpAddr,
    pub prefix: Option<u8>,
}

/// Why the guest could not tell its addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnavailableReason {
    /// The guest is stopped.
    NotRunning,
    /// A VM without `agent` in its config.
    NoAgentConfigured,
    /// A VM whose guest agent does not answer (not installed, not started yet, or
    /// `agent: 0`).
    AgentNotRunning,
}

/// The outcome of asking a guest for its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestAddresses {
    /// Global addresses only: loopback and link-local ones are left out.
    Known(Vec<GuestAddress>),
    Unavailable(UnavailableReason),
}

impl GuestAddresses {
    /// The addresses as text (`10.0.0.5`, `2001:db8::5`), in the guest's order.
    pub fn texts(&self) -> Option<Vec<String>> {
        match self {
            GuestAddresses::Known(list) => {
                Some(list.iter().map(|a| a.address.to_string()).collect())
            }
            GuestAddresses::Unavailable(_) => None,
        }
    }
}

/// `ip-addresses[]` entries; PVE and the guest agent use the same field names.
#[derive(Debug, Deserialize)]
struct WireAddress {
    #[serde(rename = "ip-address")]
    address: Option<String>,
    prefix: Option<u8>,
}

#[derive(Debug, Deserialize)]
struct WireInterface {
    name: String,
    #[serde(rename = "ip-addresses", default)]
    addresses: Vec<WireAddress>,
}

/// The agent endpoint answers `{result: <the agent's reply>}`.
#[derive(Debug, Deserialize)]
struct AgentReply {
    result: Vec<WireInterface>,
}

/// Whether an address says anything useful about reaching the guest from outside.
fn is_reachable(interface: &str, address: &IpAddr) -> bool {
    if interface == "lo" || address.is_loopback() || address.is_unspecified() {
        return false;
    }
    match address {
        IpAddr::V4(v4) => !v4.is_link_local(),
        IpAddr::V6(v6) => !v6.is_unicast_link_local(),
    }
}

fn reachable_addresses(interfaces: Vec<WireInterface>) -> Vec<GuestAddress> {
    interfaces
        .into_iter()
        .flat_map(|interface| {
            let name = interface.name;
            interface.addresses.into_iter().filter_map(move |wire| {
                // An IPv6 address may carry a zone (`fe80::1%eth0`); the zone is not
                // part of the address.
                let text = wire.address?;
                let address: IpAddr = text.split('%').next()?.parse().ok()?;
                is_reachable(&name, &address).then(|| GuestAddress {
                    interface: name.clone(),
                    address,
                    prefix: wire.prefix,
                })
            })
        })
        .collect()
}

/// qemu-server's `assert_agent_available` dies with exactly these messages.
fn agent_unavailable(error: &PveError) -> Option<UnavailableReason> {
    let message = match error {
        PveError::Conflict { message } | PveError::Server { message, .. } => message,
        _ => return None,
    };
    if message == "No QEMU guest agent configured" {
        Some(UnavailableReason::NoAgentConfigured)
    } else if message == "QEMU guest agent is not running" {
        Some(UnavailableReason::AgentNotRunning)
    } else if message.starts_with("VM ") && message.ends_with(" is not running") {
        Some(UnavailableReason::NotRunning)
    } else {
        None
    }
}

pub(crate) async fn guest_addresses(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<GuestAddresses> {
    match ty {
        GuestType::Lxc => {
            // pve-container answers `null` (not an error) when it finds no running
            // container with this id.
            let path = api_path!("nodes", node, ty, vmid, "interfaces");
            let interfaces: Option<Vec<WireInterface>> = t.get(&path, Params::new()).await?;
            Ok(match interfaces {
                Some(list) => GuestAddresses::Known(reachable_addresses(list)),
                None => GuestAddresses::Unavailable(UnavailableReason::NotRunning),
            })
        }
        GuestType::Qemu => {
            let path = api_path!("nodes", node, ty, vmid, "agent", "network-get-interfaces");
            match t.get::<AgentReply>(&path, Params::new()).await {
                Ok(reply) => Ok(GuestAddresses::Known(reachable_addresses(reply.result))),
                Err(error) => match agent_unavailable(&error) {
                    Some(reason) => Ok(GuestAddresses::Unavailable(reason)),
                    None => Err(error),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_link_local_addresses_are_left_out() {
        let json = r#"[
            {"name":"lo","hwaddr":"00:00:00:00:00:00","ip-addresses":[
                {"ip-address":"127.0.0.1","ip-address-type":"inet","prefix":8},
                {"ip-address":"::1","ip-address-type":"inet6","prefix":128}]},
            {"name":"eth0","hwaddr":"bc:24:11:00:01:01","ip-addresses":[
                {"ip-address":"10.0.0.5","ip-address-type":"inet","prefix":24},
                {"ip-address":"2001:db8::5","ip-address-type":"inet6","prefix":64},
                {"ip-address":"fe80::be24:11ff:fe00:101%eth0","ip-address-type":"inet6","prefix":64},
                {"ip-address":"169.254.3.4","ip-address-type":"inet","prefix":16}]},
            {"name":"eth1","hwaddr":"bc:24:11:00:01:02"}
        ]"#;
        let interfaces: Vec<WireInterface> = serde_json::from_str(json).unwrap();
        let found = reachable_addresses(interfaces);
        let texts: Vec<String> = found.iter().map(|a| a.address.to_string()).collect();
        assert_eq!(texts, ["10.0.0.5", "2001:db8::5"]);
        assert_eq!(found[0].interface, "eth0");
        assert_eq!(found[0].prefix, Some(24));
    }

    #[test]
    fn agent_states_are_told_apart_from_real_errors() {
        let server = |message: &str| PveError::from_response(500, message, b"{\"data\":null}");
        assert_eq!(
            agent_unavailable(&server("No QEMU guest agent configured")),
            Some(UnavailableReason::NoAgentConfigured)
        );
        assert_eq!(
            agent_unavailable(&server("QEMU guest agent is not running")),
            Some(UnavailableReason::AgentNotRunning)
        );
        assert_eq!(
            agent_unavailable(&server("VM 100 is not running")),
            Some(UnavailableReason::NotRunning)
        );
        let missing = server("Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist");
        assert_eq!(agent_unavailable(&missing), None);
        let denied = PveError::from_response(403, "Permission check failed", b"");
        assert_eq!(agent_unavailable(&denied), None);
    }
}
