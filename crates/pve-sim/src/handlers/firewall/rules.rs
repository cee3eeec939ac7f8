//! Rule lists (`PVE::API2::Firewall::RulesBase` and `PVE::Firewall::verify_rule`):
//! the same five endpoints for the cluster, each security group and each guest.

use serde_json::Value;

use super::verify::verify_rule;
use super::{FirewallState, Rule, list_digest, modified_error};
use crate::Sim;
use crate::api::{ApiError, ApiResult, Req};

/// Rule fields a request may set (`$rule_properties` without `pos` and `digest`).
const RULE_FIELDS: [&str; 13] = [
    "type",
    "action",
    "macro",
    "iface",
    "source",
    "dest",
    "proto",
    "enable",
    "log",
    "sport",
    "dport",
    "comment",
    "icmp-type",
];

/// Whose rules a request addresses, and which rule types that place allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Cluster,
    Group(String),
    /// A guest's rules; `ct` or `vm` as PVE's rule environment.
    Guest(u32, &'static str),
}

impl Scope {
    pub fn of(req: &Req) -> Result<Self, ApiError> {
        if req.template.starts_with("/cluster/firewall/groups/") {
            Ok(Scope::Group(req.path("group")?.to_string()))
        } else if req.template.starts_with("/cluster/") {
            Ok(Scope::Cluster)
        } else {
            let env = if req.template.contains("/lxc/") {
                "ct"
            } else {
                "vm"
            };
            Ok(Scope::Guest(req.vmid()?, env))
        }
    }

    pub(super) fn env(&self) -> &'static str {
        match self {
            Scope::Cluster => "cluster",
            Scope::Group(_) => "group",
            Scope::Guest(_, env) => env,
        }
    }

    pub(super) fn allowed_types(&self) -> &'static [&'static str] {
        match self {
            Scope::Cluster => &["in", "out", "forward", "group"],
            Scope::Group(_) => &["in", "out", "forward"],
            Scope::Guest(..) => &["in", "out", "group"],
        }
    }

    /// The rule list; a guest without a firewall file has an empty one, as PVE reads
    /// a missing `<vmid>.fw` as empty.
    fn rules_mut<'a>(&self, state: &'a mut FirewallState) -> Result<&'a mut Vec<Rule>, ApiError> {
        match self {
            Scope::Cluster => Ok(&mut state.cluster_rules),
            Scope::Group(name) => state
                .groups
                .get_mut(name)
                .map(|g| &mut g.rules)
                .ok_or_else(|| ApiError::internal(format!("no such security group '{name}'"))),
            Scope::Guest(vmid, _) => Ok(&mut state.guests.entry(*vmid).or_default().rules),
        }
    }
}

/// The `{pos}` path parameter (the schema guarantees a non-negative integer).
fn position(req: &Req) -> Result<usize, ApiError> {
    req.path("pos")?
        .parse()
        .map_err(|_| ApiError::param("pos", "type check ('integer') failed"))
}

fn no_rule(pos: usize) -> ApiError {
    ApiError::internal(format!("no rule at position {pos}"))
}

/// Rules as the API lists them: each with its position and the list digest.
fn with_positions(rules: &[Rule]) -> Vec<Value> {
    let digest = list_digest(rules);
    rules
        .iter()
        .enumerate()
        .map(|(pos, rule)| {
            let mut out = rule.clone();
            out.insert("pos".into(), Value::from(pos));
            out.insert("digest".into(), digest.clone().into());
            Value::Object(out)
        })
        .collect()
}

pub fn list_rules(sim: &Sim, req: &Req) -> ApiResult {
    let scope = Scope::of(req)?;
    let mut cluster = sim.cluster.lock();
    let rules = scope.rules_mut(&mut cluster.firewall)?;
    Ok(Value::Array(with_positions(rules)))
}

pub fn get_rule(sim: &Sim, req: &Req) -> ApiResult {
    let scope = Scope::of(req)?;
    let pos = position(req)?;
    let mut cluster = sim.cluster.lock();
    let rules = scope.rules_mut(&mut cluster.firewall)?;
    with_positions(rules)
        .into_iter()
        .nth(pos)
        .ok_or_else(|| no_rule(pos))
}

