//! Asks Proxmox VE what a cluster offers: nodes, then per online node its storages
//! and bridges (concurrently), then the template and ISO volumes of each storage
//! (a shared storage once, not once per node).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::Arc;

use proxicloud_pve::{
    ContentFilter, NodeName, NodeSummary, Pve, PveError, StorageFilter, StorageStatus,
    StorageVolume,
};
use tokio::task::JoinSet;

use super::options::{ImageStorageOption, NodeOption, StorageOption, VolumeOption};

/// What Proxmox said; the service adds the mirror's VM templates.
#[derive(Debug, Default)]
pub(super) struct Gathered {
    pub nodes: Vec<NodeOption>,
    pub lxc_templates: Vec<VolumeOption>,
    pub isos: Vec<VolumeOption>,
}

/// The volume content types the wizard offers, and where each goes in [`Gathered`].
const VOLUME_CONTENTS: [&str; 2] = ["vztmpl", "iso"];

/// A storage as one node sees it.
struct SeenStorage {
    node: String,
    status: StorageStatus,
}

/// Fails only when the cluster itself cannot be asked (`GET /nodes`); a node whose
/// storages or bridges cannot be listed is reported with its `problem`.
pub(super) async fn gather(pve: Arc<dyn Pve>) -> Result<Gathered, PveError> {
    let mut summaries = pve.nodes().await?;
    summaries.sort_by(|a, b| a.node.as_str().cmp(b.node.as_str()));
    let mut lookups = JoinSet::new();
    for summary in summaries.iter().filter(|s| s.status == "online") {
        let pve = pve.clone();
        let node = summary.node.clone();
        lookups.spawn(async move {
            let details = node_details(pve.as_ref(), &node).await;
            (node, details)
        });
    }
    let mut details = BTreeMap::new();
    while let Some(joined) = lookups.join_next().await {
        let (node, result) = joined.map_err(|e| PveError::InvalidRequest(e.to_string()))?;
        details.insert(node.to_string(), result);
    }
    let mut seen = Vec::new();
    let nodes = summaries
        .iter()
        .map(|summary| {
            let found = details.remove(summary.node.as_str());
            node_option(summary, found, &mut seen)
        })
        .collect();
    let mut volumes = volumes(pve.as_ref(), &seen).await;
    Ok(Gathered {
        nodes,
        lxc_templates: volumes.remove("vztmpl").unwrap_or_default(),
        isos: volumes.remove("iso").unwrap_or_default(),
    })
}

type Details = Result<(Vec<StorageStatus>, Vec<String>), PveError>;

async fn node_details(pve: &dyn Pve, node: &NodeName) -> Details {
    let filter = StorageFilter {
        content: None,
        enabled: true,
    };
    let storages = pve.storages(node, &filter).await?;
    let mut bridges: Vec<String> = pve
        .network_interfaces(node, Some("any_bridge"))
        .await?
        .into_iter()
        .map(|interface| interface.iface)
        .collect();
    bridges.sort();
    Ok((storages, bridges))
}

fn offers(status: &StorageStatus, content: &str) -> bool {
    status
        .content
        .as_deref()
        .is_some_and(|list| list.split(',').any(|c| c.trim() == content))
}

fn usable(status: &StorageStatus) -> bool {
    status.active != Some(false) && status.enabled != Some(false)
}

/// The node as offered; its usable storages are also noted in `seen` for the
/// volume listing.
fn node_option(
    summary: &NodeSummary,
    details: Option<Details>,
    seen: &mut Vec<SeenStorage>,
) -> NodeOption {
    let name = summary.node.to_string();
    let memory_total = summary.maxmem.unwrap_or(0);
    let mut option = NodeOption {
        name: name.clone(),
        online: summary.status == "online",
        // PVE reports the CPU count as a number that is always whole.
        cores: summary.maxcpu.unwrap_or(0.0) as u32,
        memory_total,
        memory_free: memory_total.saturating_sub(summary.mem.unwrap_or(0)),
        bridges: Vec::new(),
        storages: Vec::new(),
        image_storages: Vec::new(),
        problem: None,
    };
    match details {
        None => {}
        Some(Err(error)) => option.problem = Some(error.to_string()),
        Some(Ok((storages, bridges))) => {
            option.bridges = bridges;
            for status in storages.into_iter().filter(usable) {
                let (containers, vms) = (offers(&status, "rootdir"), offers(&status, "images"));
                if containers || vms {
                    option.storages.push(StorageOption {
                        storage: status.storage.clone(),
                        kind: status.kind.clone(),
                        shared: status.shared == Some(true),
                        containers,
                        vms,
                        avail: status.avail.unwrap_or(0),
                        total: status.total.unwrap_or(0),
                    });
                }
                if VOLUME_CONTENTS
                    .iter()
                    .any(|content| offers(&status, content))
                {
                    option.image_storages.push(ImageStorageOption {
                        storage: status.storage.clone(),
                        templates: offers(&status, "vztmpl"),
                        isos: offers(&status, "iso"),
                    });
                    seen.push(SeenStorage {
                        node: name.clone(),
                        status,
                    });
                }
            }
            option.storages.sort_by(|a, b| a.storage.cmp(&b.storage));
            option
                .image_storages
                .sort_by(|a, b| a.storage.cmp(&b.storage));
        }
    }
    option
}

