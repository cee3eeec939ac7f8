//! `GET /api/v1/metrics/{instances|nodes|clusters|storages}/{id}`: time series for
//! charts, at most 1000 points per series.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `?period=&series=`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MetricsQuery {
    /// How far back: `5m`, `1h` (the default), `24h`, `7d` or `30d`. Up to `24h` from
    /// one-minute samples, longer from 30-minute averages.
    #[cfg_attr(feature = "openapi", param(pattern = "^(5m|1h|24h|7d|30d)$"))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Comma-separated series names (default: all of the resource's). Instances:
    /// `cpu, mem, maxmem, disk, maxdisk, netin, netout, diskread, diskwrite`; nodes:
    /// `cpu, loadavg, iowait, mem, maxmem, swap, maxswap, rootfs, maxrootfs, netin,
    /// netout`; clusters: `cpu, mem, maxmem, netin, netout`; storages: `used, total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

/// A chart's data. `cpu` is a fraction of the resource's CPUs (0..1), memory and disk
/// are bytes, `net*` and `disk{read,write}` bytes per second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricsDto {
    /// Unix seconds, oldest first, `resolution_s` apart; each point covers the
    /// `resolution_s` seconds from its timestamp.
    pub timestamps: Vec<i64>,
    /// One value per timestamp, `null` where nothing was measured (the guest was
    /// stopped, the cluster unreachable, or it is before the history starts).
    pub series: BTreeMap<String, Vec<Option<f64>>>,
    pub resolution_s: i64,
}