/// `copy_rule_data`: set the given fields; `''` or `-` removes one.
fn copy_rule_data(rule: &mut Rule, req: &Req) -> Result<(), ApiError> {
    for key in RULE_FIELDS {
        let Some(value) = req.str(key) else { continue };
        if value.is_empty() || value == "-" {
            rule.remove(key);
        } else if key == "enable" {
            rule.insert(key.into(), Value::from(req.int(key)?.unwrap_or(0)));
        } else {
            rule.insert(key.into(), value.into());
        }
    }
    Ok(())
}

/// `POST …/rules`: the new rule goes to the top (position 0), disabled unless
/// `enable` says otherwise. A `digest` is accepted but not checked, as in PVE.
pub fn create_rule(sim: &Sim, req: &Req) -> ApiResult {
    let scope = Scope::of(req)?;
    let mut cluster = sim.cluster.lock();
    // The rule list is loaded (a missing group fails) before the rule is checked.
    let rules = scope.rules_mut(&mut cluster.firewall)?;
    let mut rule = Rule::new();
    copy_rule_data(&mut rule, req)?;
    verify_rule(&mut rule, &scope)?;
    rule.entry("enable").or_insert(Value::from(0));
    rules.insert(0, rule);
    Ok(Value::Null)
}

fn check_digest(req: &Req, rules: &[Rule]) -> Result<(), ApiError> {
    match req.str("digest") {
        Some(wanted) if !wanted.is_empty() && wanted != list_digest(rules) => Err(modified_error()),
        _ => Ok(()),
    }
}

/// `PUT …/rules/{pos}`: `moveto` only moves the rule (other fields are ignored, as
/// in PVE); otherwise the fields are changed and the rule is verified again.
pub fn update_rule(sim: &Sim, req: &Req) -> ApiResult {
    let scope = Scope::of(req)?;
    let pos = position(req)?;
    let moveto = req.int("moveto")?.map(|m| m.max(0) as usize);
    let mut cluster = sim.cluster.lock();
    let rules = scope.rules_mut(&mut cluster.firewall)?;
    check_digest(req, rules)?;
    if pos >= rules.len() {
        return Err(no_rule(pos));
    }
    match moveto {
        Some(target) if target != pos => {
            let rule = rules.remove(pos);
            // PVE rebuilds the list inserting the rule before the one that was at
            // `moveto`; past the end it goes last.
            let index = if target > pos { target - 1 } else { target };
            rules.insert(index.min(rules.len()), rule);
        }
        _ => {
            let mut rule = rules[pos].clone();
            copy_rule_data(&mut rule, req)?;
            if let Some(delete) = req.str("delete") {
                delete_rule_fields(&mut rule, &delete)?;
            }
            verify_rule(&mut rule, &scope)?;
            rules[pos] = rule;
        }
    }
    Ok(Value::Null)
}

fn delete_rule_fields(rule: &mut Rule, delete: &str) -> Result<(), ApiError> {
    for field in delete.split([',', ';', ' ']).filter(|f| !f.is_empty()) {
        if !RULE_FIELDS.contains(&field) && field != "pos" && field != "digest" {
            return Err(ApiError::param(
                "delete",
                format!("no such property ('{field}')"),
            ));
        }
        if field == "type" || field == "action" {
            return Err(ApiError::param(
                "delete",
                format!("unable to delete required property '{field}'"),
            ));
        }
        rule.remove(field);
    }
    Ok(())
}

pub fn delete_rule(sim: &Sim, req: &Req) -> ApiResult {
    let scope = Scope::of(req)?;
    let pos = position(req)?;
    let mut cluster = sim.cluster.lock();
    let rules = scope.rules_mut(&mut cluster.firewall)?;
    check_digest(req, rules)?;
    if pos >= rules.len() {
        return Err(no_rule(pos));
    }
    rules.remove(pos);
    Ok(Value::Null)
}
