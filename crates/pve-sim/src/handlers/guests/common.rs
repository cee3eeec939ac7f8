//! Checks and helpers every guest endpoint shares: node reachability, config lookup,
//! locks, vmid uniqueness, the config digest and PVE's typed config rendering.
//!
//! Checks that PVE performs with `die "…\n"` return the message as a `String`, so a
//! handler can answer it synchronously (`ApiError::internal`) or a task can fail with it,
//! depending on where PVE runs the same check.

use std::collections::BTreeMap;
use std::time::Duration;

use proxicloud_types::GuestType;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::Cluster;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, GuestStatus, Node};

/// A PVE `die` message: answered as HTTP 500 or written as a task's error.
pub(crate) type Die = String;

/// Which guest family a request addresses, read from its schema template.
pub(crate) fn kind_of(req: &Req) -> GuestType {
    if req.template.starts_with("/nodes/{node}/qemu") {
        GuestType::Qemu
    } else {
        GuestType::Lxc
    }
}

/// PVE's word for a guest in messages: `CT 101 …`, `VM 100 …`.
pub(crate) fn noun(kind: GuestType) -> &'static str {
    match kind {
        GuestType::Lxc => "CT",
        GuestType::Qemu => "VM",
    }
}

/// The task type a worker runs under: pve-container's name for CTs, qemu-server's for VMs.
pub(crate) fn task_type(kind: GuestType, lxc: &'static str, qemu: &'static str) -> &'static str {
    match kind {
        GuestType::Lxc => lxc,
        GuestType::Qemu => qemu,
    }
}

/// The cluster-filesystem path PVE names in "does not exist" errors.
pub(crate) fn config_path(kind: GuestType, node: &str, vmid: u32) -> String {
    match kind {
        GuestType::Lxc => format!("nodes/{node}/lxc/{vmid}.conf"),
        GuestType::Qemu => format!("nodes/{node}/qemu-server/{vmid}.conf"),
    }
}

/// The node a `/nodes/{node}/…` request is proxied to. pveproxy fails to resolve
/// unknown names and cannot connect to nodes that are down (AnyEvent::HTTP's 595).
pub(crate) fn online_node<'a>(cluster: &'a Cluster, node: &str) -> Result<&'a Node, ApiError> {
    let Some(found) = cluster.nodes.get(node) else {
        return Err(ApiError::internal(format!(
            "hostname lookup '{node}' failed - failed to get address info for: {node}: Name or service not known"
        )));
    };
    if !found.online {
        return Err(ApiError::new(
            595,
            "Errors during connection establishment, proxy handshake: No route to host",
        ));
    }
    Ok(found)
}

/// `PVE::AbstractConfig::load_config`: the guest's config on exactly this node.
pub(crate) fn find_guest<'a>(
    cluster: &'a Cluster,
    kind: GuestType,
    node: &str,
    vmid: u32,
) -> Result<&'a Guest, Die> {
    cluster
        .guests
        .get(&vmid)
        .filter(|g| g.kind == kind && g.node == node)
        .ok_or_else(|| {
            format!(
                "Configuration file '{}' does not exist",
                config_path(kind, node, vmid)
            )
        })
}

/// Node, online check and guest lookup in one step, as nearly every handler starts.
pub(crate) fn request_guest<'a>(cluster: &'a Cluster, req: &Req) -> Result<&'a Guest, ApiError> {
    let node = req.node()?;
    online_node(cluster, node)?;
    find_guest(cluster, kind_of(req), node, req.vmid()?).map_err(ApiError::internal)
}

/// `check_lock`: "CT is locked (backup)" / "VM is locked (backup)".
pub(crate) fn check_unlocked(guest: &Guest) -> Result<(), Die> {
    match guest.lock() {
        Some(lock) => Err(format!("{} is locked ({lock})", noun(guest.kind))),
        None => Ok(()),
    }
}

/// `check_protection`: guests with `protection: 1` refuse destructive operations.
pub(crate) fn check_protection(guest: &Guest, context: &str) -> Result<(), Die> {
    if guest.config.get("protection").is_some_and(|v| v == "1") {
        return Err(format!("{context} - protection mode enabled"));
    }
    Ok(())
}

/// `PVE::Cluster::check_vmid_unused`: the id is free in the whole cluster.
pub(crate) fn check_vmid_unused(cluster: &Cluster, vmid: u32) -> Result<(), Die> {
    match cluster.guests.get(&vmid) {
        None => Ok(()),
        Some(existing) => Err(format!(
            "{} {vmid} already exists on node '{}'",
            noun(existing.kind),
            existing.node
        )),
    }
}

pub(crate) fn is_running(guest: &Guest) -> bool {
    guest.status != GuestStatus::Stopped
}

