//! Software-defined networking: zones, vnets, subnets. Changes stay pending until
//! `apply_sdn` (`PUT /cluster/sdn`) rolls them out to every node.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, opt_string, opt_u64, string_list};
use crate::transport::Transport;
use crate::upid::Upid;

/// A zone. With `pending` listing, `state` is `new`, `changed` or `deleted` for
/// objects that differ from the running configuration, and `pending` holds the
/// not-yet-applied values (PVE lists a new object's settings only there).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SdnZone {
    pub zone: String,
    /// `simple`, `vlan`, `qinq`, `vxlan`, `evpn`, …
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "opt_string")]
    pub bridge: Option<String>,
    #[serde(deserialize_with = "opt_u64")]
    pub mtu: Option<u64>,
    #[serde(deserialize_with = "string_list")]
    pub nodes: Vec<String>,
    #[serde(deserialize_with = "opt_string")]
    pub ipam: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub dhcp: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub state: Option<String>,
    /// With `pending` listing: the values that differ from the running configuration
    /// (all of them for a new object; `deleted` for removed keys).
    pub pending: BTreeMap<String, serde_json::Value>,
    #[serde(deserialize_with = "opt_string")]
    pub digest: Option<String>,
}

/// A zone to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SdnZoneSpec {
    /// Up to 8 characters, letters and digits.
    pub zone: String,
    pub kind: String,
    /// VLAN zones: the node bridge carrying the tagged traffic.
    pub bridge: Option<String>,
    pub mtu: Option<u32>,
    /// Restrict to these nodes.
    pub nodes: Vec<String>,
    pub ipam: Option<String>,
    /// `dnsmasq` to serve DHCP for the zone's subnets.
    pub dhcp: Option<String>,
    pub extra: BTreeMap<String, String>,
}

/// A vnet.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SdnVnet {
    pub vnet: String,
    pub zone: String,
    #[serde(deserialize_with = "opt_u64")]
    pub tag: Option<u64>,
    #[serde(deserialize_with = "opt_string")]
    pub alias: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub vlanaware: Option<bool>,
    #[serde(deserialize_with = "opt_string")]
    pub state: Option<String>,
    /// With `pending` listing: the values that differ from the running configuration
    /// (all of them for a new object; `deleted` for removed keys).
    pub pending: BTreeMap<String, serde_json::Value>,
    #[serde(deserialize_with = "opt_string")]
    pub digest: Option<String>,
}

/// A vnet to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SdnVnetSpec {
    pub vnet: String,
    pub zone: String,
    pub tag: Option<u32>,
    pub alias: Option<String>,
    pub vlanaware: Option<bool>,
}

/// A subnet. `subnet` is PVE's id (`<zone>-<address>-<prefix>`), `cidr` the network.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SdnSubnet {
    pub subnet: String,
    #[serde(deserialize_with = "opt_string")]
    pub cidr: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub vnet: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub zone: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub gateway: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub snat: Option<bool>,
    #[serde(rename = "dhcp-range")]
    pub dhcp_range: Vec<serde_json::Value>,
    #[serde(deserialize_with = "opt_string")]
    pub state: Option<String>,
    /// With `pending` listing: the values that differ from the running configuration
    /// (all of them for a new object; `deleted` for removed keys).
    pub pending: BTreeMap<String, serde_json::Value>,
    #[serde(deserialize_with = "opt_string")]
    pub digest: Option<String>,
}

/// A subnet to create in a vnet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SdnSubnetSpec {
    /// The network in CIDR notation, e.g. `10.20.0.0/24`.
    pub cidr: String,
    pub gateway: Option<String>,
    pub snat: Option<bool>,
    /// DHCP pools, e.g. `start-address=10.20.0.100,end-address=10.20.0.200`.
    pub dhcp_ranges: Vec<String>,
    pub dnszoneprefix: Option<String>,
}

/// PVE's id of a subnet: `zone-10.20.0.0-24`.
pub fn subnet_id(zone: &str, cidr: &str) -> String {
    format!("{zone}-{}", cidr.replace('/', "-"))
}

fn list_params(pending: bool) -> Params {
    Params::new().flag("pending", pending)
}

pub(crate) async fn zones(t: &Transport, pending: bool) -> Result<Vec<SdnZone>> {
    t.get("/cluster/sdn/zones", list_params(pending)).await
}

