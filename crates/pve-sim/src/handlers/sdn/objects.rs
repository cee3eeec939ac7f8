//! Zones, vnets and subnets: list, read, create, update, delete. All three are
//! section-config objects handled alike; the differences (options per type, the
//! plugin hooks) live in `kind` and `hooks`.

use serde_json::{Map, Value};

use super::kind::Kind;
use super::view::{self, Mode};
use super::{SdnState, digest};
use crate::Sim;
use crate::api::{ApiError, ApiResult, Req};

/// Options that are booleans or integers in the schema; everything else is text.
const BOOLEANS: [&str; 7] = [
    "advertise-subnets",
    "bridge-disable-mac-learning",
    "disable-arp-nd-suppression",
    "exitnodes-local-routing",
    "vlanaware",
    "isolate-ports",
    "snat",
];
const INTEGERS: [&str; 5] = ["mtu", "tag", "vrf-vxlan", "vxlan-port", "dp-id"];
/// Request parameters that are never options of an object (besides its own id).
const NOT_OPTIONS: [&str; 4] = ["type", "digest", "delete", "lock-token"];

/// `lock_sdn_config` prefixes failures with what was attempted; a parameter
/// exception loses its 400 there and is stringified with its field messages.
fn in_lock(action: &str, kind: Kind, error: ApiError) -> ApiError {
    let mut message = format!("{action} {} failed: ", kind.object_name());
    if error.status == 400 {
        message.push_str(&format!("400 {}\n", error.message));
        for (field, text) in &error.errors {
            message.push_str(&format!("{field}: {text}\n"));
        }
    } else {
        message.push_str(&error.message);
    }
    ApiError::internal(message)
}

/// The request's options for the object, typed as the section config stores them.
fn options(req: &Req, kind: Kind) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for key in req
        .params
        .keys()
        .filter(|k| !NOT_OPTIONS.contains(&k.as_str()) && k.as_str() != kind.id_key())
    {
        let value = if BOOLEANS.contains(&key.as_str()) {
            Value::from(u8::from(req.flag(key)?))
        } else if INTEGERS.contains(&key.as_str()) {
            req.int(key)?.map(Value::from).unwrap_or(Value::Null)
        } else if let Some(Value::Array(items)) = req.params.get(key) {
            Value::Array(items.clone())
        } else if key == "dhcp-range" {
            Value::Array(req.str(key).map(Value::from).into_iter().collect())
        } else {
            req.str(key).map(Value::from).unwrap_or(Value::Null)
        };
        out.insert(key.clone(), value);
    }
    Ok(out)
}

/// SectionConfig `check_config`: only the type's options, and on create all
/// required ones.
fn check_options(
    kind: Kind,
    section_type: &str,
    opts: &Map<String, Value>,
    create: bool,
) -> Result<(), ApiError> {
    let allowed = kind.options(section_type);
    if allowed.is_empty() {
        return Err(ApiError::internal(format!(
            "unknown section type '{section_type}'"
        )));
    }
    if let Some(key) = opts
        .keys()
        .find(|k| !allowed.iter().any(|(name, _)| name == k))
    {
        return Err(ApiError::internal(format!("unexpected property '{key}'")));
    }
    if create
        && let Some((key, _)) = allowed
            .iter()
            .find(|(name, required)| *required && !opts.contains_key(*name))
    {
        return Err(ApiError::internal(format!(
            "missing value for required option '{key}'"
        )));
    }
    Ok(())
}

fn section_type(kind: Kind, req: &Req) -> String {
    match kind {
        Kind::Zones => req.str("type").unwrap_or_default(),
        Kind::Vnets => "vnet".into(),
        Kind::Subnets => "subnet".into(),
    }
}

/// The subnet list and reads first look the vnet up in the edited file.
fn check_vnet(state: &SdnState, req: &Req) -> Result<String, ApiError> {
    let vnet = req.path("vnet")?.to_string();
    if !state.config.vnets.contains_key(&vnet) {
        return Err(Kind::Vnets.missing(&vnet));
    }
    Ok(vnet)
}

pub fn list(sim: &Sim, req: &Req) -> ApiResult {
    let kind = Kind::of(req);
    let mode = Mode::of(req)?;
    let cluster = sim.cluster.lock();
    let vnet = match kind {
        Kind::Subnets => Some(check_vnet(&cluster.sdn, req)?),
        _ => None,
    };
    let type_filter = match kind {
        Kind::Zones => req.str("type"),
        _ => None,
    };
    let (sections, digest) = view::sections(&cluster.sdn, kind, mode);
    let items = sections
        .iter()
        .filter(|(_, o)| {
            type_filter
                .as_deref()
                .is_none_or(|t| o.get("type").and_then(Value::as_str) == Some(t))
        })
        .filter(|(_, o)| {
            vnet.as_deref()
                .is_none_or(|v| o.get("vnet").and_then(Value::as_str) == Some(v))
        })
        .map(|(id, o)| view::object(kind, id, o, digest.as_deref()))
        .collect();
    Ok(Value::Array(items))
}

