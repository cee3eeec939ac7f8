//! Node network configuration. Changes are staged in `/etc/network/interfaces.new`
//! until `apply_network` reloads them.

use std::collections::BTreeMap;

use proxicloud_types::NodeName;
use serde::Deserialize;

use crate::error::{PveError, Result};
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, opt_string, opt_u64, string_list};
use crate::transport::{Method, Transport, decode};
use crate::upid::Upid;

/// One interface of `GET /nodes/{node}/network`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NetworkInterface {
    pub iface: String,
    /// `bridge`, `bond`, `eth`, `vlan`, `OVSBridge`, …
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "opt_bool")]
    pub active: Option<bool>,
    #[serde(deserialize_with = "opt_bool")]
    pub autostart: Option<bool>,
    #[serde(deserialize_with = "opt_bool")]
    pub exists: Option<bool>,
    #[serde(deserialize_with = "opt_string")]
    pub method: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub cidr: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub address: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub netmask: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub gateway: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub bridge_ports: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub bridge_vlan_aware: Option<bool>,
    #[serde(deserialize_with = "opt_u64")]
    pub mtu: Option<u64>,
    #[serde(deserialize_with = "opt_string")]
    pub comments: Option<String>,
    #[serde(deserialize_with = "string_list")]
    pub families: Vec<String>,
}

/// `GET /nodes/{node}/network` in full.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkConfig {
    /// The interfaces as reads show them: staged changes included.
    pub interfaces: Vec<NetworkInterface>,
    /// Staged changes as a unified diff of `/etc/network/interfaces` against
    /// `interfaces.new` (PVE's `changes`); `None` when nothing is staged.
    pub pending_changes: Option<String>,
}

/// Interface settings for create and update. `iface` and `kind` are required by PVE
/// in both cases (for updates `iface` selects the interface).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkInterfaceSpec {
    pub iface: String,
    /// `bridge`, `bond`, `vlan`, `OVSBridge`, …
    pub kind: String,
    pub autostart: Option<bool>,
    /// IPv4 address with prefix, e.g. `10.10.0.1/24`.
    pub cidr: Option<String>,
    pub gateway: Option<String>,
    /// Bridge members, space separated (e.g. `eno1`); empty for an isolated bridge.
    pub bridge_ports: Option<String>,
    pub bridge_vlan_aware: Option<bool>,
    pub mtu: Option<u32>,
    pub comments: Option<String>,
    /// VLAN interfaces: tag and parent device.
    pub vlan_id: Option<u16>,
    pub vlan_raw_device: Option<String>,
    /// Any other parameter of the create/update endpoints.
    pub extra: BTreeMap<String, String>,
    /// Update only: settings to remove.
    pub delete: Vec<String>,
}

impl NetworkInterfaceSpec {
    pub fn bridge(iface: impl Into<String>) -> Self {
        Self {
            iface: iface.into(),
            kind: "bridge".to_string(),
            autostart: Some(true),
            ..Self::default()
        }
    }

    fn common_params(&self) -> Params {
        Params::new()
            .set("type", self.kind.as_str())
            .opt("autostart", self.autostart)
            .opt("cidr", self.cidr.as_deref())
            .opt("gateway", self.gateway.as_deref())
            .opt("bridge_ports", self.bridge_ports.as_deref())
            .opt("bridge_vlan_aware", self.bridge_vlan_aware)
            .opt("mtu", self.mtu)
            .opt("comments", self.comments.as_deref())
            .opt("vlan-id", self.vlan_id.map(u32::from))
            .opt("vlan-raw-device", self.vlan_raw_device.as_deref())
            .extend(&self.extra)
    }

    pub(crate) fn create_params(&self) -> Result<Params> {
        if !self.delete.is_empty() {
            return Err(PveError::InvalidRequest(
                "`delete` applies to interface updates only".to_string(),
            ));
        }
        Ok(Params::new()
            .set("iface", self.iface.as_str())
            .append(self.common_params()))
    }

    pub(crate) fn update_params(&self) -> Params {
        self.common_params()
            .joined("delete", self.delete.iter().map(String::as_str))
    }
}

pub(crate) async fn list(
    t: &Transport,
    node: &NodeName,
    kind: Option<&str>,
) -> Result<Vec<NetworkInterface>> {
    t.get(
        &api_path!("nodes", node, "network"),
        Params::new().opt("type", kind),
    )
    .await
}

pub(crate) async fn config(t: &Transport, node: &NodeName) -> Result<NetworkConfig> {
    let path = api_path!("nodes", node, "network");
    let envelope = t.call_raw(Method::Get, &path, &Params::new()).await?;
    Ok(NetworkConfig {
        interfaces: decode(Method::Get, &path, envelope.data)?,
        pending_changes: envelope.changes,
    })
}

pub(crate) async fn create(
    t: &Transport,
    node: &NodeName,
    spec: &NetworkInterfaceSpec,
) -> Result<()> {
    t.post(&api_path!("nodes", node, "network"), spec.create_params()?)
        .await
}

pub(crate) async fn update(
    t: &Transport,
    node: &NodeName,
    spec: &NetworkInterfaceSpec,
) -> Result<()> {
    let path = api_path!("nodes", node, "network", spec.iface);
    t.put(&path, spec.update_params()).await
}

pub(crate) async fn delete(t: &Transport, node: &NodeName, iface: &str) -> Result<()> {
    t.delete(&api_path!("nodes", node, "network", iface), Params::new())
        .await
}

/// Reloads the staged configuration (ifreload); returns the reload task.
pub(crate) async fn apply(t: &Transport, node: &NodeName) -> Result<Upid> {
    t.put(&api_path!("nodes", node, "network"), Params::new())
        .await
}

/// Throws the staged changes away (`DELETE /nodes/{node}/network`).
pub(crate) async fn revert(t: &Transport, node: &NodeName) -> Result<()> {
    t.delete(&api_path!("nodes", node, "network"), Params::new())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridges_are_created_with_iface_and_updated_without_it() {
        let mut spec = NetworkInterfaceSpec::bridge("vmbr1");
        spec.cidr = Some("10.10.0.1/24".to_string());
        spec.bridge_vlan_aware = Some(true);
        assert_eq!(
            spec.create_params().unwrap().to_form(),
            "iface=vmbr1&type=bridge&autostart=1&cidr=10.10.0.1%2F24&bridge_vlan_aware=1"
        );
        spec.delete = vec!["gateway".to_string()];
        assert!(spec.create_params().is_err());
        assert_eq!(
            spec.update_params().to_form(),
            "type=bridge&autostart=1&cidr=10.10.0.1%2F24&bridge_vlan_aware=1&delete=gateway"
        );
    }
}
