//! `GET …/rrddata` for nodes, guests and storages.
//!
//! PVE 9 (`PVE::RRD::create_rrd_data`) answers with `count` rows spaced `reso` seconds
//! apart, the last one at the current time rounded down to `reso`. Each row holds the
//! consolidated value of the interval (time - reso, time]: `AVERAGE` or `MAX` of the
//! per-minute points. Values RRD does not know (a stopped guest's cpu) are left out.

use serde_json::{Map, Value};

use super::json_number;
use crate::Sim;
use crate::api::{ApiError, ApiResult, Req};
use crate::metrics::{
    GuestSample, guest_memhost, guest_pressure, guest_rates, guest_running_at, guest_sample,
    node_net_rates, node_pressure, node_sample,
};
use crate::model::{Guest, Node};
use crate::tasks::now;

/// (resolution in seconds, number of rows) per timeframe, from pve-cluster RRD.pm.
fn frame(timeframe: &str) -> Result<(i64, i64), ApiError> {
    Ok(match timeframe {
        "hour" => (60, 60),
        "day" => (60, 1440),
        "week" => (1800, 336),
        "month" => (1800, 1440),
        "year" => (21_600, 1440),
        "decade" => (604_800, 570),
        _ => {
            return Err(ApiError::param(
                "timeframe",
                format!(
                    "value '{timeframe}' does not have a value in the enumeration 'hour, day, week, month, year, decade'"
                ),
            ));
        }
    })
}

/// The consolidation function: `AVERAGE` unless `cf=MAX`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cf {
    Average,
    Max,
}

impl Cf {
    fn of(req: &Req) -> Self {
        match req.str("cf").as_deref() {
            Some("MAX") => Cf::Max,
            _ => Cf::Average,
        }
    }

    fn fold(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            Cf::Average => values.iter().sum::<f64>() / values.len() as f64,
            Cf::Max => values.iter().copied().fold(f64::MIN, f64::max),
        })
    }
}

/// The rows' timestamps (bucket ends) for a timeframe at `now`.
fn bucket_ends(reso: i64, count: i64, now: i64) -> impl Iterator<Item = i64> {
    let last = reso * now.div_euclid(reso);
    (0..count).map(move |i| last - reso * (count - 1 - i))
}

/// `points` instants spread over (end - reso, end], the last one at `end`.
fn points_in(end: i64, reso: i64, points: i64) -> impl Iterator<Item = i64> {
    (1..=points).map(move |j| end - reso + reso * j / points)
}

/// What librrd says when the RRD file does not exist; PVE's rrddata endpoints do not
/// check the guest or storage config first, they just fail to open the file.
fn missing_rrd(name: &str) -> ApiError {
    ApiError::internal(format!(
        "RRD error: opening '/var/lib/rrdcached/db/{name}': No such file or directory"
    ))
}

fn row(time: i64, fields: impl IntoIterator<Item = (&'static str, f64)>) -> Value {
    let mut map = Map::new();
    map.insert("time".into(), Value::from(time));
    for (name, value) in fields {
        map.insert(name.into(), json_number(value));
    }
    Value::Object(map)
}

/// Fold a series of per-point samples field by field.
fn fold_fields<const N: usize>(
    cf: Cf,
    names: [&'static str; N],
    samples: &[[f64; N]],
) -> Vec<(&'static str, f64)> {
    names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let column: Vec<f64> = samples.iter().map(|s| s[i]).collect();
            cf.fold(&column).map(|v| (*name, v))
        })
        .collect()
}

/// `GET /nodes/{node}/lxc|qemu/{vmid}/rrddata`. The RRD file is keyed by vmid alone
/// and broadcast cluster-wide, so PVE answers for any existing guest on any node.
pub fn guest_rrddata(sim: &Sim, req: &Req) -> ApiResult {
    let vmid = req.vmid()?;
    let (reso, count) = frame(&req.required_str("timeframe")?)?;
    let cf = Cf::of(req);
    let guest = {
        let cluster = sim.cluster.lock();
        cluster.guests.get(&vmid).cloned()
    }
    .ok_or_else(|| missing_rrd(&format!("pve-vm-9.0/{vmid}")))?;
    let points = if reso == 60 { 1 } else { 6 };
    let rows = bucket_ends(reso, count, now())
        .map(|end| guest_row(&guest, cf, end, reso, points))
        .collect();
    Ok(Value::Array(rows))
}

const GUEST_GAUGES: [&str; 10] = [
    "cpu",
    "mem",
    "memhost",
    "pressurecpusome",
    "pressurecpufull",
    "pressureiosome",
    "pressureiofull",
    "pressurememorysome",
    "pressurememoryfull",
    "disk",
];
const GUEST_RATES: [&str; 4] = ["netin", "netout", "diskread", "diskwrite"];