pub fn get(sim: &Sim, req: &Req) -> ApiResult {
    let kind = Kind::of(req);
    let mode = Mode::of(req)?;
    let id = req.path(kind.id_key())?;
    let cluster = sim.cluster.lock();
    let vnet = match kind {
        Kind::Subnets => Some(check_vnet(&cluster.sdn, req)?),
        _ => None,
    };
    let (sections, digest) = view::sections(&cluster.sdn, kind, mode);
    let object = sections.get(id).ok_or_else(|| kind.missing(id))?;
    if let Some(vnet) = vnet
        && object.get("vnet").and_then(Value::as_str) != Some(vnet.as_str())
    {
        return Err(ApiError::param("vnet", "wrong vnet"));
    }
    Ok(view::object(kind, id, object, digest.as_deref()))
}

pub fn create(sim: &Sim, req: &Req) -> ApiResult {
    let kind = Kind::of(req);
    let section_type = section_type(kind, req);
    let mut opts = options(req, kind)?;
    let mut cluster = sim.cluster.lock();
    let sdn = &mut cluster.sdn;
    let id = match kind {
        Kind::Subnets => {
            let vnet = check_vnet(sdn, req)?;
            opts.insert("vnet".into(), vnet.clone().into());
            let zone = sdn.config.vnets[&vnet]
                .get("zone")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            format!("{zone}-{}", req.required_str("subnet")?.replace('/', "-"))
        }
        _ => req.required_str(kind.id_key())?,
    };
    if kind == Kind::Zones {
        // Zones validate their options before taking the lock.
        check_options(kind, &section_type, &opts, true)?;
    }
    let mut config = sdn.config.clone();
    let result = (|| {
        if kind != Kind::Zones {
            check_options(kind, &section_type, &opts, true)?;
        }
        if kind.sections(&config).contains_key(&id) {
            return Err(ApiError::internal(format!(
                "{} ID '{id}' already defined",
                kind.object_name()
            )));
        }
        opts.insert("type".into(), section_type.clone().into());
        kind.sections_mut(&mut config).insert(id.clone(), opts);
        super::hooks::after_update(kind, &mut config, &id)
    })();
    result.map_err(|e| in_lock("create", kind, e))?;
    sdn.config = config;
    Ok(Value::Null)
}

pub fn update(sim: &Sim, req: &Req) -> ApiResult {
    let kind = Kind::of(req);
    let id = req.path(kind.id_key())?.to_string();
    let opts = options(req, kind)?;
    let delete = req.str("delete").unwrap_or_default();
    let wanted_digest = req.str("digest");
    let mut cluster = sim.cluster.lock();
    let sdn = &mut cluster.sdn;
    if kind == Kind::Subnets {
        check_vnet(sdn, req)?;
    }
    let mut config = sdn.config.clone();
    let result = (|| {
        let current_digest = digest(kind.sections(&config));
        if wanted_digest
            .as_deref()
            .is_some_and(|d| !d.is_empty() && d != current_digest)
        {
            return Err(ApiError::internal(
                "detected modified configuration - file changed by other user? Try again.",
            ));
        }
        let object = kind
            .sections_mut(&mut config)
            .get_mut(&id)
            .ok_or_else(|| kind.missing(&id))?;
        let section_type = object
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        check_options(kind, &section_type, &opts, false)?;
        let allowed = kind.options(&section_type);
        for key in delete.split([',', ';', ' ']).filter(|k| !k.is_empty()) {
            let (_, required) = allowed
                .iter()
                .find(|(name, _)| *name == key)
                .ok_or_else(|| ApiError::internal(format!("no such option '{key}'")))?;
            if *required {
                return Err(ApiError::internal(format!(
                    "unable to delete required option '{key}'"
                )));
            }
            if opts.contains_key(key) {
                return Err(ApiError::internal(format!(
                    "cannot set and delete property '{key}' at the same time!"
                )));
            }
            object.remove(key);
        }
        object.extend(opts.clone());
        super::hooks::after_update(kind, &mut config, &id)
    })();
    result.map_err(|e| in_lock("update", kind, e))?;
    sdn.config = config;
    Ok(Value::Null)
}

pub fn delete(sim: &Sim, req: &Req) -> ApiResult {
    let kind = Kind::of(req);
    let id = req.path(kind.id_key())?.to_string();
    let mut cluster = sim.cluster.lock();
    let sdn = &mut cluster.sdn;
    if kind == Kind::Subnets {
        check_vnet(sdn, req)?;
    }
    let mut config = sdn.config.clone();
    let result = (|| {
        if !kind.sections(&config).contains_key(&id) {
            return Err(kind.missing(&id));
        }
        super::hooks::before_delete(kind, &config, &id)?;
        kind.sections_mut(&mut config).remove(&id);
        Ok(())
    })();
    result.map_err(|e| in_lock("delete", kind, e))?;
    sdn.config = config;
    Ok(Value::Null)
}
