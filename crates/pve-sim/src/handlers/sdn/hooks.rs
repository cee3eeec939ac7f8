//! The plugin hooks PVE runs on every SDN write: per-zone-type vnet tag rules,
//! vnet/subnet compatibility, references that block deletion.

use std::net::Ipv4Addr;

use serde_json::{Map, Value};

use super::SdnConfig;
use super::kind::Kind;
use crate::api::ApiError;

/// IPAMs and DNS servers the simulated cluster has: the built-in `pve` IPAM only.
const KNOWN_IPAMS: [&str; 1] = ["pve"];

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn number(o: &Map<String, Value>, key: &str) -> Option<i64> {
    let value = o.get(key)?;
    value.as_i64().or_else(|| value.as_str()?.parse().ok())
}

/// Checks after an object was created or changed in `config`.
pub fn after_update(kind: Kind, config: &mut SdnConfig, id: &str) -> Result<(), ApiError> {
    match kind {
        Kind::Zones => check_zone(&config.zones[id]),
        Kind::Vnets => check_vnet(config, id),
        Kind::Subnets => check_subnet(config, id),
    }
}

fn check_zone(zone: &Map<String, Value>) -> Result<(), ApiError> {
    // No DNS plugin is configured in the simulated cluster.
    for key in ["dns", "reversedns"] {
        if let Some(server) = text(zone, key) {
            return Err(ApiError::param(key, format!("{server} don't exist")));
        }
    }
    if text(zone, "dnszone").is_some() {
        return Err(ApiError::param("dnszone", "missing dns server"));
    }
    if let Some(ipam) = text(zone, "ipam").filter(|i| !KNOWN_IPAMS.contains(i)) {
        return Err(ApiError::param("ipam", format!("{ipam} not existing")));
    }
    Ok(())
}

fn check_vnet(config: &SdnConfig, id: &str) -> Result<(), ApiError> {
    let vnet = &config.vnets[id];
    let zone_id = text(vnet, "zone").unwrap_or_default();
    // PVE looks the zone's plugin up by its type; a missing zone has none.
    let zone_type = config
        .zones
        .get(zone_id)
        .and_then(|z| text(z, "type"))
        .ok_or_else(|| ApiError::internal("unknown section type ''"))?;
    let tag = number(vnet, "tag");
    let others = config.vnets.iter().filter(|(other, _)| *other != id);
    match zone_type {
        "simple" if tag.is_some() => {
            return Err(ApiError::param(
                "tag",
                "vlan tag is not allowed on simple zone",
            ));
        }
        "vlan" => {
            let tag = tag.ok_or_else(|| ApiError::param("tag", "missing vlan tag"))?;
            if tag > 4096 {
                return Err(ApiError::param("tag", "vlan tag max value is 4096"));
            }
            for (other, o) in others {
                if text(o, "zone") == Some(zone_id) && number(o, "tag") == Some(tag) {
                    return Err(ApiError::param(
                        "tag",
                        format!("tag {tag} already exist in vnet {other}"),
                    ));
                }
            }
        }
        "qinq" => {
            if tag.is_some_and(|t| t > 4096) {
                return Err(ApiError::param("tag", "VLAN tag maximal value is 4096"));
            }
            for (other, o) in others {
                if text(o, "zone") == Some(zone_id) && tag.is_some() && number(o, "tag") == tag {
                    let tag = tag.unwrap_or_default();
                    return Err(ApiError::param(
                        "tag",
                        format!("tag {tag} already exist in zone {zone_id} vnet {other}"),
                    ));
                }
            }
        }
        "vxlan" | "evpn" => {
            let tag = tag.ok_or_else(|| ApiError::param("tag", "missing vxlan tag"))?;
            if tag > 16_777_216 {
                return Err(ApiError::param("tag", "vxlan tag max value is 16777216"));
            }
            for (other, o) in others {
                if number(o, "tag") == Some(tag) {
                    let other_zone = text(o, "zone").unwrap_or_default();
                    return Err(ApiError::param(
                        "tag",
                        format!(
                            "vxlan tag {tag} already exist in vnet {other} in zone {other_zone} "
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
    let vlanaware = number(vnet, "vlanaware").unwrap_or(0) != 0;
    if vlanaware && has_subnets(config, id) {
        return Err(ApiError::param(
            "vlanaware",
            "vlanaware vnet is not compatible with subnets",
        ));
    }
    Ok(())
}

fn has_subnets(config: &SdnConfig, vnet: &str) -> bool {
    config
        .subnets
        .values()
        .any(|s| text(s, "vnet") == Some(vnet))
}

fn check_subnet(config: &SdnConfig, id: &str) -> Result<(), ApiError> {
    let subnet = &config.subnets[id];
    let vnet_id = text(subnet, "vnet").unwrap_or_default();
    let vnet = config
        .vnets
        .get(vnet_id)
        .ok_or_else(|| ApiError::param("vnet", format!("{vnet_id} don't exist")))?;
    if number(vnet, "vlanaware").unwrap_or(0) != 0 {
        return Err(ApiError::param(
            "vnet",
            "you can't add a subnet on a vlanaware vnet",
        ));
    }
    let mut parts = id.splitn(3, '-').skip(1);
    let cidr = format!(
        "{}/{}",
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    );
    if let Some(gateway) = text(subnet, "gateway")
        && ipv4_in_cidr(gateway, &cidr) == Some(false)
    {
        return Err(ApiError::param(
            "gateway",
            format!("{gateway} is not in subnet {cidr}"),
        ));
    }
    Ok(())
}

/// Whether an IPv4 address lies in an IPv4 network; `None` when either is not IPv4.
fn ipv4_in_cidr(address: &str, cidr: &str) -> Option<bool> {
    let (network, bits) = cidr.split_once('/')?;
    let (address, network): (Ipv4Addr, Ipv4Addr) = (address.parse().ok()?, network.parse().ok()?);
    let bits: u32 = bits.parse().ok()?;
    let mask = u32::MAX.checked_shl(32 - bits.min(32)).unwrap_or(0);
    Some(u32::from(address) & mask == u32::from(network) & mask)
}

/// Checks before an object is deleted: nothing may still refer to it.
pub fn before_delete(kind: Kind, config: &SdnConfig, id: &str) -> Result<(), ApiError> {
    match kind {
        Kind::Zones => {
            if let Some((vnet, _)) = config
                .vnets
                .iter()
                .find(|(_, v)| text(v, "zone") == Some(id))
            {
                return Err(ApiError::internal(format!(
                    "zone {id} is used by vnet {vnet}"
                )));
            }
        }
        Kind::Vnets if has_subnets(config, id) => {
            return Err(ApiError::param(
                "vnet",
                "Can't delete vnet if subnets exists",
            ));
        }
        _ => {}
    }
    Ok(())
}
