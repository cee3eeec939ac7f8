//! Firewall configuration (pve-firewall `PVE::API2::Firewall::*`): cluster rules and
//! options, security groups, and per-guest rules and options.
//!
//! Every list and option set carries a `digest`; writes given a stale one fail with
//! PVE's "detected modified configuration" error. Like PVE, a guest's firewall file
//! is looked up by vmid alone and a missing one reads as empty, so these endpoints
//! do not check that the guest exists.

mod rules;
mod verify;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::Sim;
use crate::api::{ApiError, ApiResult, Method, Req, Route, route};

/// One rule as pve-firewall stores it: `type`, `action`, `enable`, `source`, …
pub type Rule = Map<String, Value>;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub comment: Option<String>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct GuestFirewall {
    pub options: Map<String, Value>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct FirewallState {
    /// `cluster.fw` `[OPTIONS]`.
    pub cluster_options: Map<String, Value>,
    /// `cluster.fw` `[RULES]`.
    pub cluster_rules: Vec<Rule>,
    /// `cluster.fw` `[group NAME]` sections.
    pub groups: BTreeMap<String, SecurityGroup>,
    /// `/etc/pve/firewall/<vmid>.fw`.
    pub guests: BTreeMap<u32, GuestFirewall>,
}

impl FirewallState {
    /// Drop a guest's firewall file; guest destruction does this in PVE
    /// (`remove_vmfw_conf`), so a new guest with the same vmid starts clean.
    pub fn remove_guest(&mut self, vmid: u32) {
        self.guests.remove(&vmid);
    }
}

/// PVE hashes `key:value\n` of every field with SHA-1; the simulator uses the same
/// input with SHA-256 cut to SHA-1's length (clients treat digests as opaque).
fn digest_of<'a>(objects: impl IntoIterator<Item = &'a Map<String, Value>>) -> String {
    let mut sha = Sha256::new();
    for object in objects {
        let mut keys: Vec<&String> = object.keys().collect();
        keys.sort();
        for key in keys {
            let value = &object[key];
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            sha.update(format!("{key}:{text}\n"));
        }
    }
    hex::encode(sha.finalize())[..40].to_string()
}

fn list_digest(rules: &[Rule]) -> String {
    digest_of(rules)
}

fn modified_error() -> ApiError {
    ApiError::internal("detected modified configuration - file changed by other user? Try again.")
}

pub fn routes() -> Vec<Route> {
    use rules::{create_rule, delete_rule, get_rule, list_rules, update_rule};
    let mut routes = vec![
        route(Method::Get, "/cluster/firewall/groups", list_groups),
        route(Method::Post, "/cluster/firewall/groups", create_group),
        route(
            Method::Delete,
            "/cluster/firewall/groups/{group}",
            delete_group,
        ),
        route(Method::Get, "/cluster/firewall/options", get_options),
        route(Method::Put, "/cluster/firewall/options", set_options),
    ];
    let rule_lists = [
        (
            "/cluster/firewall/groups/{group}",
            "/cluster/firewall/groups/{group}/{pos}",
        ),
        ("/cluster/firewall/rules", "/cluster/firewall/rules/{pos}"),
        (
            "/nodes/{node}/lxc/{vmid}/firewall/rules",
            "/nodes/{node}/lxc/{vmid}/firewall/rules/{pos}",
        ),
        (
            "/nodes/{node}/qemu/{vmid}/firewall/rules",
            "/nodes/{node}/qemu/{vmid}/firewall/rules/{pos}",
        ),
    ];
    for (list, item) in rule_lists {
        routes.extend([
            route(Method::Get, list, list_rules),
            route(Method::Post, list, create_rule),
            route(Method::Get, item, get_rule),
            route(Method::Put, item, update_rule),
            route(Method::Delete, item, delete_rule),
        ]);
    }
    for template in [
        "/nodes/{node}/lxc/{vmid}/firewall/options",
        "/nodes/{node}/qemu/{vmid}/firewall/options",
    ] {
        routes.extend([
            route(Method::Get, template, get_options),
            route(Method::Put, template, set_options),
        ]);
    }
    routes
}

/// Groups as listed: name, comment and the digest of that list.
fn group_list(state: &FirewallState) -> Vec<Map<String, Value>> {
    state
        .groups
        .iter()
        .map(|(name, group)| {
            let mut entry = Map::new();
            entry.insert("group".into(), name.clone().into());
            if let Some(comment) = group.comment.as_ref().filter(|c| !c.is_empty()) {
                entry.insert("comment".into(), comment.clone().into());
            }
            entry
        })
        .collect()
}

fn list_groups(sim: &Sim, _req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let list = group_list(&cluster.firewall);
    let digest = digest_of(&list);
    Ok(Value::Array(
        list.into_iter()
            .map(|mut entry| {
                entry.insert("digest".into(), digest.clone().into());
                Value::Object(entry)
            })
            .collect(),
    ))
}

