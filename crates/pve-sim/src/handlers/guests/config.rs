//! `GET/PUT …/config`, QEMU's asynchronous `POST …/config` and `GET …/pending`.
//!
//! Changes apply immediately, except what PVE cannot hot-plug and the simulator
//! models: deleting a running container's mount point stays pending
//! (`Guest::pending_delete`) until the container stops or starts, and a running VM's
//! options that qemu-server does not hot-plug (`hotplug.rs`: `cores`, `memory`
//! without memory hot-plug, …) wait in `Guest::pending` until its next start, as
//! does a running container's environment (`env`, `entrypoint`: set or deleted).
//! `GET …/config` shows the config with pending changes applied unless `current=1`
//! (pve-container `load_current_config`); `pending` lists them (`pending: <value>`,
//! `delete: 1`). To model another pending change, record it in the update
//! (`Update::pending_delete`, `Update::pending`) and apply it in
//! `config_disks::apply_pending`.

use std::collections::BTreeMap;

use proxicloud_types::GuestType;
use serde_json::{Map, Value, json};

use super::common::{
    Die, check_digest, check_unlocked, digest, kind_of, request_guest, root_only_flag, secs,
    typed_config, upid_answer,
};
use super::config_disks::{apply_deletes, disk_value};
use super::hotplug;
use super::propstr::{PropertyString, lxc_net_with_mac, qemu_net_with_mac};
use super::volumes;
use crate::api::{ApiError, ApiResult, Req};
use crate::model::{Guest, GuestStatus};
use crate::tasks::{TaskOutcome, TaskSpec};
use crate::{Cluster, Sim};

/// Parameters of the update calls that are not config options.
const CONTROL_PARAMS: &[&str] = &[
    "node",
    "vmid",
    "digest",
    "delete",
    "revert",
    "skiplock",
    "force",
    "import-working-storage",
    "background_delay",
];

pub(crate) fn get(sim: &Sim, req: &Req) -> ApiResult {
    let snapshot = req.str("snapshot");
    if snapshot.is_some() && req.flag("current")? {
        let message = "cannot use 'snapshot' parameter with 'current'";
        return Err(ApiError::params(BTreeMap::from([
            ("snapshot".to_string(), message.to_string()),
            ("current".to_string(), message.to_string()),
        ])));
    }
    let cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let mut out = match snapshot {
        Some(name) => snapshot_config(guest, &name).map_err(ApiError::internal)?,
        None if req.flag("current")? => typed_config(guest.kind, &guest.config),
        None => {
            let mut config = guest.config.clone();
            config.extend(guest.pending.clone());
            let mut out = typed_config(guest.kind, &config);
            for key in &guest.pending_delete {
                out.remove(key);
            }
            out
        }
    };
    if guest.kind == GuestType::Qemu && out.contains_key("cipassword") {
        out.insert("cipassword".into(), json!("**********"));
    }
    out.insert("digest".into(), json!(digest(guest)));
    Ok(Value::Object(out))
}

/// A snapshot's section of the config file (`load_snapshot_config`).
pub(crate) fn snapshot_config(guest: &Guest, name: &str) -> Result<Map<String, Value>, Die> {
    let snap = guest
        .snapshots
        .get(name)
        .ok_or_else(|| format!("snapshot '{name}' does not exist"))?;
    let mut out = typed_config(guest.kind, &snap.config);
    if let Some(parent) = &snap.parent {
        out.insert("parent".into(), json!(parent));
    }
    if !snap.description.is_empty() {
        out.insert("description".into(), json!(snap.description));
    }
    out.insert("snaptime".into(), json!(snap.snaptime));
    if snap.vmstate {
        out.insert("vmstate".into(), json!(1));
    }
    Ok(out)
}

pub(crate) fn pending(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let guest = request_guest(&cluster, req)?;
    let current = typed_config(guest.kind, &guest.config);
    let pending = typed_config(guest.kind, &guest.pending);
    let mut keys: Vec<&String> = current.keys().chain(pending.keys()).collect();
    keys.sort();
    keys.dedup();
    // `PVE::GuestHelpers::config_with_pending_array`: the current value, the pending
    // one, `delete: 1` for a pending removal.
    let mut items: Vec<Value> = keys
        .into_iter()
        .map(|key| {
            let mut item = json!({ "key": key });
            if let Some(value) = current.get(key) {
                item["value"] = value.clone();
            }
            if let Some(value) = pending.get(key) {
                item["pending"] = value.clone();
            }
            if guest.pending_delete.contains(key) {
                item["delete"] = json!(1);
            }
            item
        })
        .collect();
    items.push(json!({ "key": "digest", "value": digest(guest) }));
    Ok(Value::Array(items))
}

