//! Node list and node status.

use proxicloud_types::NodeName;
use serde::Deserialize;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_f64, opt_string, opt_u64};
use crate::transport::Transport;

/// One entry of `GET /nodes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NodeSummary {
    pub node: NodeName,
    /// `online`, `offline` or `unknown`.
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "opt_f64")]
    pub cpu: Option<f64>,
    #[serde(default, deserialize_with = "opt_f64")]
    pub maxcpu: Option<f64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub mem: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub maxmem: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub disk: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub maxdisk: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub uptime: Option<u64>,
    #[serde(default, deserialize_with = "opt_string")]
    pub level: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub ssl_fingerprint: Option<String>,
}

/// Used/total pair as PVE reports memory, swap and root filesystem.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Usage {
    #[serde(deserialize_with = "opt_u64")]
    pub used: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub total: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub free: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CpuInfo {
    #[serde(deserialize_with = "opt_string")]
    pub model: Option<String>,
    #[serde(deserialize_with = "opt_u64")]
    pub cpus: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub cores: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub sockets: Option<u64>,
}

/// `GET /nodes/{node}/status`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NodeStatus {
    #[serde(deserialize_with = "opt_f64")]
    pub cpu: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub wait: Option<f64>,
    #[serde(deserialize_with = "opt_u64")]
    pub uptime: Option<u64>,
    /// 1, 5 and 15 minute load averages (PVE sends them as strings).
    pub loadavg: Vec<serde_json::Value>,
    pub memory: Usage,
    pub swap: Usage,
    pub rootfs: Usage,
    pub cpuinfo: CpuInfo,
    #[serde(deserialize_with = "opt_string")]
    pub kversion: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub pveversion: Option<String>,
}

impl NodeStatus {
    /// The load averages as numbers, whatever JSON type PVE used.
    pub fn load_averages(&self) -> Vec<f64> {
        self.loadavg
            .iter()
            .filter_map(|v| match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            })
            .collect()
    }
}

pub(crate) async fn list(t: &Transport) -> Result<Vec<NodeSummary>> {
    t.get("/nodes", Params::new()).await
}

pub(crate) async fn status(t: &Transport, node: &NodeName) -> Result<NodeStatus> {
    t.get(&api_path!("nodes", node, "status"), Params::new())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_status_reads_nested_usage_and_string_loads() {
        let json = r#"{"cpu":0.05,"uptime":"86400","loadavg":["0.10","0.20","0.30"],
            "memory":{"used":1073741824,"total":"8589934592","free":7516192768},
            "rootfs":{"used":1,"total":2,"avail":1},"cpuinfo":{"model":"Sim CPU","cpus":8,"cores":4,"sockets":1},
            "pveversion":"pve-manager/9.1.1/abc","boot-info":{"mode":"efi"}}"#;
        let status: NodeStatus = serde_json::from_str(json).expect("decodes");
        assert_eq!(status.uptime, Some(86_400));
        assert_eq!(status.memory.total, Some(8_589_934_592));
        assert_eq!(status.load_averages(), [0.1, 0.2, 0.3]);
        assert_eq!(status.cpuinfo.cpus, Some(8));
    }
}