/// `POST /cluster/firewall/groups`: create a group, or with `rename` rename one
/// (or, renaming to itself, update its comment). Renames follow into every rule
/// that jumps to the group.
fn create_group(sim: &Sim, req: &Req) -> ApiResult {
    let name = req.required_str("group")?;
    let comment = req.str("comment");
    let mut cluster = sim.cluster.lock();
    let state = &mut cluster.firewall;
    let Some(old) = req.str("rename") else {
        if state.groups.contains_key(&name) {
            return Err(ApiError::param(
                "group",
                format!("Security group '{name}' already exists"),
            ));
        }
        state.groups.insert(
            name,
            SecurityGroup {
                comment,
                rules: Vec::new(),
            },
        );
        return Ok(Value::Null);
    };
    if req
        .str("digest")
        .is_some_and(|d| !d.is_empty() && d != digest_of(&group_list(state)))
    {
        return Err(modified_error());
    }
    if !state.groups.contains_key(&old) {
        return Err(ApiError::param(
            "group",
            format!("Security group '{old}' does not exist"),
        ));
    }
    if old != name && state.groups.contains_key(&name) {
        return Err(ApiError::param(
            "group",
            format!("Security group '{name}' does already exist"),
        ));
    }
    let mut group = state.groups.remove(&old).unwrap_or_default();
    if comment.is_some() {
        group.comment = comment;
    }
    state.groups.insert(name.clone(), group);
    let all_rules = state
        .cluster_rules
        .iter_mut()
        .chain(state.guests.values_mut().flat_map(|g| g.rules.iter_mut()));
    for rule in all_rules {
        if rule.get("type") == Some(&json!("group")) && rule.get("action") == Some(&json!(old)) {
            rule.insert("action".into(), name.clone().into());
        }
    }
    Ok(Value::Null)
}

fn delete_group(sim: &Sim, req: &Req) -> ApiResult {
    let name = req.path("group")?;
    let mut cluster = sim.cluster.lock();
    let groups = &mut cluster.firewall.groups;
    let group = groups
        .get(name)
        .ok_or_else(|| ApiError::internal(format!("no such security group '{name}'")))?;
    if !group.rules.is_empty() {
        return Err(ApiError::internal(format!(
            "Security group '{name}' is not empty"
        )));
    }
    groups.remove(name);
    Ok(Value::Null)
}

/// Options stored as numbers (`int()` in pve-firewall's parser); the rest are text.
const NUMERIC_OPTIONS: [&str; 7] = [
    "enable",
    "ebtables",
    "dhcp",
    "ndp",
    "radv",
    "macfilter",
    "ipfilter",
];
const CLUSTER_OPTIONS: [&str; 6] = [
    "enable",
    "ebtables",
    "log_ratelimit",
    "policy_in",
    "policy_out",
    "policy_forward",
];
const GUEST_OPTIONS: [&str; 10] = [
    "enable",
    "dhcp",
    "ndp",
    "radv",
    "macfilter",
    "ipfilter",
    "log_level_in",
    "log_level_out",
    "policy_in",
    "policy_out",
];

fn options_mut<'a>(
    state: &'a mut FirewallState,
    req: &Req,
) -> Result<(&'a mut Map<String, Value>, &'static [&'static str]), ApiError> {
    if req.template.starts_with("/cluster/") {
        Ok((&mut state.cluster_options, &CLUSTER_OPTIONS))
    } else {
        Ok((
            &mut state.guests.entry(req.vmid()?).or_default().options,
            &GUEST_OPTIONS,
        ))
    }
}

/// `GET …/firewall/options`: the set options plus their digest.
fn get_options(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let (options, _) = options_mut(&mut cluster.firewall, req)?;
    let mut out = options.clone();
    out.insert("digest".into(), digest_of([&*options]).into());
    Ok(Value::Object(out))
}

/// `PUT …/firewall/options`: digest check, `delete`, then the given options.
fn set_options(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let (options, known) = options_mut(&mut cluster.firewall, req)?;
    if req
        .str("digest")
        .is_some_and(|d| !d.is_empty() && d != digest_of([&*options]))
    {
        return Err(modified_error());
    }
    let mut updated = options.clone();
    for name in req
        .str("delete")
        .unwrap_or_default()
        .split([',', ';', ' '])
        .filter(|n| !n.is_empty())
    {
        if !known.contains(&name) {
            return Err(ApiError::param(
                "delete",
                format!("no such option '{name}'"),
            ));
        }
        updated.remove(name);
    }
    for name in known {
        let Some(value) = req.str(name) else { continue };
        let value = if NUMERIC_OPTIONS.contains(name) {
            // Booleans arrive as 0/1; `enable` is normalised to 0/1 like PVE does.
            let number = req.int(name)?.unwrap_or(0);
            Value::from(if *name == "enable" {
                i64::from(number != 0)
            } else {
                number
            })
        } else {
            Value::from(value)
        };
        updated.insert((*name).to_string(), value);
    }
    *options = updated;
    Ok(Value::Null)
}

#[cfg(test)]
mod tests;