pub(crate) async fn create_zone(t: &Transport, spec: &SdnZoneSpec) -> Result<()> {
    let params = Params::new()
        .set("zone", spec.zone.as_str())
        .set("type", spec.kind.as_str())
        .opt("bridge", spec.bridge.as_deref())
        .opt("mtu", spec.mtu)
        .joined("nodes", spec.nodes.iter().map(String::as_str))
        .opt("ipam", spec.ipam.as_deref())
        .opt("dhcp", spec.dhcp.as_deref())
        .extend(&spec.extra);
    t.post("/cluster/sdn/zones", params).await
}

pub(crate) async fn delete_zone(t: &Transport, zone: &str) -> Result<()> {
    t.delete(&api_path!("cluster", "sdn", "zones", zone), Params::new())
        .await
}

pub(crate) async fn vnets(t: &Transport, pending: bool) -> Result<Vec<SdnVnet>> {
    t.get("/cluster/sdn/vnets", list_params(pending)).await
}

pub(crate) async fn create_vnet(t: &Transport, spec: &SdnVnetSpec) -> Result<()> {
    let params = Params::new()
        .set("vnet", spec.vnet.as_str())
        .set("zone", spec.zone.as_str())
        .opt("tag", spec.tag)
        .opt("alias", spec.alias.as_deref())
        .opt("vlanaware", spec.vlanaware);
    t.post("/cluster/sdn/vnets", params).await
}

pub(crate) async fn delete_vnet(t: &Transport, vnet: &str) -> Result<()> {
    t.delete(&api_path!("cluster", "sdn", "vnets", vnet), Params::new())
        .await
}

pub(crate) async fn subnets(t: &Transport, vnet: &str, pending: bool) -> Result<Vec<SdnSubnet>> {
    let path = api_path!("cluster", "sdn", "vnets", vnet, "subnets");
    t.get(&path, list_params(pending)).await
}

pub(crate) async fn create_subnet(t: &Transport, vnet: &str, spec: &SdnSubnetSpec) -> Result<()> {
    let params = Params::new()
        .set("subnet", spec.cidr.as_str())
        .set("type", "subnet")
        .opt("gateway", spec.gateway.as_deref())
        .opt("snat", spec.snat)
        .list("dhcp-range", spec.dhcp_ranges.iter().map(String::as_str))
        .opt("dnszoneprefix", spec.dnszoneprefix.as_deref());
    let path = api_path!("cluster", "sdn", "vnets", vnet, "subnets");
    t.post(&path, params).await
}

/// `subnet` is PVE's subnet id (see [`subnet_id`]).
pub(crate) async fn delete_subnet(t: &Transport, vnet: &str, subnet: &str) -> Result<()> {
    let path = api_path!("cluster", "sdn", "vnets", vnet, "subnets", subnet);
    t.delete(&path, Params::new()).await
}

pub(crate) async fn apply(t: &Transport) -> Result<Upid> {
    t.put("/cluster/sdn", Params::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_ids_follow_pve_convention() {
        assert_eq!(subnet_id("zone1", "10.20.0.0/24"), "zone1-10.20.0.0-24");
    }

    #[test]
    fn pending_objects_decode_with_their_state() {
        let zones: Vec<SdnZone> = serde_json::from_str(
            r#"[{"zone":"lab","type":"vlan","bridge":"vmbr0","nodes":"pve1,pve2","state":"new","pending":{"mtu":1400}}]"#,
        )
        .unwrap();
        assert_eq!(zones[0].nodes, ["pve1", "pve2"]);
        assert_eq!(zones[0].state.as_deref(), Some("new"));
        assert_eq!(zones[0].pending["mtu"], serde_json::json!(1400));
        let subnets: Vec<SdnSubnet> = serde_json::from_str(
            r#"[{"subnet":"lab-10.20.0.0-24","cidr":"10.20.0.0/24","vnet":"v1","snat":1,
                 "dhcp-range":[{"start-address":"10.20.0.100","end-address":"10.20.0.200"}]}]"#,
        )
        .unwrap();
        assert_eq!(subnets[0].snat, Some(true));
        assert_eq!(subnets[0].dhcp_range.len(), 1);
    }
}
