//! What pve-common's interfaces writer checks and what reading the written file
//! back yields: PVE answers every read from the parsed file, so an interface shows
//! up with the defaults and derived fields the writer/parser round trip adds.

use serde_json::{Value, json};

use super::{Iface, Interfaces};
use crate::api::ApiError;

pub fn no_such_iface() -> ApiError {
    ApiError::param("iface", "interface does not exist")
}

pub fn text<'a>(d: &'a Iface, key: &str) -> Option<&'a str> {
    d.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn kind(d: &Iface) -> &str {
    text(d, "type").unwrap_or("unknown")
}

/// A physical NIC as the installer writes it (`iface eno1 inet manual`).
pub fn eth() -> Iface {
    json!({ "type": "eth", "method": "manual", "method6": "manual", "families": ["inet"] })
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// A Linux bridge over `ports`.
pub fn bridge(ports: &str) -> Iface {
    let mut d = eth();
    d.insert("type".into(), "bridge".into());
    d.insert("bridge_ports".into(), ports.into());
    d
}

/// PVE::Tools::split_list: separated by commas, semicolons or white space.
pub fn split_list(list: &str) -> impl Iterator<Item = &str> {
    list.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

/// The interfaces another interface enslaves (bridge ports, bond slaves, OVS ports).
pub fn member_ports(d: &Iface) -> Vec<&str> {
    ["bridge_ports", "ovs_ports", "slaves", "ovs_bonds"]
        .iter()
        .filter_map(|k| text(d, k))
        .flat_map(split_list)
        .collect()
}

/// The `type` filter of `GET /nodes/{node}/network`.
pub fn type_matches(d: &Iface, filter: &str) -> bool {
    let t = kind(d);
    match filter {
        "any_bridge" | "any_local_bridge" => t == "bridge" || t == "OVSBridge",
        "include_sdn" => true,
        other => t == other,
    }
}

/// Names the kernel treats as network cards (PVE::Network's `PHYSICAL_NIC_RE`).
fn is_physical_name(name: &str) -> bool {
    let plain = !name.contains(['.', ':']);
    let eth = name
        .strip_prefix("eth")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    plain && (eth || name.starts_with("en") || name.starts_with("ib"))
}

/// The checks `__write_etc_network_interfaces` makes before writing; failures are
/// plain `die`s, so 500s with the message.
pub fn check_write(config: &Interfaces) -> Result<(), ApiError> {
    let mut used: Vec<(&str, &str)> = Vec::new();
    for (name, d) in config {
        for port in member_ports(d) {
            if let Some((_, owner)) = used.iter().find(|(p, o)| *p == port && o != name) {
                return Err(ApiError::internal(format!(
                    "port '{port}' is already used on interface '{owner}'"
                )));
            }
            used.push((port, name));
        }
    }
    for (name, d) in config {
        match kind(d) {
            "bond" => check_bond(config, name, d)?,
            "vlan" => check_vlan(config, name, d)?,
            _ => {}
        }
    }
    Ok(())
}

fn check_bond(config: &Interfaces, name: &str, d: &Iface) -> Result<(), ApiError> {
    let slaves: Vec<&str> = text(d, "slaves")
        .map(|s| split_list(s).collect())
        .unwrap_or_default();
    for slave in &slaves {
        // PVE autovivifies a missing slave before its existence check, so a missing
        // slave fails the type check with an empty type.
        let slave_type = config.get(*slave).map(kind).unwrap_or("");
        if slave_type != "eth" && slave_type != "bond" {
            return Err(ApiError::internal(format!(
                "bond '{name}' - wrong interface type on slave '{slave}' ('{slave_type}' != 'eth or bond')"
            )));
        }
    }
    if let Some(primary) = text(d, "bond-primary")
        && !slaves.contains(&primary)
    {
        return Err(ApiError::internal(format!(
            "bond '{name}' - bond-primary interface is not a slave"
        )));
    }
    Ok(())
}

/// `(raw device, vlan id)` of a VLAN interface, from its name or options.
fn vlan_parts<'a>(name: &'a str, d: &'a Iface) -> Result<(&'a str, String), ApiError> {
    if let Some((raw, id)) = name
        .rsplit_once('.')
        .filter(|(_, id)| id.parse::<u32>().is_ok())
    {
        return Ok((raw, id.to_string()));
    }
    let raw = text(d, "vlan-raw-device")
        .ok_or_else(|| ApiError::internal("missing vlan-raw-device option"))?;
    if let Some(id) = name
        .strip_prefix("vlan")
        .filter(|id| id.parse::<u32>().is_ok())
    {
        return Ok((raw, id.to_string()));
    }
    let id = d
        .get("vlan-id")
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .ok_or_else(|| ApiError::internal("missing vlan-id option"))?;
    Ok((raw, id))
}

fn check_vlan(config: &Interfaces, name: &str, d: &Iface) -> Result<(), ApiError> {
    let (raw, id) = vlan_parts(name, d)?;
    if id.parse::<u32>().unwrap_or(0) > 4094 {
        return Err(ApiError::internal(format!(
            "vlan '{name}' - vlan-id {id} should be <= 4094"
        )));
    }
    let parent = config.get(raw).ok_or_else(|| {
        ApiError::internal(format!("vlan '{name}' - unable to find parent '{raw}'"))
    })?;
    let parent_type = kind(parent);
    if !matches!(parent_type, "eth" | "bridge" | "bond" | "vlan") {
        return Err(ApiError::internal(format!(
            "vlan '{name}' - wrong interface type on parent '{raw}' ('{parent_type}' != 'eth|bond|bridge|vlan' )"
        )));
    }
    Ok(())
}

/// Normalise every interface as writing the file and parsing it back would, then
/// number them in file order.
pub fn finish_write(config: &mut Interfaces) {
    let slaves: Vec<String> = config
        .values()
        .filter(|d| kind(d) == "bond")
        .flat_map(|d| {
            member_ports(d)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    for slave in slaves {
        // The writer marks bond slaves `auto`.
        if let Some(d) = config.get_mut(&slave) {
            d.insert("autostart".into(), Value::from(1));
        }
    }
    for (name, d) in config.iter_mut() {
        round_trip(name, d);
    }
    renumber(config);
}

fn set_default(d: &mut Iface, key: &str, value: &str) {
    if text(d, key).is_none() {
        d.insert(key.into(), value.into());
    }
}

fn round_trip(name: &str, d: &mut Iface) {
    // Options the writer skips because Perl sees them as false.
    d.retain(|_, v| !matches!(v, Value::Null | Value::Bool(false)) && v != "");
    for (cidr, address) in [("cidr", "address"), ("cidr6", "address6")] {
        if let Some(value) = d.remove(cidr) {
            d.entry(address).or_insert(value);
        }
    }
    match kind(d) {
        "bridge" => {
            set_default(d, "bridge_stp", "off");
            if text(d, "bridge_stp") == Some("off") {
                set_default(d, "bridge_fd", "0");
            }
            if d.contains_key("bridge_vlan_aware") {
                d.insert("bridge_vlan_aware".into(), Value::from(1));
                set_default(d, "bridge_vids", "2-4094");
            } else {
                d.remove("bridge_vids");
            }
        }
        "bond" => {
            set_default(d, "bond_miimon", "100");
            set_default(d, "bond_mode", "balance-rr");
            let mode = text(d, "bond_mode").unwrap_or_default().to_string();
            if mode != "balance-xor" && mode != "802.3ad" {
                d.remove("bond_xmit_hash_policy");
            }
            if mode != "active-backup" {
                d.remove("bond-primary");
            }
        }
        "vlan" => {
            if let Ok((raw, id)) = vlan_parts(name, d) {
                let raw = raw.to_string();
                d.insert("vlan-raw-device".into(), raw.into());
                d.insert("vlan-id".into(), id.into());
            }
        }
        "eth" if !is_physical_name(name) => {
            d.insert("type".into(), "unknown".into());
        }
        "OVSPort" | "OVSIntPort" | "OVSBond" => {
            // Started by their bridge.
            d.remove("autostart");
        }
        _ => {}
    }
    map_cidr(d, "", 32);
    map_cidr(d, "6", 128);
    set_default(d, "method", "manual");
    set_default(d, "method6", "manual");
    d.entry("families").or_insert_with(|| json!(["inet"]));
    if let Some(comments) = text(d, "comments").filter(|c| !c.ends_with('\n')) {
        let comments = format!("{comments}\n");
        d.insert("comments".into(), comments.into());
    }
}

/// The parser's address handling: `address`/`netmask` in any form become the
/// address, the prefix length as `netmask` and a `cidr`.
fn map_cidr(d: &mut Iface, suffix: &str, host_bits: u32) {
    let (addr_key, mask_key, cidr_key) = (
        format!("address{suffix}"),
        format!("netmask{suffix}"),
        format!("cidr{suffix}"),
    );
    let Some(address) = text(d, &addr_key).map(str::to_string) else {
        return;
    };
    let (base, bits) = match address.split_once('/') {
        Some((base, bits)) => (base.to_string(), Some(bits.to_string())),
        None => {
            let mask = d
                .get(&mask_key)
                .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string));
            (address.clone(), mask.and_then(|m| mask_bits(&m)))
        }
    };
    d.insert(addr_key, base.clone().into());
    match bits {
        Some(bits) => {
            d.insert(cidr_key, format!("{base}/{bits}").into());
            d.insert(mask_key, bits.into());
        }
        None => {
            d.insert(cidr_key, format!("{base}/{host_bits}").into());
        }
    }
}

/// A netmask as a prefix length: `24` stays, `255.255.255.0` becomes `24`.
fn mask_bits(mask: &str) -> Option<String> {
    if mask.parse::<u32>().is_ok() {
        return Some(mask.to_string());
    }
    let octets: Vec<u8> = mask
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let value = u32::from_be_bytes(octets.try_into().ok()?);
    (value.leading_ones() + value.trailing_zeros() == 32).then(|| value.leading_ones().to_string())
}

/// The writer's interface order (by type, then priority, then name); reading the file
/// back numbers the interfaces in that order after `lo` (priority 2).
fn renumber(config: &mut Interfaces) {
    let type_order = |name: &str| -> Option<i64> {
        let mut parts = name.split(['.', ':']);
        let root = parts.next().unwrap_or(name);
        let depth = parts.count() as i64;
        let base = match config.get(root).map(kind)? {
            "loopback" | "dummy" => 100_000,
            "eth" | "OVSPort" => 200_000,
            "OVSIntPort" => 300_000,
            "OVSBond" | "bond" => 400_000,
            "bridge" | "OVSBridge" => 500_000,
            "vlan" | "vxlan" => 600_000,
            _ => return None,
        };
        Some(base + depth)
    };
    let mut order: Vec<(String, Option<i64>, i64)> = config
        .iter()
        .map(|(name, d)| {
            let priority = d.get("priority").and_then(Value::as_i64).unwrap_or(50_000);
            (name.clone(), type_order(name), priority)
        })
        .collect();
    order.sort_by(|a, b| {
        // Only known types are ordered against each other, as in PVE.
        let (ta, tb) = match (a.1, b.1) {
            (Some(ta), Some(tb)) => (ta, tb),
            _ => (0, 0),
        };
        (ta + a.2, &a.0).cmp(&(tb + b.2, &b.0))
    });
    for (position, (name, _, _)) in order.into_iter().enumerate() {
        if let Some(d) = config.get_mut(&name) {
            d.insert("priority".into(), Value::from(position as i64 + 3));
        }
    }
}
