//! Create, update and delete of one interface (`create_network`, `update_network`,
//! `delete_network` in pve-manager), written to the pending file.

use serde_json::{Value, json};

use super::iface::{no_such_iface, split_list, text};
use super::{Iface, Interfaces, write_pending};
use crate::Sim;
use crate::api::{ApiError, ApiResult, Req};

/// Parameters that are not interface options.
const NOT_OPTIONS: [&str; 3] = ["node", "iface", "delete"];
/// Boolean options: stored as 1 when set, left out when 0 (as the file round trip does).
const BOOLEANS: [&str; 2] = ["autostart", "bridge_vlan_aware"];

/// The request's interface options, as the strings the file will hold.
fn options(req: &Req) -> Result<Iface, ApiError> {
    let mut d = Iface::new();
    for key in req
        .params
        .keys()
        .filter(|k| !NOT_OPTIONS.contains(&k.as_str()))
    {
        if BOOLEANS.contains(&key.as_str()) {
            if req.flag(key)? {
                d.insert(key.clone(), Value::from(1));
            }
        } else if let Some(value) = req.str(key) {
            d.insert(key.clone(), value.into());
        }
    }
    Ok(d)
}

/// Only one interface may carry the default gateway (per family).
fn check_duplicate(config: &Interfaces, name: &str, key: &str, what: &str) -> Result<(), ApiError> {
    match config
        .iter()
        .find(|(other, d)| *other != name && text(d, key).is_some())
    {
        Some((other, _)) => Err(ApiError::param(
            key,
            format!("{what} already exists on interface '{other}'."),
        )),
        None => Ok(()),
    }
}

fn check_gateways(config: &Interfaces, name: &str, param: &Iface) -> Result<(), ApiError> {
    if text(param, "gateway").is_some() {
        check_duplicate(config, name, "gateway", "Default gateway")?;
    }
    if text(param, "gateway6").is_some() {
        check_duplicate(config, name, "gateway6", "Default ipv6 gateway")?;
    }
    Ok(())
}

/// A port may belong to one bridge/bond only.
fn check_duplicate_ports(config: &Interfaces, name: &str, param: &Iface) -> Result<(), ApiError> {
    let keys = ["bridge_ports", "ovs_ports", "slaves", "ovs_bonds"];
    let Some(param_name) = keys.iter().find(|k| text(param, k).is_some()) else {
        return Ok(());
    };
    let new_ports: Vec<&str> = keys
        .iter()
        .filter_map(|k| text(param, k))
        .flat_map(split_list)
        .collect();
    for (other, d) in config.iter().filter(|(other, _)| *other != name) {
        if let Some(port) = super::iface::member_ports(d)
            .into_iter()
            .find(|p| new_ports.contains(p))
        {
            return Err(ApiError::param(
                param_name,
                format!("{port} is already used on interface '{other}'."),
            ));
        }
    }
    Ok(())
}

/// `cidr`/`cidr6` become address and netmask; giving both forms is an error.
fn map_cidr_params(param: &mut Iface) -> Result<(), ApiError> {
    for (cidr, address, netmask) in [
        ("cidr", "address", "netmask"),
        ("cidr6", "address6", "netmask6"),
    ] {
        let Some(value) = text(param, cidr).map(str::to_string) else {
            continue;
        };
        if param.contains_key(address) {
            return Err(ApiError::param(
                address,
                format!("{address} conflicts with {cidr}"),
            ));
        }
        if param.contains_key(netmask) {
            return Err(ApiError::param(
                netmask,
                format!("{netmask} conflicts with {cidr}"),
            ));
        }
        let (ip, bits) = value.split_once('/').unwrap_or((&value, ""));
        param.insert(address.into(), ip.into());
        param.insert(netmask.into(), bits.into());
        param.remove(cidr);
    }
    Ok(())
}

/// `families` and `method`/`method6` follow the addresses given in this request.
fn set_methods(param: &mut Iface) {
    let mut families = Vec::new();
    for (address, family, method) in [
        ("address", "inet", "method"),
        ("address6", "inet6", "method6"),
    ] {
        let set = text(param, address).is_some();
        if set {
            families.push(family);
        }
        param.insert(method.into(), if set { "static" } else { "manual" }.into());
    }
    if families.is_empty() {
        families.push("inet");
    }
    param.insert("families".into(), json!(families));
}

