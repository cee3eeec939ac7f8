//! `POST /nodes/{node}/storage/{storage}/content/{volume}`: copy a volume (pve-storage
//! `PVE::API2::Storage::Content`, method `copy`, "experimental code - do not use").
//! Both ids go through `real_volume_id`, then an `imgcopy` worker (no task id) does
//! `storage_migrate` to the target volume name; the simulator copies the volume record.

use std::time::Duration;

use serde_json::json;

use super::{parse_volname, real_volume_id};
use crate::api::{ApiResult, Req};
use crate::handlers::storage::{node, storage};
use crate::model::Volume;
use crate::tasks::{TaskOutcome, TaskSpec, now};
use crate::{Cluster, Sim};

/// A `dd`-style copy of a small volume.
const COPY_DURATION: Duration = Duration::from_secs(3);

pub(super) fn copy(sim: &Sim, req: &Req) -> ApiResult {
    let storage_id = req.path("storage")?.to_string();
    let source = real_volume_id(&storage_id, req.path("volume")?)?;
    let target = real_volume_id(&storage_id, &req.required_str("target")?)?;
    let source_node = req.node()?.to_string();
    let target_node = req
        .str("target_node")
        .unwrap_or_else(|| source_node.clone());
    let mut cluster = sim.cluster.lock();
    {
        let source_storage = storage(node(&cluster, &source_node)?, &storage_id)?;
        parse_volname(source_storage, &source)?;
        let target_sid = target.split_once(':').map_or("", |(s, _)| s);
        let target_storage = storage(node(&cluster, &target_node)?, target_sid)?;
        parse_volname(target_storage, &target)?;
    }
    let start_log = vec![format!("DEBUG: COPY {source} TO {target}")];
    let work = move |cluster: &mut Cluster| {
        let mut log = vec!["DEBUG: starting worker".to_string()];
        let found = cluster
            .nodes
            .get(&source_node)
            .and_then(|n| n.storages.get(&storage_id))
            .and_then(|s| s.volumes.get(&source))
            .cloned();
        let Some(original) = found else {
            return TaskOutcome::failed(log, format!("volume '{source}' does not exist"));
        };
        let (target_sid, target_name) = target.split_once(':').unwrap_or_default();
        let Some(target_storage) = cluster
            .nodes
            .get_mut(&target_node)
            .and_then(|n| n.storages.get_mut(target_sid))
        else {
            return TaskOutcome::failed(log, format!("storage '{target_sid}' does not exist"));
        };
        if target_storage.volumes.contains_key(&target) {
            return TaskOutcome::failed(log, format!("volume '{target}' already exists"));
        }
        if target_storage.avail() < original.size {
            return TaskOutcome::failed(log, "not enough space on the target storage");
        }
        let owner = owner_of(target_name);
        target_storage.volumes.insert(
            target.clone(),
            Volume {
                volid: target.clone(),
                vmid: owner.or(original.vmid),
                ctime: now(),
                notes: None,
                ..original
            },
        );
        log.push("DEBUG: end worker".to_string());
        TaskOutcome::ok(log)
    };
    let spec =
        TaskSpec::new(req.node()?, "imgcopy", "", COPY_DURATION, work).with_start_log(start_log);
    Ok(json!(sim.spawn_task(&mut cluster, &req.user, spec)))
}

/// The owner a volume name encodes: `vm-<vmid>-…`, `base-<vmid>-…`, `<vmid>/…`.
fn owner_of(name: &str) -> Option<u32> {
    let file = name.rsplit('/').next().unwrap_or(name);
    ["vm-", "base-", "subvol-"]
        .iter()
        .find_map(|p| file.strip_prefix(p))
        .and_then(|rest| rest.split('-').next())
        .and_then(|id| id.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::owner_of;

    #[test]
    fn owners_come_from_the_volume_name() {
        assert_eq!(owner_of("vm-105-disk-1"), Some(105));
        assert_eq!(owner_of("105/vm-105-disk-1.qcow2"), Some(105));
        assert_eq!(owner_of("iso/x.iso"), None);
    }
}
