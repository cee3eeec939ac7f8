//! PVE firewall: rules at cluster, security-group and guest level, security groups,
//! and cluster/guest options.

use proxicloud_types::{GuestType, NodeName, VmId};
use serde::Deserialize;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, opt_string, opt_u64};
use crate::transport::Transport;

/// Where a rule list lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirewallScope {
    Cluster,
    /// A security group (rules referenced by `group` rules elsewhere).
    Group(String),
    Guest {
        node: NodeName,
        ty: GuestType,
        vmid: VmId,
    },
}

impl FirewallScope {
    /// The rule list path; single rules are `{path}/{pos}`.
    fn rules_path(&self) -> String {
        match self {
            FirewallScope::Cluster => "/cluster/firewall/rules".to_string(),
            FirewallScope::Group(group) => api_path!("cluster", "firewall", "groups", group),
            FirewallScope::Guest { node, ty, vmid } => {
                api_path!("nodes", node, ty, vmid, "firewall", "rules")
            }
        }
    }
}

/// A rule as PVE lists it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FirewallRule {
    #[serde(deserialize_with = "opt_u64")]
    pub pos: Option<u64>,
    /// `in`, `out`, `forward` or `group`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `ACCEPT`, `DROP`, `REJECT`, or the group name for `group` rules.
    pub action: String,
    #[serde(deserialize_with = "opt_bool")]
    pub enable: Option<bool>,
    #[serde(rename = "macro", deserialize_with = "opt_string")]
    pub macro_name: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub source: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub dest: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub proto: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub dport: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub sport: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub iface: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub log: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub comment: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub digest: Option<String>,
}

/// A rule to create (`kind` and `action` required) or the fields to change in an
/// update (unset fields stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirewallRuleSpec {
    /// `in`, `out`, `forward` or `group`.
    pub kind: Option<String>,
    pub action: Option<String>,
    pub enable: Option<bool>,
    pub macro_name: Option<String>,
    pub source: Option<String>,
    pub dest: Option<String>,
    pub proto: Option<String>,
    pub dport: Option<String>,
    pub sport: Option<String>,
    pub iface: Option<String>,
    pub log: Option<String>,
    pub comment: Option<String>,
    /// Create: insert at this position. Update: move the rule there (`moveto`).
    pub pos: Option<u32>,
    /// Update only: fields to clear.
    pub delete: Vec<String>,
    pub digest: Option<String>,
}

impl FirewallRuleSpec {
    /// An `in`/`out` rule such as `FirewallRuleSpec::new("in", "ACCEPT")`.
    pub fn new(kind: &str, action: &str) -> Self {
        Self {
            kind: Some(kind.to_string()),
            action: Some(action.to_string()),
            enable: Some(true),
            ..Self::default()
        }
    }

    fn fields(&self) -> Params {
        Params::new()
            .opt("type", self.kind.as_deref())
            .opt("action", self.action.as_deref())
            // The rule `enable` field is an integer in PVE's schema; 0/1 fits both.
            .opt("enable", self.enable.map(u32::from))
            .opt("macro", self.macro_name.as_deref())
            .opt("source", self.source.as_deref())
            .opt("dest", self.dest.as_deref())
            .opt("proto", self.proto.as_deref())
            .opt("dport", self.dport.as_deref())
            .opt("sport", self.sport.as_deref())
            .opt("iface", self.iface.as_deref())
            .opt("log", self.log.as_deref())
            .opt("comment", self.comment.as_deref())
            .opt("digest", self.digest.as_deref())
    }

    pub(crate) fn create_params(&self) -> Result<Params> {
        if self.kind.is_none() || self.action.is_none() || !self.delete.is_empty() {
            return Err(crate::error::PveError::InvalidRequest(
                "a new firewall rule needs `kind` and `action` and cannot `delete` fields"
                    .to_string(),
            ));
        }
        Ok(self.fields().opt("pos", self.pos))
    }

    pub(crate) fn update_params(&self) -> Params {
        self.fields()
            .opt("moveto", self.pos)
            .joined("delete", self.delete.iter().map(String::as_str))
    }
}

/// A security group.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FirewallGroup {
    pub group: String,
    #[serde(deserialize_with = "opt_string")]
    pub comment: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub digest: Option<String>,
}

/// Firewall options, cluster-wide or per guest. Fields that do not apply to a level
/// are `None` when read and must stay `None` when written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FirewallOptions {
    #[serde(deserialize_with = "opt_bool")]
    pub enable: Option<bool>,
    #[serde(deserialize_with = "opt_string")]
    pub policy_in: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub policy_out: Option<String>,
    /// Cluster only.
    #[serde(deserialize_with = "opt_string")]
    pub policy_forward: Option<String>,
    /// Cluster only.
    #[serde(deserialize_with = "opt_bool")]
    pub ebtables: Option<bool>,
    /// Guest only.
    #[serde(deserialize_with = "opt_bool")]
    pub dhcp: Option<bool>,
    /// Guest only.
    #[serde(deserialize_with = "opt_bool")]
    pub ipfilter: Option<bool>,
    /// Guest only.
    #[serde(deserialize_with = "opt_bool")]
    pub macfilter: Option<bool>,
    /// Guest only.
    #[serde(deserialize_with = "opt_string")]
    pub log_level_in: Option<String>,
    /// Guest only.
    #[serde(deserialize_with = "opt_string")]
    pub log_level_out: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub digest: Option<String>,
}

