//! What a running guest reports as its network interfaces:
//! `GET /nodes/{node}/lxc/{vmid}/interfaces` (pve-container runs `ip --json a` in the
//! container's network namespace) and
//! `GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces` (the QEMU guest agent).
//!
//! Addresses come from the guest's config: a static `ip=`/`ip6=` (containers' `netN`,
//! VMs' cloud-init `ipconfigN`) as written, `dhcp`/`auto` as a lease derived from
//! vmid, NIC index and bridge, so the same guest always gets the same address. Every
//! NIC also has its EUI-64 link-local address and the guest its loopback, as real
//! guests do.

use std::net::{Ipv4Addr, Ipv6Addr};

use proxicloud_types::GuestType;
use serde_json::{Value, json};

use super::common::{online_node, request_guest};
use super::propstr::{PropertyString, QEMU_NIC_MODELS};
use crate::Sim;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, GuestStatus};

/// The address families as each source spells them: `ip --json` says `inet`/`inet6`,
/// the guest agent `ipv4`/`ipv6`.
#[derive(Clone, Copy)]
enum Spelling {
    IpCommand,
    Agent,
}

struct Address {
    text: String,
    prefix: u8,
    v6: bool,
}

impl Address {
    fn v4(address: Ipv4Addr, prefix: u8) -> Self {
        Self {
            text: address.to_string(),
            prefix,
            v6: false,
        }
    }

    fn v6(address: Ipv6Addr, prefix: u8) -> Self {
        Self {
            text: address.to_string(),
            prefix,
            v6: true,
        }
    }

    /// `10.0.0.5/24` as written in `ip=`; `None` for anything else.
    fn parse_cidr(cidr: &str) -> Option<Self> {
        let (address, prefix) = cidr.split_once('/')?;
        let prefix = prefix.parse().ok()?;
        if let Ok(v4) = address.parse::<Ipv4Addr>() {
            return Some(Self::v4(v4, prefix));
        }
        address
            .parse::<Ipv6Addr>()
            .ok()
            .map(|v6| Self::v6(v6, prefix))
    }

    fn to_json(&self, spelling: Spelling) -> Value {
        let family = match (spelling, self.v6) {
            (Spelling::IpCommand, false) => "inet",
            (Spelling::IpCommand, true) => "inet6",
            (Spelling::Agent, false) => "ipv4",
            (Spelling::Agent, true) => "ipv6",
        };
        json!({ "ip-address-type": family, "ip-address": self.text, "prefix": self.prefix })
    }
}

struct Interface {
    name: String,
    mac: String,
    addresses: Vec<Address>,
}

impl Interface {
    fn loopback() -> Self {
        Self {
            name: "lo".to_string(),
            mac: "00:00:00:00:00:00".to_string(),
            addresses: vec![
                Address::v4(Ipv4Addr::LOCALHOST, 8),
                Address::v6(Ipv6Addr::LOCALHOST, 128),
            ],
        }
    }

    /// pve-container's entry: `ip-addresses` plus the legacy `hwaddr`/`inet`/`inet6`
    /// keys (each family's last address, `address/prefix`).
    fn to_lxc_json(&self) -> Value {
        let mut entry = json!({
            "name": self.name,
            "hwaddr": self.mac,
            "hardware-address": self.mac,
            "ip-addresses": self.addresses.iter().map(|a| a.to_json(Spelling::IpCommand)).collect::<Vec<_>>(),
        });
        for address in &self.addresses {
            let key = if address.v6 { "inet6" } else { "inet" };
            entry[key] = json!(format!("{}/{}", address.text, address.prefix));
        }
        entry
    }

    /// The guest agent's `GuestNetworkInterface`.
    fn to_agent_json(&self) -> Value {
        json!({
            "name": self.name,
            "hardware-address": self.mac,
            "ip-addresses": self.addresses.iter().map(|a| a.to_json(Spelling::Agent)).collect::<Vec<_>>(),
        })
    }
}

