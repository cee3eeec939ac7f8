//! Cluster-wide reads: version, membership, the resource index, the next free vmid
//! and the cluster task list.

use proxicloud_types::{NodeName, VmId};
use serde::Deserialize;

use crate::error::Result;
use crate::params::Params;
use crate::serde_util::{opt_bool, opt_f64, opt_string, opt_u64};
use crate::tasks::TaskSummary;
use crate::transport::Transport;

/// `GET /version`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Version {
    /// e.g. `9.1.1`.
    pub version: String,
    /// e.g. `9.1`.
    pub release: String,
    pub repoid: String,
}

/// One entry of `GET /cluster/status`: the cluster itself or one member node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClusterStatusEntry {
    /// `cluster` or `node`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
    #[serde(deserialize_with = "opt_string")]
    pub ip: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub online: Option<bool>,
    #[serde(deserialize_with = "opt_bool")]
    pub local: Option<bool>,
    #[serde(deserialize_with = "opt_u64")]
    pub nodeid: Option<u64>,
    #[serde(deserialize_with = "opt_bool")]
    pub quorate: Option<bool>,
    #[serde(deserialize_with = "opt_u64")]
    pub nodes: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub version: Option<u64>,
    #[serde(deserialize_with = "opt_string")]
    pub level: Option<String>,
}

/// The `type` filter of `/cluster/resources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// Guests (`qemu` and `lxc` entries).
    Vm,
    Storage,
    Node,
    Sdn,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Vm => "vm",
            ResourceKind::Storage => "storage",
            ResourceKind::Node => "node",
            ResourceKind::Sdn => "sdn",
        }
    }
}

/// One entry of `GET /cluster/resources`. Which fields are present depends on `kind`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClusterResource {
    /// e.g. `qemu/100`, `lxc/101`, `node/pve1`, `storage/pve1/local`.
    pub id: String,
    /// `qemu`, `lxc`, `node`, `storage`, `sdn`, `pool`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub node: Option<NodeName>,
    pub vmid: Option<VmId>,
    #[serde(deserialize_with = "opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub template: Option<bool>,
    #[serde(deserialize_with = "opt_f64")]
    pub cpu: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub maxcpu: Option<f64>,
    #[serde(deserialize_with = "opt_u64")]
    pub mem: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub maxmem: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub disk: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub maxdisk: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub uptime: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub netin: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub netout: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub diskread: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub diskwrite: Option<u64>,
    #[serde(deserialize_with = "opt_string")]
    pub lock: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub tags: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub pool: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub hastate: Option<String>,
    /// Storage entries: the storage id.
    #[serde(deserialize_with = "opt_string")]
    pub storage: Option<String>,
    /// Storage entries: content types, comma separated.
    #[serde(deserialize_with = "opt_string")]
    pub content: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub plugintype: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub shared: Option<bool>,
    /// SDN entries: the zone.
    #[serde(deserialize_with = "opt_string")]
    pub sdn: Option<String>,
}

pub(crate) async fn version(t: &Transport) -> Result<Version> {
    t.get("/version", Params::new()).await
}

pub(crate) async fn status(t: &Transport) -> Result<Vec<ClusterStatusEntry>> {
    t.get("/cluster/status", Params::new()).await
}

pub(crate) async fn resources(
    t: &Transport,
    kind: Option<ResourceKind>,
) -> Result<Vec<ClusterResource>> {
    let params = Params::new().opt("type", kind.map(ResourceKind::as_str));
    t.get("/cluster/resources", params).await
}

/// PVE answers with the id as a string; `VmId` accepts both forms.
pub(crate) async fn next_id(t: &Transport, hint: Option<VmId>) -> Result<VmId> {
    t.get("/cluster/nextid", Params::new().opt("vmid", hint))
        .await
}

pub(crate) async fn tasks(t: &Transport) -> Result<Vec<TaskSummary>> {
    t.get("/cluster/tasks", Params::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_tolerate_mixed_kinds_and_string_numbers() {
        let json = r#"[
            {"id":"qemu/100","type":"qemu","node":"pve1","vmid":100,"name":"web","status":"running",
             "cpu":0.0321,"maxcpu":2,"mem":"536870912","maxmem":2147483648,"template":0,
             "uptime":3600,"netin":123,"diskwrite":4096,"tags":"prod;web","brand_new":true},
            {"id":"storage/pve1/local","type":"storage","node":"pve1","storage":"local",
             "plugintype":"dir","content":"vztmpl,iso,backup","shared":0,"disk":10,"maxdisk":100,
             "status":"available"},
            {"id":"node/pve1","type":"node","node":"pve1","status":"online","cpu":0.1,"maxcpu":8}
        ]"#;
        let resources: Vec<ClusterResource> = serde_json::from_str(json).expect("decodes");
        assert_eq!(resources[0].vmid, Some(VmId::new(100).unwrap()));
        assert_eq!(resources[0].mem, Some(536_870_912));
        assert_eq!(resources[0].template, Some(false));
        assert_eq!(resources[1].shared, Some(false));
        assert_eq!(resources[1].content.as_deref(), Some("vztmpl,iso,backup"));
        assert_eq!(
            resources[2].node.as_ref().map(NodeName::as_str),
            Some("pve1")
        );
    }

    #[test]
    fn cluster_status_reads_booleans_as_integers() {
        let json = r#"[{"type":"cluster","id":"cluster","name":"lab","nodes":3,"quorate":1,"version":7},
                       {"type":"node","id":"node/pve1","name":"pve1","online":1,"local":0,"nodeid":1,"ip":"10.0.0.1"}]"#;
        let status: Vec<ClusterStatusEntry> = serde_json::from_str(json).expect("decodes");
        assert_eq!(status[0].quorate, Some(true));
        assert_eq!(status[1].online, Some(true));
        assert_eq!(status[1].local, Some(false));
    }
}