/// `PUT …/config`: synchronous update, answers `null`.
pub(crate) fn put(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let update = prepare(&mut cluster, req)?;
    let guest = cluster
        .guests
        .get_mut(&update.vmid)
        .expect("checked in prepare");
    guest.config = update.config;
    guest.pending_delete.retain(|k| !update.sets.contains(k));
    for key in update.pending_delete {
        // A pending deletion replaces a pending value of the same option.
        guest.pending.remove(&key);
        if !guest.pending_delete.contains(&key) {
            guest.pending_delete.push(key);
        }
    }
    settle_pending(guest, update.pending, &update.sets, &update.reverts);
    // qemu-server writes the config first, then `raise_param_exc($errors)`.
    if !update.refused.is_empty() {
        return Err(ApiError::params(update.refused));
    }
    Ok(Value::Null)
}

/// Records what waits for the next start: a key set now leaves `[PENDING]`, a key
/// set but not hot-plugged enters it, a reverted one leaves it.
fn settle_pending(
    guest: &mut Guest,
    pending: BTreeMap<String, String>,
    sets: &[String],
    reverts: &[String],
) {
    guest
        .pending
        .retain(|key, _| !sets.contains(key) && !reverts.contains(key));
    guest.pending.extend(pending);
}

/// `POST /qemu/{vmid}/config`: the same update in a `qmconfig` worker.
pub(crate) fn post(sim: &Sim, req: &Req) -> ApiResult {
    let mut cluster = sim.cluster.lock();
    let update = prepare(&mut cluster, req)?;
    let Update {
        vmid,
        node,
        config,
        allocated,
        summary,
        pending,
        sets,
        reverts,
        refused,
        ..
    } = update;
    let refused_log: Vec<String> = refused
        .iter()
        .map(|(key, message)| format!("{key}: {message}"))
        .collect();
    let log = vec![format!("update VM {vmid}: {summary}")];
    let rollback_node = node.clone();
    let spec = TaskSpec::new(
        &node,
        "qmconfig",
        vmid,
        secs(1.0),
        move |c: &mut Cluster| match c.guests.get_mut(&vmid) {
            Some(guest) => {
                guest.config = config;
                settle_pending(guest, pending, &sets, &reverts);
                if refused_log.is_empty() {
                    TaskOutcome::ok(log)
                } else {
                    TaskOutcome::failed(log, refused_log.join("; "))
                }
            }
            None => TaskOutcome::failed(log, format!("VM {vmid} vanished during the update")),
        },
    )
    .with_rollback(move |c: &mut Cluster| {
        for volid in &allocated {
            volumes::free(c, &rollback_node, volid);
        }
        TaskOutcome::ok(Vec::new())
    });
    upid_answer(sim.spawn_task(&mut cluster, &req.user, spec))
}

struct Update {
    vmid: u32,
    node: String,
    config: BTreeMap<String, String>,
    /// New disks allocated for the update (freed again if its task fails).
    allocated: Vec<String>,
    /// `-key value …` as qemu-server logs the update.
    summary: String,
    /// Deletions left pending (a running container's mount points).
    pending_delete: Vec<String>,
    /// Options set by the update (they leave the pending deletions).
    sets: Vec<String>,
    /// Values a running VM could not take now (`hotplug.rs`), for `[PENDING]`.
    pending: BTreeMap<String, String>,
    /// Pending changes the update reverts (`revert`).
    reverts: Vec<String>,
    /// Hot-plugs that failed, by option: answered as a 400 after the write.
    refused: BTreeMap<String, String>,
}

/// Validate the request and compute the new config; new disks are allocated here.
fn prepare(cluster: &mut Cluster, req: &Req) -> Result<Update, ApiError> {
    let kind = kind_of(req);
    let (skiplock, force) = match kind {
        GuestType::Qemu => (root_only_flag(req, "skiplock")?, req.flag("force")?),
        GuestType::Lxc => (false, false),
    };
    let guest = request_guest(cluster, req)?.clone();
    let sets: BTreeMap<String, String> = req
        .params
        .keys()
        .filter(|k| !CONTROL_PARAMS.contains(&k.as_str()))
        .filter_map(|k| {
            req.str(k).map(|v| {
                (
                    if k == "cdrom" {
                        "ide2".to_string()
                    } else {
                        k.clone()
                    },
                    v,
                )
            })
        })
        .collect();
    let deletes = split_list(req.str("delete"));
    let reverts = split_list(req.str("revert"));
    if sets.is_empty() && deletes.is_empty() && reverts.is_empty() {
        return Err(ApiError::internal("no options specified"));
    }
    for key in &deletes {
        if sets.contains_key(key) {
            return Err(ApiError::param(
                "delete",
                format!("you can't use '-{key}' and -delete {key}' at the same time"),
            ));
        }
    }
    let given_digest = req.str("digest");
    let ordered_checks = match kind {
        GuestType::Lxc => {
            check_unlocked(&guest).and_then(|()| check_digest(given_digest.as_deref(), &guest))
        }
        GuestType::Qemu => check_digest(given_digest.as_deref(), &guest).and_then(|()| {
            if skiplock {
                Ok(())
            } else {
                check_unlocked(&guest)
            }
        }),
    };
    ordered_checks.map_err(ApiError::internal)?;

    let mut config = guest.config.clone();
    let mut allocated = Vec::new();
    let result = apply_sets(cluster, &guest, &mut config, &sets, &mut allocated)
        .and_then(|()| apply_deletes(cluster, &guest, &mut config, &deletes, force));
    let pending_delete = match result {
        Ok(pending) => pending,
        Err(error) => {
            for volid in &allocated {
                volumes::free(cluster, &guest.node, volid);
            }
            return Err(error);
        }
    };
    // A running VM keeps what qemu-server does not hot-plug out of the live config.
    let mut pending = BTreeMap::new();
    let mut refused = BTreeMap::new();
    let mut pending_delete = pending_delete;
    if kind == GuestType::Lxc && guest.status == GuestStatus::Running {
        start_only_lxc_options(
            &guest,
            &mut config,
            &sets,
            &deletes,
            &mut pending,
            &mut pending_delete,
        );
    }
    if kind == GuestType::Qemu && guest.status == GuestStatus::Running {
        for (key, value) in &sets {
            let plug = hotplug::plug(&guest.config, key, value);
            if plug == hotplug::Plug::Now {
                continue;
            }
            if let hotplug::Plug::Refused(message) = plug {
                refused.insert(key.clone(), message);
            }
            match guest.config.get(key) {
                Some(old) => config.insert(key.clone(), old.clone()),
                None => config.remove(key),
            };
            pending.insert(key.clone(), value.clone());
        }
    }
    let mut summary: Vec<String> = sets.iter().map(|(k, v)| format!("-{k} {v}")).collect();
    if !deletes.is_empty() {
        summary.push(format!("-delete {}", deletes.join(",")));
    }
    Ok(Update {
        vmid: guest.vmid,
        node: guest.node.clone(),
        config,
        allocated,
        summary: summary.join(" "),
        pending_delete,
        sets: sets
            .keys()
            .filter(|k| !pending.contains_key(*k))
            .cloned()
            .collect(),
        pending,
        reverts,
        refused,
    })
}