/// `POST /nodes/{node}/network`.
pub fn create(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?.to_string();
    let name = req.required_str("iface")?;
    let mut param = options(req)?;
    write_pending(sim, &node, |config| {
        if config.contains_key(&name) {
            return Err(ApiError::param("iface", "interface already exists"));
        }
        check_gateways(config, &name, &param)?;
        check_duplicate_ports(config, &name, &param)?;
        map_cidr_params(&mut param)?;
        set_methods(&mut param);
        if text(&param, "type").is_some_and(|t| t == "OVSIntPort" || t == "OVSBond") {
            attach_to_ovs_bridge(config, &name, &param)?;
        }
        normalize_vids(&mut param)?;
        config.insert(name.clone(), param);
        Ok(())
    })
}

/// OVS internal ports and bonds join their bridge's `ovs_ports`.
fn attach_to_ovs_bridge(
    config: &mut Interfaces,
    name: &str,
    param: &Iface,
) -> Result<(), ApiError> {
    let bridge_name = text(param, "ovs_bridge")
        .ok_or_else(|| ApiError::param("ovs_bridge", "parameter is required"))?;
    let bridge = config.get_mut(bridge_name).ok_or_else(|| {
        ApiError::param(
            "ovs_bridge",
            format!("bridge '{bridge_name}' does not exist"),
        )
    })?;
    if text(bridge, "type") != Some("OVSBridge") {
        return Err(ApiError::param(
            "ovs_bridge",
            format!("interface '{bridge_name}' is no OVS bridge"),
        ));
    }
    let mut ports: Vec<String> = text(bridge, "ovs_ports")
        .map(|p| p.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if !ports.iter().any(|p| p == name) {
        ports.push(name.to_string());
    }
    bridge.insert("ovs_ports".into(), ports.join(" ").into());
    Ok(())
}

/// `bridge_vids` must list something and is stored space separated.
fn normalize_vids(param: &mut Iface) -> Result<(), ApiError> {
    if let Some(vids) = param
        .get("bridge_vids")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        let items: Vec<&str> = split_list(&vids).collect();
        if items.is_empty() {
            return Err(ApiError::param("bridge_vids", "VLAN list items are empty"));
        }
        param.insert("bridge_vids".into(), items.join(" ").into());
    }
    Ok(())
}

/// `PUT /nodes/{node}/network/{iface}`: merge the given options, drop `delete`d ones.
/// Like PVE, `method` and `families` follow the addresses *in this request*.
pub fn update(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?.to_string();
    let name = req.path("iface")?.to_string();
    let delete = req.str("delete").unwrap_or_default();
    let mut param = options(req)?;
    write_pending(sim, &node, |config| {
        let current = config.get_mut(&name).ok_or_else(no_such_iface)?;
        for key in split_list(&delete) {
            current.remove(key);
            match key {
                "cidr" => ["address", "netmask"]
                    .iter()
                    .for_each(|k| drop(current.remove(*k))),
                "cidr6" => ["address6", "netmask6"]
                    .iter()
                    .for_each(|k| drop(current.remove(*k))),
                _ => {}
            }
        }
        map_cidr_params(&mut param)?;
        check_gateways(config, &name, &param)?;
        check_duplicate_ports(config, &name, &param)?;
        set_methods(&mut param);
        normalize_vids(&mut param)?;
        let current = config.get_mut(&name).ok_or_else(no_such_iface)?;
        current.extend(param);
        Ok(())
    })
}

/// `DELETE /nodes/{node}/network/{iface}`; an OVS port also leaves its bridge.
pub fn delete(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?.to_string();
    let name = req.path("iface")?.to_string();
    write_pending(sim, &node, |config| {
        let removed = config.remove(&name).ok_or_else(no_such_iface)?;
        let is_ovs_member = matches!(text(&removed, "type"), Some("OVSIntPort" | "OVSBond"));
        if let Some(bridge) = text(&removed, "ovs_bridge").filter(|_| is_ovs_member)
            && let Some(bridge) = config.get_mut(bridge)
        {
            let ports: Vec<String> = text(bridge, "ovs_ports")
                .map(|p| {
                    p.split_whitespace()
                        .filter(|p| *p != name)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            bridge.insert("ovs_ports".into(), ports.join(" ").into());
        }
        Ok(())
    })
}
