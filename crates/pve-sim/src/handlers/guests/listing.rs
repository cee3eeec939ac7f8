//! Guest lists and status: `GET /nodes/{node}/lxc|qemu`, the per-guest directory
//! indexes and `status/current`, with the fields pve-container's and qemu-server's
//! `vmstatus` report.

use proxicloud_types::GuestType;
use serde_json::{Map, Value, json};

use super::common::{kind_of, online_node, request_guest};
use super::propstr::PropertyString;
use crate::Sim;
use crate::api::{ApiResult, Req};
use crate::metrics;
use crate::model::{Guest, GuestStatus, Node, disk_size_bytes};
use crate::tasks::now;

const GIB: u64 = 1024 * 1024 * 1024;

/// `GET /nodes/{node}/lxc|qemu`: every guest of that family on the node.
pub(crate) fn list(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let node = online_node(&cluster, req.node()?)?;
    let kind = kind_of(req);
    let t = now();
    let items: Vec<Value> = cluster
        .guests
        .values()
        .filter(|g| g.kind == kind && g.node == node.name)
        .map(|g| Value::Object(vmstatus(g, node, t, false)))
        .collect();
    Ok(Value::Array(items))
}

/// `GET /nodes/{node}/lxc|qemu/{vmid}`: the directory index (after checking the guest exists).
pub(crate) fn guest_index(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    request_guest(&cluster, req)?;
    let subdirs: &[&str] = match kind_of(req) {
        GuestType::Lxc => &[
            "config",
            "status",
            "vncproxy",
            "termproxy",
            "vncwebsocket",
            "spiceproxy",
            "migrate",
            "clone",
            "rrd",
            "rrddata",
            "firewall",
            "snapshot",
            "resize",
            "interfaces",
            "pending",
        ],
        GuestType::Qemu => &[
            "config",
            "pending",
            "cloudinit",
            "unlink",
            "vncproxy",
            "termproxy",
            "migrate",
            "resize",
            "move",
            "rrd",
            "rrddata",
            "monitor",
            "agent",
            "snapshot",
            "spiceproxy",
            "sendkey",
            "firewall",
            "mtunnel",
            "remote_migrate",
        ],
    };
    Ok(Value::Array(
        subdirs.iter().map(|d| json!({ "subdir": d })).collect(),
    ))
}

/// `GET …/{vmid}/status`: the status command index.
pub(crate) fn status_index(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    request_guest(&cluster, req)?;
    let commands: &[&str] = match kind_of(req) {
        GuestType::Lxc => &["current", "start", "stop", "shutdown", "reboot", "migrate"],
        GuestType::Qemu => &[
            "current", "start", "stop", "reset", "shutdown", "suspend", "reboot",
        ],
    };
    Ok(Value::Array(
        commands.iter().map(|c| json!({ "subdir": c })).collect(),
    ))
}

/// `GET …/{vmid}/status/current`: the full status, plus HA state as PVE adds it.
pub(crate) fn current(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let node = online_node(&cluster, &guest.node)?;
    let mut status = vmstatus(guest, node, now(), true);
    status.insert("ha".into(), json!({ "managed": 0 }));
    if guest.kind == GuestType::Qemu && agent_enabled(guest) {
        status.insert("agent".into(), json!(1));
    }
    Ok(Value::Object(status))
}

fn agent_enabled(guest: &Guest) -> bool {
    guest.config.get("agent").is_some_and(|a| {
        let agent = PropertyString::parse(a);
        agent.head.as_deref() == Some("1") || agent.get("enabled") == Some("1")
    })
}