/// Which listing holds a storage's files as a node sees them: one for all nodes of a
/// shared storage; one per node for local storages (same name, different files).
type ListingKey<'a> = (Option<&'a str>, &'a str, &'static str);

fn listing_key<'a>(storage: &'a SeenStorage, content: &'static str) -> ListingKey<'a> {
    let node = (storage.status.shared != Some(true)).then_some(storage.node.as_str());
    (node, storage.status.storage.as_str(), content)
}

/// Template and ISO volumes by content type, each storage listed once and every
/// volume attributed to the nodes that see it. A storage that cannot be listed is
/// left out (and logged), not fatal.
async fn volumes(pve: &dyn Pve, seen: &[SeenStorage]) -> BTreeMap<&'static str, Vec<VolumeOption>> {
    let mut listings: BTreeMap<ListingKey<'_>, Vec<StorageVolume>> = BTreeMap::new();
    let mut by_volid: BTreeMap<&'static str, BTreeMap<String, VolumeOption>> = BTreeMap::new();
    for storage in seen {
        for content in VOLUME_CONTENTS
            .into_iter()
            .filter(|content| offers(&storage.status, content))
        {
            let listing = match listings.entry(listing_key(storage, content)) {
                Entry::Occupied(listed) => listed.into_mut(),
                Entry::Vacant(slot) => match list_content(pve, storage, content).await {
                    Some(found) => slot.insert(found),
                    None => continue,
                },
            };
            for volume in listing.iter() {
                let entry = by_volid
                    .entry(content)
                    .or_default()
                    .entry(volume.volid.clone())
                    .or_insert_with(|| VolumeOption {
                        volid: volume.volid.clone(),
                        name: file_name(&volume.volid).to_owned(),
                        size: volume.size.unwrap_or(0),
                        nodes: Vec::new(),
                    });
                if !entry.nodes.contains(&storage.node) {
                    entry.nodes.push(storage.node.clone());
                    entry.nodes.sort();
                }
            }
        }
    }
    by_volid
        .into_iter()
        .map(|(content, volumes)| {
            let mut list: Vec<VolumeOption> = volumes.into_values().collect();
            list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.volid.cmp(&b.volid)));
            (content, list)
        })
        .collect()
}

async fn list_content(
    pve: &dyn Pve,
    storage: &SeenStorage,
    content: &str,
) -> Option<Vec<StorageVolume>> {
    let node = NodeName::new(storage.node.clone()).ok()?;
    let id = &storage.status.storage;
    let filter = ContentFilter {
        content: Some(content.to_owned()),
        vmid: None,
    };
    match pve.storage_content(&node, id, &filter).await {
        Ok(found) => Some(found),
        Err(error) => {
            tracing::warn!(%node, storage = %id, %error, "cannot list storage content for the launch wizard");
            None
        }
    }
}

/// `debian-12.iso` of `local:iso/debian-12.iso`.
fn file_name(volid: &str) -> &str {
    volid
        .split_once(':')
        .map_or(volid, |(_, path)| path)
        .split_once('/')
        .map_or(volid, |(_, file)| file)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn a_volume_is_named_by_its_file() {
        assert_eq!(
            file_name("local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"),
            "debian-12-standard_12.7-1_amd64.tar.zst"
        );
        assert_eq!(file_name("nfs:iso/sub/x.iso"), "sub/x.iso");
        assert_eq!(file_name("odd"), "odd");
    }
}