/// What a running container takes only at its next start and the simulator models:
/// its environment (pve-container's `vmconfig_hotplug_pending` skips every option not
/// in `$LXC_FASTPLUG_OPTIONS` and without a hot-plug branch, so `env` and `entrypoint`
/// stay in `[PENDING]`, set or deleted).
const LXC_START_ONLY: &[&str] = &["env", "entrypoint"];

fn start_only_lxc_options(
    guest: &Guest,
    config: &mut BTreeMap<String, String>,
    sets: &BTreeMap<String, String>,
    deletes: &[String],
    pending: &mut BTreeMap<String, String>,
    pending_delete: &mut Vec<String>,
) {
    for key in LXC_START_ONLY {
        let key = (*key).to_string();
        if let Some(value) = sets.get(&key) {
            pending.insert(key.clone(), value.clone());
        } else if deletes.contains(&key)
            && (guest.config.contains_key(&key) || guest.pending.contains_key(&key))
        {
            pending_delete.push(key.clone());
        } else {
            continue;
        }
        match guest.config.get(&key) {
            Some(old) => config.insert(key, old.clone()),
            None => config.remove(&key),
        };
    }
}

fn split_list(text: Option<String>) -> Vec<String> {
    text.map(|t| {
        t.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s == "cdrom" {
                    "ide2".to_string()
                } else {
                    s.to_string()
                }
            })
            .collect()
    })
    .unwrap_or_default()
}

fn apply_sets(
    cluster: &mut Cluster,
    guest: &Guest,
    config: &mut BTreeMap<String, String>,
    sets: &BTreeMap<String, String>,
    allocated: &mut Vec<String>,
) -> Result<(), ApiError> {
    for (key, value) in sets {
        let value = if key.starts_with("net") && key[3..].chars().all(|c| c.is_ascii_digit()) {
            net_value(guest.kind, value, config.get(key))
        } else if volumes::is_disk_key(guest.kind, key) {
            disk_value(cluster, guest, config, key, value, allocated)?
        } else {
            value.clone()
        };
        config.insert(key.clone(), value);
    }
    Ok(())
}

/// A NIC keeps its MAC when the new value names none (the GUI always resends it).
fn net_value(kind: GuestType, value: &str, current: Option<&String>) -> String {
    let old = current.map(|c| PropertyString::parse(c));
    let mut new = PropertyString::parse(value);
    match kind {
        GuestType::Lxc => {
            if let Some(mac) = old.as_ref().and_then(|o| o.get("hwaddr"))
                && new.get("hwaddr").is_none()
            {
                new.set("hwaddr", mac);
            }
            lxc_net_with_mac(&new.print(&["name"]), false)
        }
        GuestType::Qemu => {
            let old_mac = old.as_ref().and_then(|o| {
                o.pairs
                    .iter()
                    .find(|(k, _)| super::propstr::QEMU_NIC_MODELS.contains(&k.as_str()))
                    .map(|(_, mac)| mac.clone())
            });
            // `virtio,bridge=…` names the model without a MAC.
            match (new.head.take(), old_mac) {
                (Some(model), Some(mac)) => {
                    new.set(&model, mac);
                    qemu_net_with_mac(&new.print(&[model.as_str()]), false)
                }
                _ => qemu_net_with_mac(value, false),
            }
        }
    }
}
