//! Storage configuration and status: `GET /storage`, `/nodes/{node}/storage`,
//! `/nodes/{node}/storage/{storage}` and its `status` (pve-storage
//! `PVE::API2::Storage::{Config,Status}`). Volumes are in `storage/content.rs`.

mod content;
mod upload;

use serde_json::{Map, Value, json};

use crate::api::{ApiError, ApiResult, Method, Req, Route, route};
use crate::model::{Node, Storage};
use crate::{Cluster, Sim};

pub fn routes() -> Vec<Route> {
    let mut routes = vec![
        route(Method::Get, "/storage", config_list),
        route(Method::Get, "/nodes/{node}/storage", node_list),
        route(
            Method::Get,
            "/nodes/{node}/storage/{storage}",
            node_storage_index,
        ),
        route(
            Method::Get,
            "/nodes/{node}/storage/{storage}/status",
            node_status,
        ),
    ];
    routes.push(route(
        Method::Post,
        "/nodes/{node}/storage/{storage}/upload",
        upload::upload,
    ));
    routes.extend(content::routes());
    routes
}

/// Where a storage keeps its files or volumes, as its storage.cfg section says.
fn config_entry(storage: &Storage) -> Value {
    let mut entry = json!({
        "storage": storage.id,
        "type": storage.kind,
        "content": storage.content.join(","),
        "digest": config_digest(storage),
    });
    match storage.kind.as_str() {
        "dir" => entry["path"] = json!(dir_path(storage)),
        "lvmthin" => {
            entry["thinpool"] = json!("data");
            entry["vgname"] = json!("pve");
        }
        _ => {}
    }
    if storage.shared {
        entry["shared"] = json!(1);
    }
    if !storage.enabled {
        entry["disable"] = json!(1);
    }
    entry
}

/// The mount point of a dir storage: PVE's default `local` lives in /var/lib/vz.
pub fn dir_path(storage: &Storage) -> String {
    if storage.id == "local" {
        "/var/lib/vz".to_string()
    } else {
        format!("/mnt/pve/{}", storage.id)
    }
}

/// Where a file storage keeps one content type (`get_iso_dir`, `get_vztmpl_dir`,
/// `get_import_dir`).
fn volume_dir(storage: &Storage, dir: &str) -> String {
    let base = dir_path(storage);
    match dir {
        "iso" => format!("{base}/template/iso"),
        "vztmpl" => format!("{base}/template/cache"),
        other => format!("{base}/{other}"),
    }
}

/// A stand-in for the SHA-1 of storage.cfg PVE sends along (changes when the config does).
fn config_digest(storage: &Storage) -> String {
    use sha2::{Digest, Sha256};
    let text = format!(
        "{}:{}:{}:{}",
        storage.kind,
        storage.id,
        storage.content.join(","),
        storage.enabled
    );
    hex::encode(&Sha256::digest(text.as_bytes())[..20])
}

/// `GET /storage`: storage.cfg is cluster-wide; the first node defining an id speaks for it.
fn config_list(sim: &Sim, req: &Req) -> ApiResult {
    let kind = req.str("type");
    let cluster = sim.cluster.lock();
    let mut seen = std::collections::BTreeMap::new();
    for node in cluster.nodes.values() {
        for storage in node.storages.values() {
            seen.entry(storage.id.clone()).or_insert(storage);
        }
    }
    let entries = seen
        .values()
        .filter(|s| kind.as_deref().is_none_or(|k| k == s.kind))
        .map(|s| config_entry(s))
        .collect();
    Ok(Value::Array(entries))
}

/// `storage_info`'s view of one storage on one node.
fn status_entry(storage: &Storage) -> Map<String, Value> {
    let mut entry = Map::new();
    let (total, used, avail) = if storage.enabled {
        (storage.total, storage.used(), storage.avail())
    } else {
        (0, 0, 0)
    };
    entry.insert("type".into(), json!(storage.kind));
    entry.insert("content".into(), json!(storage.content.join(",")));
    entry.insert("shared".into(), json!(u8::from(storage.shared)));
    entry.insert("enabled".into(), json!(u8::from(storage.enabled)));
    entry.insert("active".into(), json!(u8::from(storage.enabled)));
    entry.insert("total".into(), json!(total));
    entry.insert("used".into(), json!(used));
    entry.insert("avail".into(), json!(avail));
    entry
}

