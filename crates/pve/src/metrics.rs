//! Time series: RRD data per node or guest, and the bulk `/cluster/metrics/export`.

use std::collections::BTreeMap;

use proxicloud_types::{GuestType, NodeName, VmId};
use serde::Deserialize;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_f64, opt_i64};
use crate::transport::Transport;

/// RRD resolution window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeframe {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Timeframe {
    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::Hour => "hour",
            Timeframe::Day => "day",
            Timeframe::Week => "week",
            Timeframe::Month => "month",
            Timeframe::Year => "year",
        }
    }
}

/// RRD consolidation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consolidation {
    #[default]
    Average,
    Max,
}

impl Consolidation {
    pub fn as_str(self) -> &'static str {
        match self {
            Consolidation::Average => "AVERAGE",
            Consolidation::Max => "MAX",
        }
    }
}

/// One RRD sample. Guest series have cpu/mem/disk/net/disk-io; node series add load,
/// swap and root filesystem figures, which land in `other`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RrdPoint {
    #[serde(deserialize_with = "opt_i64")]
    pub time: Option<i64>,
    #[serde(deserialize_with = "opt_f64")]
    pub cpu: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub maxcpu: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub mem: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub maxmem: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub disk: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub maxdisk: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub netin: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub netout: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub diskread: Option<f64>,
    #[serde(deserialize_with = "opt_f64")]
    pub diskwrite: Option<f64>,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// Options of `GET /cluster/metrics/export`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsExportOptions {
    /// Include the recent history, not only the latest values.
    pub history: bool,
    /// Only the answering node's metrics.
    pub local_only: bool,
    /// Restrict to these nodes.
    pub node_list: Vec<NodeName>,
    /// Only metrics newer than this Unix timestamp.
    pub start_time: Option<i64>,
}

/// The kind of an exported metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    Gauge,
    Counter,
    Derive,
}

/// One exported sample, e.g. id `qemu/100`, metric `cpu_current`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MetricSample {
    pub id: String,
    pub metric: String,
    #[serde(deserialize_with = "opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(rename = "type")]
    pub kind: MetricKind,
    #[serde(deserialize_with = "opt_f64")]
    pub value: Option<f64>,
}

#[derive(Deserialize)]
struct MetricsExport {
    #[serde(default)]
    data: Vec<MetricSample>,
}

fn rrd_params(timeframe: Timeframe, cf: Consolidation) -> Params {
    Params::new()
        .set("timeframe", timeframe.as_str())
        .set("cf", cf.as_str())
}

pub(crate) async fn node_rrddata(
    t: &Transport,
    node: &NodeName,
    timeframe: Timeframe,
    cf: Consolidation,
) -> Result<Vec<RrdPoint>> {
    let path = api_path!("nodes", node, "rrddata");
    t.get(&path, rrd_params(timeframe, cf)).await
}

pub(crate) async fn guest_rrddata(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    timeframe: Timeframe,
    cf: Consolidation,
) -> Result<Vec<RrdPoint>> {
    let path = api_path!("nodes", node, ty, vmid, "rrddata");
    t.get(&path, rrd_params(timeframe, cf)).await
}

pub(crate) async fn export(
    t: &Transport,
    options: &MetricsExportOptions,
) -> Result<Vec<MetricSample>> {
    let params = Params::new()
        .flag("history", options.history)
        .flag("local-only", options.local_only)
        .joined("node-list", &options.node_list)
        .opt("start-time", options.start_time);
    let export: MetricsExport = t.get("/cluster/metrics/export", params).await?;
    Ok(export.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrd_points_keep_unmodelled_series() {
        let json = r#"[{"time":1700000000,"cpu":0.12,"maxcpu":2,"mem":"1024","loadavg":0.5,"swapused":10},
                       {"time":1700000060}]"#;
        let points: Vec<RrdPoint> = serde_json::from_str(json).expect("decodes");
        assert_eq!(points[0].mem, Some(1024.0));
        assert_eq!(points[0].other["loadavg"], serde_json::json!(0.5));
        assert_eq!(points[1].cpu, None);
    }

    #[test]
    fn metrics_export_unwraps_the_inner_data_array() {
        let json = r#"{"data":[{"id":"qemu/100","metric":"cpu_current","timestamp":1700000000,"type":"gauge","value":0.25},
                               {"id":"node/pve1","metric":"net_in","timestamp":1700000000,"type":"derive","value":"12345"}]}"#;
        let export: MetricsExport = serde_json::from_str(json).expect("decodes");
        assert_eq!(export.data.len(), 2);
        assert_eq!(export.data[0].kind, MetricKind::Gauge);
        assert_eq!(export.data[1].value, Some(12_345.0));
    }
}