fn guest_row(guest: &Guest, cf: Cf, end: i64, reso: i64, points: i64) -> Value {
    let mut fields = vec![
        ("maxcpu", guest.cpus() as f64),
        ("maxmem", guest.max_mem() as f64),
        ("maxdisk", guest.max_disk() as f64),
    ];
    let running: Vec<i64> = points_in(end, reso, points)
        .filter(|&t| guest_running_at(guest, t))
        .collect();
    if running.is_empty() {
        // pvestatd writes only the limits (and disk = 0) for a stopped guest.
        fields.push(("disk", 0.0));
        return row(end, fields);
    }
    let gauges: Vec<[f64; 10]> = running
        .iter()
        .map(|&t| guest_gauges(guest, &guest_sample(guest, t)))
        .collect();
    fields.extend(fold_fields(cf, GUEST_GAUGES, &gauges));
    let rates: Vec<[f64; 4]> = match cf {
        // Counters consolidate to the exact mean rate over the bucket.
        Cf::Average => vec![rates_array(guest, end - reso, end)],
        Cf::Max => (0..points)
            .map(|j| {
                let step = reso / points;
                let to = end - reso + step * (j + 1);
                rates_array(guest, to - step, to)
            })
            .collect(),
    };
    fields.extend(fold_fields(cf, GUEST_RATES, &rates));
    row(end, fields)
}

fn guest_gauges(guest: &Guest, sample: &GuestSample) -> [f64; 10] {
    let p = guest_pressure(guest, sample);
    [
        sample.cpu,
        sample.mem as f64,
        guest_memhost(guest, sample) as f64,
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        p[5],
        sample.disk as f64,
    ]
}

fn rates_array(guest: &Guest, from: i64, to: i64) -> [f64; 4] {
    let r = guest_rates(guest, from, to);
    [r.netin, r.netout, r.diskread, r.diskwrite]
}

const NODE_GAUGES: [&str; 17] = [
    "loadavg",
    "maxcpu",
    "cpu",
    "iowait",
    "memtotal",
    "memused",
    "swaptotal",
    "swapused",
    "roottotal",
    "rootused",
    "memavailable",
    "arcsize",
    "pressurecpusome",
    "pressureiosome",
    "pressureiofull",
    "pressurememorysome",
    "pressurememoryfull",
];

/// `GET /nodes/{node}/rrddata` (the dispatcher has already checked the node exists).
pub fn node_rrddata(sim: &Sim, req: &Req) -> ApiResult {
    let name = req.node()?;
    let (reso, count) = frame(&req.required_str("timeframe")?)?;
    let cf = Cf::of(req);
    let (node, guests) = {
        let cluster = sim.cluster.lock();
        let node = cluster
            .nodes
            .get(name)
            .cloned()
            .ok_or_else(|| missing_rrd(&format!("pve-node-9.0/{name}")))?;
        let guests: Vec<Guest> = cluster
            .guests
            .values()
            .filter(|g| g.node == name)
            .cloned()
            .collect();
        (node, guests)
    };
    let guests: Vec<&Guest> = guests.iter().collect();
    // A node sample sums all its guests; two points per bucket keep a year of
    // thousands of guests quick while MAX still differs from AVERAGE.
    let points = if reso == 60 { 1 } else { 2 };
    let rows = bucket_ends(reso, count, now())
        .map(|end| {
            let gauges: Vec<[f64; 17]> = points_in(end, reso, points)
                .map(|t| node_gauges(&node, &guests, t))
                .collect();
            let mut fields = fold_fields(cf, NODE_GAUGES, &gauges);
            let (netin, netout) = node_net_rates(&node, end - reso, end);
            fields.extend([("netin", netin), ("netout", netout)]);
            row(end, fields)
        })
        .collect();
    Ok(Value::Array(rows))
}

fn node_gauges(node: &Node, guests: &[&Guest], t: i64) -> [f64; 17] {
    let s = node_sample(node, guests, t);
    let p = node_pressure(&s);
    [
        s.loadavg[0],
        node.cpus as f64,
        s.cpu,
        s.iowait,
        s.maxmem as f64,
        s.mem as f64,
        s.swap_total as f64,
        s.swap_used as f64,
        s.rootfs_total as f64,
        s.rootfs_used as f64,
        s.memavailable as f64,
        // No ZFS in the simulated nodes: the ARC is empty.
        0.0,
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
    ]
}

/// `GET /nodes/{node}/storage/{storage}/rrddata`: total and used bytes. The model
/// keeps no usage history, so every row shows today's usage.
pub fn storage_rrddata(sim: &Sim, req: &Req) -> ApiResult {
    let node = req.node()?;
    let storage_id = req.path("storage")?;
    let (reso, count) = frame(&req.required_str("timeframe")?)?;
    let (total, used) = {
        let cluster = sim.cluster.lock();
        cluster
            .nodes
            .get(node)
            .and_then(|n| n.storages.get(storage_id))
            .map(|s| (s.total as f64, s.used() as f64))
    }
    .ok_or_else(|| missing_rrd(&format!("pve-storage-9.0/{node}/{storage_id}")))?;
    let rows = bucket_ends(reso, count, now())
        .map(|end| row(end, [("total", total), ("used", used)]))
        .collect();
    Ok(Value::Array(rows))
}