/// The config file as PVE writes it: `key: value` lines, then one `[snapname]`
/// section per snapshot. Only its digest is exposed, so the order just has to be stable.
pub(crate) fn render_config(guest: &Guest) -> String {
    let mut text = String::new();
    for (key, value) in &guest.config {
        text.push_str(&format!("{key}: {value}\n"));
    }
    for snap in guest.snapshots.values() {
        text.push_str(&format!("\n[{}]\n", snap.name));
        if let Some(parent) = &snap.parent {
            text.push_str(&format!("parent: {parent}\n"));
        }
        for (key, value) in &snap.config {
            text.push_str(&format!("{key}: {value}\n"));
        }
        text.push_str(&format!("snaptime: {}\n", snap.snaptime));
    }
    text
}

/// The config `digest`: 40 hex digits like PVE's SHA-1 of the config file. Clients
/// only compare it, so the simulator takes the first 160 bits of a SHA-256.
pub(crate) fn digest(guest: &Guest) -> String {
    let hash = Sha256::digest(render_config(guest).as_bytes());
    hex::encode(&hash[..20])
}

/// `assert_if_modified` with each family's wording.
pub(crate) fn check_digest(given: Option<&str>, guest: &Guest) -> Result<(), Die> {
    let Some(given) = given.filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    if given == digest(guest) {
        return Ok(());
    }
    Err(match guest.kind {
        GuestType::Lxc => {
            "detected modified configuration - file changed by other user? Try again.".to_string()
        }
        GuestType::Qemu => "checksum mismatch (file change by other user?)".to_string(),
    })
}

/// Config options whose schema type is not a string; PVE's config parser hands these
/// out as JSON numbers (booleans as 0/1), so clients see `"cores": 2`, not `"2"`.
fn numeric_keys(kind: GuestType) -> &'static [&'static str] {
    match kind {
        GuestType::Lxc => &[
            "console",
            "cores",
            "cpulimit",
            "cpuunits",
            "debug",
            "memory",
            "onboot",
            "protection",
            "swap",
            "template",
            "tty",
            "unprivileged",
            "snaptime",
        ],
        GuestType::Qemu => &[
            "acpi",
            "allow-ksm",
            "autostart",
            "balloon",
            "ciupgrade",
            "cores",
            "cpulimit",
            "cpuunits",
            "freeze",
            "keephugepages",
            "kvm",
            "localtime",
            "migrate_downtime",
            "migrate_speed",
            "numa",
            "onboot",
            "protection",
            "reboot",
            "shares",
            "smp",
            "sockets",
            "tablet",
            "tdf",
            "template",
            "vcpus",
            "snaptime",
        ],
    }
}

/// A config map as PVE's API returns it, with numeric options typed.
pub(crate) fn typed_config(
    kind: GuestType,
    config: &BTreeMap<String, String>,
) -> Map<String, Value> {
    let numeric = numeric_keys(kind);
    config
        .iter()
        .map(|(key, value)| {
            let typed = if numeric.contains(&key.as_str()) {
                numeric_value(value)
            } else {
                Value::String(value.clone())
            };
            (key.clone(), typed)
        })
        .collect()
}

fn numeric_value(text: &str) -> Value {
    if let Ok(int) = text.parse::<i64>() {
        return Value::from(int);
    }
    match text.parse::<f64>() {
        Ok(float) => Value::from(float),
        Err(_) => Value::String(text.to_string()),
    }
}

/// The JSON answer of every endpoint that starts a task.
pub(crate) fn upid_answer(upid: String) -> ApiResult {
    Ok(Value::String(upid))
}

/// Real-hardware task durations, scaled by `--time-scale` in the task engine.
pub(crate) fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

/// `2026-11-22 10:00:00`, the timestamp migrations and vzdump put in their logs (UTC).
pub(crate) fn log_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// `root@pam` may use `skiplock` and friends; PVE answers others with a parameter error.
pub(crate) fn root_only_flag(req: &Req, name: &str) -> Result<bool, ApiError> {
    let set = req.flag(name)?;
    if set && req.user != "root@pam" {
        return Err(ApiError::param(name, "Only root may use this option."));
    }
    Ok(set)
}

/// Bytes as PVE's `render_bytes` prints them in logs (`8.00 GiB`).
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

/// A task whose worker dies right away with `error` — PVE's answer when a check that
/// runs inside the worker fails (the API call itself still returns a UPID).
pub(crate) fn spawn_failing(
    sim: &crate::Sim,
    cluster: &mut Cluster,
    user: &str,
    node: &str,
    task: &str,
    id: impl ToString,
    error: Die,
) -> String {
    let spec = crate::tasks::TaskSpec::new(node, task, id, secs(0.5), move |_| {
        crate::tasks::TaskOutcome::failed(Vec::new(), error)
    });
    sim.spawn_task(cluster, user, spec)
}