fn cluster_option_params(options: &FirewallOptions) -> Result<Params> {
    let guest_only = options.dhcp.is_some()
        || options.ipfilter.is_some()
        || options.macfilter.is_some()
        || options.log_level_in.is_some()
        || options.log_level_out.is_some();
    if guest_only {
        return Err(crate::error::PveError::InvalidRequest(
            "dhcp, ipfilter, macfilter and log levels are guest firewall options".to_string(),
        ));
    }
    Ok(Params::new()
        .opt("enable", options.enable.map(u32::from))
        .opt("policy_in", options.policy_in.as_deref())
        .opt("policy_out", options.policy_out.as_deref())
        .opt("policy_forward", options.policy_forward.as_deref())
        .opt("ebtables", options.ebtables)
        .opt("digest", options.digest.as_deref()))
}

fn guest_option_params(options: &FirewallOptions) -> Result<Params> {
    if options.policy_forward.is_some() || options.ebtables.is_some() {
        return Err(crate::error::PveError::InvalidRequest(
            "policy_forward and ebtables are cluster firewall options".to_string(),
        ));
    }
    Ok(Params::new()
        .opt("enable", options.enable)
        .opt("policy_in", options.policy_in.as_deref())
        .opt("policy_out", options.policy_out.as_deref())
        .opt("dhcp", options.dhcp)
        .opt("ipfilter", options.ipfilter)
        .opt("macfilter", options.macfilter)
        .opt("log_level_in", options.log_level_in.as_deref())
        .opt("log_level_out", options.log_level_out.as_deref())
        .opt("digest", options.digest.as_deref()))
}

pub(crate) async fn rules(t: &Transport, scope: &FirewallScope) -> Result<Vec<FirewallRule>> {
    t.get(&scope.rules_path(), Params::new()).await
}

pub(crate) async fn create_rule(
    t: &Transport,
    scope: &FirewallScope,
    rule: &FirewallRuleSpec,
) -> Result<()> {
    t.post(&scope.rules_path(), rule.create_params()?).await
}

pub(crate) async fn update_rule(
    t: &Transport,
    scope: &FirewallScope,
    pos: u32,
    rule: &FirewallRuleSpec,
) -> Result<()> {
    let path = format!("{}/{pos}", scope.rules_path());
    t.put(&path, rule.update_params()).await
}

pub(crate) async fn delete_rule(t: &Transport, scope: &FirewallScope, pos: u32) -> Result<()> {
    let path = format!("{}/{pos}", scope.rules_path());
    t.delete(&path, Params::new()).await
}

pub(crate) async fn groups(t: &Transport) -> Result<Vec<FirewallGroup>> {
    t.get("/cluster/firewall/groups", Params::new()).await
}

pub(crate) async fn create_group(t: &Transport, group: &str, comment: Option<&str>) -> Result<()> {
    let params = Params::new().set("group", group).opt("comment", comment);
    t.post("/cluster/firewall/groups", params).await
}

pub(crate) async fn delete_group(t: &Transport, group: &str) -> Result<()> {
    t.delete(
        &api_path!("cluster", "firewall", "groups", group),
        Params::new(),
    )
    .await
}

pub(crate) async fn cluster_options(t: &Transport) -> Result<FirewallOptions> {
    t.get("/cluster/firewall/options", Params::new()).await
}

pub(crate) async fn set_cluster_options(t: &Transport, options: &FirewallOptions) -> Result<()> {
    t.put("/cluster/firewall/options", cluster_option_params(options)?)
        .await
}

pub(crate) async fn guest_options(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<FirewallOptions> {
    let path = api_path!("nodes", node, ty, vmid, "firewall", "options");
    t.get(&path, Params::new()).await
}

pub(crate) async fn set_guest_options(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    options: &FirewallOptions,
) -> Result<()> {
    let path = api_path!("nodes", node, ty, vmid, "firewall", "options");
    t.put(&path, guest_option_params(options)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_map_to_pve_paths() {
        assert_eq!(
            FirewallScope::Cluster.rules_path(),
            "/cluster/firewall/rules"
        );
        assert_eq!(
            FirewallScope::Group("web".to_string()).rules_path(),
            "/cluster/firewall/groups/web"
        );
        let guest = FirewallScope::Guest {
            node: NodeName::new("pve1").unwrap(),
            ty: GuestType::Lxc,
            vmid: VmId::new(101).unwrap(),
        };
        assert_eq!(guest.rules_path(), "/nodes/pve1/lxc/101/firewall/rules");
    }

    #[test]
    fn rule_create_and_update_differ_in_position_and_delete() {
        let mut rule = FirewallRuleSpec::new("in", "ACCEPT");
        rule.proto = Some("tcp".to_string());
        rule.dport = Some("22".to_string());
        rule.pos = Some(0);
        assert_eq!(
            rule.create_params().unwrap().to_form(),
            "type=in&action=ACCEPT&enable=1&proto=tcp&dport=22&pos=0"
        );
        rule.delete = vec!["comment".to_string()];
        assert!(rule.create_params().is_err());
        assert!(
            rule.update_params()
                .to_form()
                .ends_with("moveto=0&delete=comment")
        );
        assert!(FirewallRuleSpec::default().create_params().is_err());
    }

    #[test]
    fn options_are_checked_against_their_level() {
        let guest = FirewallOptions {
            enable: Some(true),
            dhcp: Some(true),
            ..FirewallOptions::default()
        };
        assert!(cluster_option_params(&guest).is_err());
        assert_eq!(
            guest_option_params(&guest).unwrap().to_form(),
            "enable=1&dhcp=1"
        );
        let cluster = FirewallOptions {
            ebtables: Some(false),
            ..FirewallOptions::default()
        };
        assert!(guest_option_params(&cluster).is_err());
    }
}