fn formats(storage: &Storage) -> Value {
    let (supported, default) = match storage.kind.as_str() {
        "dir" => (vec!["qcow2", "raw", "subvol", "vmdk"], "raw"),
        _ => (vec!["raw"], "raw"),
    };
    json!({ "supported": supported, "default": default })
}

fn node_list(sim: &Sim, req: &Req) -> ApiResult {
    let content: Option<Vec<String>> = req.str("content").map(|c| {
        c.split([',', ';', ' '])
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    });
    let only_enabled = req.flag("enabled")?;
    let with_formats = req.flag("format")?;
    let wanted = req.str("storage");
    let target = req
        .str("target")
        .filter(|t| t != req.node().unwrap_or_default());
    let cluster = sim.cluster.lock();
    let node = node(&cluster, req.node()?)?;
    if let Some(id) = &wanted
        && !node.storages.contains_key(id)
    {
        return Err(ApiError::param("storage", "No such storage."));
    }
    let mut entries = Vec::new();
    for storage in node.storages.values() {
        if let Some(types) = &content {
            // storage_info skips disabled stores as soon as a content filter is given.
            let matches = types.iter().any(|t| storage.content.contains(t));
            if !matches || !storage.enabled {
                continue;
            }
        }
        if wanted.as_ref().is_some_and(|w| *w != storage.id)
            || (only_enabled && !storage.enabled)
            || (target.is_some() && !storage.shared)
        {
            continue;
        }
        let mut entry = status_entry(storage);
        if storage.total > 0 && storage.enabled {
            entry.insert(
                "used_fraction".into(),
                json!(storage.used() as f64 / storage.total as f64),
            );
        }
        if with_formats {
            entry.insert("formats".into(), formats(storage));
        }
        entry.insert("storage".into(), json!(storage.id));
        entries.push(Value::Object(entry));
    }
    Ok(Value::Array(entries))
}

fn node_storage_index(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    storage(node(&cluster, req.node()?)?, req.path("storage")?)?;
    let subdirs = [
        "content",
        "download-url",
        "file-restore",
        "import-metadata",
        "identity",
        "oci-registry-pull",
        "prunebackups",
        "rrd",
        "rrddata",
        "status",
        "upload",
    ];
    Ok(Value::Array(
        subdirs.iter().map(|s| json!({ "subdir": s })).collect(),
    ))
}

fn node_status(sim: &Sim, req: &Req) -> ApiResult {
    let cluster = sim.cluster.lock();
    let node = node(&cluster, req.node()?)?;
    let storage = node
        .storages
        .get(req.path("storage")?)
        .ok_or_else(|| ApiError::param("storage", "No such storage."))?;
    Ok(Value::Object(status_entry(storage)))
}

/// The addressed node (the dispatcher already refused unknown and offline ones).
fn node<'a>(cluster: &'a Cluster, name: &str) -> Result<&'a Node, ApiError> {
    cluster
        .nodes
        .get(name)
        .ok_or_else(|| ApiError::internal(format!("no such node '{name}'")))
}

/// `storage_config`'s error for an unknown storage id.
fn storage<'a>(node: &'a Node, id: &str) -> Result<&'a Storage, ApiError> {
    node.storages
        .get(id)
        .ok_or_else(|| ApiError::internal(format!("storage '{id}' does not exist")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_storages_render_like_storage_cfg() {
        let cluster = crate::seed::seed_cluster(&crate::SimConfig {
            nodes: 1,
            guests: 0,
            schema_path: None,
            ..crate::SimConfig::default()
        });
        let node = &cluster.nodes["pve1"];
        let local = config_entry(&node.storages["local"]);
        assert_eq!(local["path"], "/var/lib/vz");
        assert_eq!(local["type"], "dir");
        let lvm = config_entry(&node.storages["local-lvm"]);
        assert_eq!(lvm["thinpool"], "data");
        assert_eq!(lvm["vgname"], "pve");
        assert_eq!(lvm["content"], "images,rootdir");
    }
}
