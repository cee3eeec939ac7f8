//! RRD statistics (`…/rrddata`) and the pull-metrics export (`/cluster/metrics/export`),
//! computed on demand from the deterministic series in [`crate::metrics`].
//!
//! Shapes follow PVE 9: pve-cluster's `PVE::RRD::create_rrd_data` (resolutions and
//! row counts per timeframe, rows `{time, <ds>…}` with unknown values left out) over
//! the `pve-node-9.0`, `pve-vm-9.0` and `pve-storage-9.0` data sources defined in
//! pmxcfs `status.c`, and pve-manager's `PVE::PullMetric` for the export.

mod export;
mod rrd;

use serde_json::Value;

use crate::api::{Method, Route, route};

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::Get, "/nodes/{node}/rrddata", rrd::node_rrddata),
        route(
            Method::Get,
            "/nodes/{node}/lxc/{vmid}/rrddata",
            rrd::guest_rrddata,
        ),
        route(
            Method::Get,
            "/nodes/{node}/qemu/{vmid}/rrddata",
            rrd::guest_rrddata,
        ),
        route(
            Method::Get,
            "/nodes/{node}/storage/{storage}/rrddata",
            rrd::storage_rrddata,
        ),
        route(
            Method::Get,
            "/cluster/metrics/export",
            export::metrics_export,
        ),
    ]
}

/// A number as PVE's JSON encoder prints it: integral values carry no fraction.
fn json_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        Value::from(value as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests;