/// One guest as `vmstatus` reports it; `full` adds what qemu-server only gathers over
/// QMP for `status/current` (qmpstatus, block counters, balloon, running versions).
pub(crate) fn vmstatus(guest: &Guest, node: &Node, t: i64, full: bool) -> Map<String, Value> {
    let sample = metrics::guest_sample(guest, t);
    let running = guest.status != GuestStatus::Stopped;
    let uptime = match (running, guest.started_at) {
        (true, Some(start)) => (t - start).max(0),
        _ => 0,
    };
    let mut d = Map::new();
    d.insert("vmid".into(), json!(guest.vmid));
    d.insert("status".into(), json!(guest.status.pve_status()));
    d.insert("name".into(), json!(display_name(guest)));
    d.insert("uptime".into(), json!(uptime));
    d.insert("cpu".into(), json!(sample.cpu));
    d.insert("mem".into(), json!(sample.mem));
    d.insert("netin".into(), json!(sample.netin));
    d.insert("netout".into(), json!(sample.netout));
    d.insert("disk".into(), json!(sample.disk));
    if running {
        d.insert("pid".into(), json!(100_000 + guest.vmid));
    }
    match guest.kind {
        GuestType::Lxc => {
            d.insert("type".into(), json!("lxc"));
            d.insert("cpus".into(), lxc_cpus(guest, node));
            d.insert("maxmem".into(), json!(guest.max_mem()));
            let swap_mib = guest
                .config
                .get("swap")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            d.insert("maxswap".into(), json!(swap_mib * 1024 * 1024));
            d.insert("swap".into(), json!(0));
            d.insert("maxdisk".into(), json!(lxc_maxdisk(guest)));
            d.insert("diskread".into(), json!(sample.diskread));
            d.insert("diskwrite".into(), json!(sample.diskwrite));
        }
        GuestType::Qemu => {
            let maxmem = qemu_maxmem(guest);
            d.insert("cpus".into(), json!(qemu_cpus(guest, node)));
            d.insert("maxmem".into(), json!(maxmem));
            d.insert(
                "memhost".into(),
                json!(metrics::guest_memhost(guest, &sample)),
            );
            d.insert("maxdisk".into(), json!(qemu_bootdisk_size(guest)));
            if let Some(balloon) = guest
                .config
                .get("balloon")
                .and_then(|b| b.parse::<u64>().ok())
                && balloon > 0
            {
                d.insert("balloon_min".into(), json!(balloon * 1024 * 1024));
                let shares = guest
                    .config
                    .get("shares")
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(1000);
                d.insert("shares".into(), json!(shares));
            }
            if full {
                let qmpstatus = match guest.status {
                    GuestStatus::Running => "running",
                    GuestStatus::Paused => "paused",
                    GuestStatus::Stopped => "stopped",
                };
                d.insert("qmpstatus".into(), json!(qmpstatus));
                if running {
                    d.insert("diskread".into(), json!(sample.diskread));
                    d.insert("diskwrite".into(), json!(sample.diskwrite));
                    d.insert("running-qemu".into(), json!("10.0.2"));
                    d.insert("running-machine".into(), json!("pc-i440fx-10.0+pve0"));
                    if guest.config.get("balloon").map(String::as_str) != Some("0") {
                        d.insert("balloon".into(), json!(maxmem));
                        d.insert("freemem".into(), json!(maxmem.saturating_sub(sample.mem)));
                    }
                }
            }
        }
    }
    if guest.is_template() {
        d.insert("template".into(), json!(1));
    }
    if let Some(lock) = guest.lock() {
        d.insert("lock".into(), json!(lock));
    }
    if let Some(tags) = guest.config.get("tags") {
        d.insert("tags".into(), json!(tags));
    }
    d
}

/// `hostname` (CT) or `name` (VM), with PVE's fallbacks `CT101` / `VM 100`.
pub(crate) fn display_name(guest: &Guest) -> String {
    match guest.kind {
        GuestType::Lxc => guest
            .config
            .get("hostname")
            .map(|h| h.split_whitespace().collect())
            .unwrap_or_else(|| format!("CT{}", guest.vmid)),
        GuestType::Qemu => guest
            .config
            .get("name")
            .cloned()
            .unwrap_or_else(|| format!("VM {}", guest.vmid)),
    }
}

/// `cores`, else `cpulimit` (which may be fractional), else all host CPUs; whole
/// numbers go out as JSON integers like PVE's.
fn lxc_cpus(guest: &Guest, node: &Node) -> Value {
    let get = |k: &str| {
        guest
            .config
            .get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| *v > 0.0)
    };
    let cpus = get("cores")
        .or_else(|| get("cpulimit"))
        .unwrap_or(node.cpus as f64);
    if cpus.fract() == 0.0 {
        json!(cpus as u64)
    } else {
        json!(cpus)
    }
}

/// A stopped CT reports its rootfs size, 4 GiB when none is configured.
fn lxc_maxdisk(guest: &Guest) -> u64 {
    guest
        .config
        .get("rootfs")
        .and_then(|r| disk_size_bytes(r))
        .unwrap_or(4 * GIB)
}

fn qemu_cpus(guest: &Guest, node: &Node) -> u64 {
    let get = |k: &str| guest.config.get(k).and_then(|v| v.parse::<u64>().ok());
    if let Some(vcpus) = get("vcpus") {
        return vcpus;
    }
    let cpus = get("sockets").unwrap_or(1) * get("cores").unwrap_or(1);
    cpus.min(node.cpus.max(1))
}

/// `memory` is a property string since PVE 8 (`current=2048` or plain `2048`), in MiB.
pub(crate) fn qemu_maxmem(guest: &Guest) -> u64 {
    let mib = guest
        .config
        .get("memory")
        .and_then(|m| {
            let memory = PropertyString::parse(m);
            memory
                .head
                .clone()
                .or_else(|| memory.get("current").map(str::to_string))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(512);
    mib * 1024 * 1024
}

/// `bootdisk_size`: the first disk of the boot order that is not a CD-ROM.
fn qemu_bootdisk_size(guest: &Guest) -> u64 {
    let boot_disk = guest
        .config
        .get("boot")
        .and_then(|b| PropertyString::parse(b).get("order").map(str::to_string))
        .and_then(|order| {
            order
                .split(';')
                .find(|dev| {
                    guest
                        .config
                        .get(*dev)
                        .is_some_and(|v| !v.contains("media=cdrom"))
                })
                .map(str::to_string)
        })
        .or_else(|| guest.config.get("bootdisk").cloned());
    boot_disk
        .and_then(|key| guest.config.get(&key))
        .and_then(|spec| disk_size_bytes(spec))
        .unwrap_or_else(|| guest.max_disk())
}