/// A bridge's number (`vmbr1` → 1) picks the second octet, so guests on different
/// bridges land in different /16s.
fn bridge_octet(bridge: &str) -> u8 {
    let digits: String = bridge
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match digits.parse::<u32>() {
        Ok(number) => (number % 256) as u8,
        Err(_) => bridge
            .bytes()
            .fold(0u8, |acc, b| acc.wrapping_mul(31).wrapping_add(b)),
    }
}

/// The lease a DHCP server on `bridge` would hand NIC `index` of guest `vmid`:
/// `10.<bridge>.x.y/16`, never a network or broadcast host part.
fn dhcp_lease(vmid: u32, index: u32, bridge: &str) -> Address {
    let host = (u64::from(vmid) * 8 + u64::from(index)) % (254 * 256);
    let (third, fourth) = ((host / 254) as u8, (host % 254 + 1) as u8);
    Address::v4(Ipv4Addr::new(10, bridge_octet(bridge), third, fourth), 16)
}

fn mac_bytes(mac: &str) -> Option<[u8; 6]> {
    let parts: Vec<u8> = mac
        .split(':')
        .map(|p| u8::from_str_radix(p, 16).ok())
        .collect::<Option<_>>()?;
    parts.try_into().ok()
}

/// EUI-64 interface id from a MAC, as SLAAC and link-local addresses use it.
fn eui64(mac: [u8; 6]) -> [u16; 4] {
    [
        u16::from_be_bytes([mac[0] ^ 0x02, mac[1]]),
        u16::from_be_bytes([mac[2], 0xff]),
        u16::from_be_bytes([0xfe, mac[3]]),
        u16::from_be_bytes([mac[4], mac[5]]),
    ]
}

fn with_interface_id(prefix: [u16; 4], id: [u16; 4]) -> Ipv6Addr {
    Ipv6Addr::new(
        prefix[0], prefix[1], prefix[2], prefix[3], id[0], id[1], id[2], id[3],
    )
}

/// One NIC's addresses from its `ip=`/`ip6=` settings (`None` when unset or `manual`).
fn nic_addresses(
    vmid: u32,
    index: u32,
    bridge: &str,
    mac: Option<[u8; 6]>,
    ip: Option<&str>,
    ip6: Option<&str>,
) -> Vec<Address> {
    let mut addresses = Vec::new();
    match ip {
        Some("dhcp") => addresses.push(dhcp_lease(vmid, index, bridge)),
        Some(cidr) => addresses.extend(Address::parse_cidr(cidr)),
        None => {}
    }
    match (ip6, mac) {
        // A router advertising fd00:<bridge>::/64 on the bridge.
        (Some("auto" | "dhcp"), Some(mac)) => {
            let prefix = [0xfd00, u16::from(bridge_octet(bridge)), 0, 0];
            addresses.push(Address::v6(with_interface_id(prefix, eui64(mac)), 64));
        }
        (Some(cidr), _) => addresses.extend(Address::parse_cidr(cidr)),
        (None, _) => {}
    }
    if let Some(mac) = mac {
        let link_local = with_interface_id([0xfe80, 0, 0, 0], eui64(mac));
        addresses.push(Address::v6(link_local, 64));
    }
    addresses
}

/// `netN` keys in index order.
fn indexed<'a>(guest: &'a Guest, prefix: &str) -> Vec<(u32, &'a str)> {
    let mut found: Vec<(u32, &str)> = guest
        .config
        .iter()
        .filter_map(|(key, value)| Some((key.strip_prefix(prefix)?.parse().ok()?, value.as_str())))
        .collect();
    found.sort_by_key(|(index, _)| *index);
    found
}

