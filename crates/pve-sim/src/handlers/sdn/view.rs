//! What SDN reads show: the edited files, the running config, or the pending view
//! computed like `PVE::Network::SDN::pending_config`.

use serde_json::{Map, Value, json};

use super::kind::Kind;
use super::{SdnState, Sections, digest};
use crate::api::{ApiError, Req};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Config,
    Running,
    Pending,
}

impl Mode {
    /// `pending` wins over `running`, as in PVE's handlers.
    pub fn of(req: &Req) -> Result<Self, ApiError> {
        Ok(if req.flag("pending")? {
            Mode::Pending
        } else if req.flag("running")? {
            Mode::Running
        } else {
            Mode::Config
        })
    }
}

/// The objects a read sees, and the file digest (only the edited files have one).
pub fn sections(state: &SdnState, kind: Kind, mode: Mode) -> (Sections, Option<String>) {
    let config = kind.sections(&state.config);
    match mode {
        Mode::Config => (config.clone(), Some(digest(config))),
        Mode::Running => (kind.sections(&state.running).clone(), None),
        Mode::Pending => (pending(kind.sections(&state.running), config), None),
    }
}

/// A value as PVE compares it (`encode_value` leaves scalars as they are).
fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

/// Running values at the top level, new or changed values under `pending`, and a
/// `state` for objects that differ: `new`, `changed` or `deleted`.
pub fn pending(running: &Sections, config: &Sections) -> Sections {
    let mut out = Sections::new();
    let empty = Map::new();
    for (id, running_obj) in running {
        let config_obj = config.get(id).unwrap_or(&empty);
        let entry = out.entry(id.clone()).or_default();
        for (key, value) in running_obj {
            entry.insert(key.clone(), value.clone());
            if config_obj.is_empty() {
                entry.insert("state".into(), "deleted".into());
            } else if let Some(new) = config_obj.get(key) {
                if text(new) != text(value) {
                    entry.insert("state".into(), "changed".into());
                }
            } else {
                pending_map(entry).insert(key.clone(), "deleted".into());
                entry.insert("state".into(), "changed".into());
            }
        }
        if entry.contains_key("state") {
            pending_map(entry);
        }
    }
    for (id, config_obj) in config {
        let running_obj = running.get(id).unwrap_or(&empty);
        let entry = out.entry(id.clone()).or_default();
        for (key, value) in config_obj {
            let old = running_obj.get(key);
            if key == "type" || key == "vnet" {
                entry.insert(key.clone(), value.clone());
            } else if old.is_none_or(|old| text(old) != text(value)) {
                pending_map(entry).insert(key.clone(), value.clone());
            }
            if running_obj.is_empty() {
                entry.insert("state".into(), "new".into());
            } else if old.is_none() {
                entry.insert("state".into(), "changed".into());
            }
        }
        if entry.contains_key("state") {
            pending_map(entry);
        }
    }
    out
}

fn pending_map(entry: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let slot = entry.entry("pending").or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("pending is an object")
}

/// One object as the API returns it: its options plus its id under the kind's key
/// and the file digest; subnets also get the fields PVE derives from their id.
pub fn object(kind: Kind, id: &str, options: &Map<String, Value>, digest: Option<&str>) -> Value {
    let mut out = options.clone();
    out.insert(kind.id_key().into(), id.into());
    if let Some(digest) = digest {
        out.insert("digest".into(), digest.into());
    }
    if kind == Kind::Subnets {
        subnet_fields(id, &mut out);
    }
    Value::Object(out)
}

/// `sdn_subnets_config` splits `zone-10.0.0.0-24` into its parts;
/// `dhcp-range` becomes a list of `{start-address, end-address}`.
fn subnet_fields(id: &str, out: &mut Map<String, Value>) {
    let mut parts = id.splitn(3, '-');
    let (zone, network, mask) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    out.insert("id".into(), id.into());
    out.insert("cidr".into(), format!("{network}/{mask}").into());
    out.insert("zone".into(), zone.into());
    out.insert("network".into(), network.into());
    out.insert("mask".into(), mask.into());
    let ranges: Vec<Value> = out
        .get("dhcp-range")
        .and_then(Value::as_array)
        .map(|ranges| {
            ranges
                .iter()
                .filter_map(Value::as_str)
                .map(|range| {
                    let pairs: Map<String, Value> = range
                        .split(',')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_string(), Value::from(v)))
                        .collect();
                    Value::Object(pairs)
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("dhcp-range".into(), Value::Array(ranges));
}