/// A container's `netN`: `name=eth0,bridge=vmbr0,hwaddr=…,ip=…,ip6=…`.
fn container_interfaces(guest: &Guest) -> Vec<Interface> {
    let mut interfaces = vec![Interface::loopback()];
    for (index, value) in indexed(guest, "net") {
        let net = PropertyString::parse(value);
        let mac = net.get("hwaddr").unwrap_or_default().to_lowercase();
        let addresses = nic_addresses(
            guest.vmid,
            index,
            net.get("bridge").unwrap_or_default(),
            mac_bytes(&mac),
            net.get("ip"),
            net.get("ip6"),
        );
        interfaces.push(Interface {
            name: net.get("name").unwrap_or("eth0").to_string(),
            mac,
            addresses,
        });
    }
    interfaces
}

/// A VM's `netN` (`virtio=<mac>,bridge=…`) with its cloud-init `ipconfigN`; without
/// one the guest OS asks DHCP, as distribution images do. NIC N sits in PCI slot
/// 18+N, so systemd names it `ens<18+N>`.
fn vm_interfaces(guest: &Guest) -> Vec<Interface> {
    let mut interfaces = vec![Interface::loopback()];
    for (index, value) in indexed(guest, "net") {
        let net = PropertyString::parse(value);
        let mac = QEMU_NIC_MODELS
            .iter()
            .find_map(|model| net.get(model))
            .unwrap_or_default()
            .to_lowercase();
        let ipconfig = guest
            .config
            .get(&format!("ipconfig{index}"))
            .map(|v| PropertyString::parse(v));
        let (ip, ip6) = match &ipconfig {
            Some(config) => (config.get("ip"), config.get("ip6")),
            None => (Some("dhcp"), None),
        };
        let addresses = nic_addresses(
            guest.vmid,
            index,
            net.get("bridge").unwrap_or_default(),
            mac_bytes(&mac),
            ip,
            ip6,
        );
        interfaces.push(Interface {
            name: format!("ens{}", 18 + index),
            mac,
            addresses,
        });
    }
    interfaces
}

/// `agent` is a property string whose default key is `enabled` (`1`, `enabled=1,…`).
fn agent_enabled(value: &str) -> bool {
    let agent = PropertyString::parse(value);
    let enabled = agent.head.as_deref().or_else(|| agent.get("enabled"));
    matches!(enabled, Some("1" | "yes" | "on" | "true"))
}

/// `PVE::LXC::get_interfaces` returns nothing (HTTP 200, `data: null`) when it finds no
/// running container with this id — stopped or not there at all.
pub(crate) fn lxc_interfaces(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let node = req.node()?;
    online_node(&cluster, node)?;
    let vmid = req.vmid()?;
    let running = cluster
        .guests
        .get(&vmid)
        .filter(|g| g.kind == GuestType::Lxc && g.node == node && g.status != GuestStatus::Stopped);
    Ok(match running {
        Some(guest) => Value::Array(
            container_interfaces(guest)
                .iter()
                .map(Interface::to_lxc_json)
                .collect(),
        ),
        None => Value::Null,
    })
}

/// qemu-server's agent endpoint: `load_config`, then `assert_agent_available` — an
/// `agent` key at all, a running VM, then `guest-ping` (which fails for `agent: 0`,
/// which has no agent channel, and for a paused VM, whose agent cannot answer).
pub(crate) fn qemu_network_interfaces(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let Some(agent) = guest.config.get("agent") else {
        return Err(ApiError::internal("No QEMU guest agent configured"));
    };
    if guest.status == GuestStatus::Stopped {
        return Err(ApiError::internal(format!(
            "VM {} is not running",
            guest.vmid
        )));
    }
    if guest.status == GuestStatus::Paused || !agent_enabled(agent) {
        return Err(ApiError::internal("QEMU guest agent is not running"));
    }
    let interfaces: Vec<Value> = vm_interfaces(guest)
        .iter()
        .map(Interface::to_agent_json)
        .collect();
    Ok(json!({ "result": interfaces }))
}
