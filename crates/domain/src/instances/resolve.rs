//! Checks a well-formed request against the cluster and fills in what it left out:
//! the cluster, the node (most free memory among those that fit), the storage, the
//! name. Reads the mirror, plus two Proxmox reads the mirror cannot answer (the
//! template/ISO volume and the bridge). Nothing is changed anywhere.

use proxicloud_pve::{ContentFilter, GuestType, NodeName, Pve, PveError};
use proxicloud_store::{Cluster, Node, Storage, Store, Uuid};

use super::names::generate_name;
use super::plan::{CreatePlan, Source};
use super::request::{Draft, DraftSource, volid_storage};
use super::unique_name::guest_named;
use crate::FieldErrors;
use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

pub(super) struct Resolver<'a> {
    pub store: &'a dyn Store,
    pub connector: &'a dyn PveConnector,
}

fn invalid(field: &str, message: impl Into<String>) -> DomainError {
    DomainError::invalid(field, message)
}

/// What kind of storage content a guest's root disk needs.
fn disk_content(kind: GuestType) -> &'static str {
    match kind {
        GuestType::Lxc => "rootdir",
        GuestType::Qemu => "images",
    }
}

fn offers(storage: &Storage, content: &str) -> bool {
    let observed = &storage.observed;
    observed.content.split(',').any(|c| c.trim() == content)
        && matches!(observed.status.as_str(), "available" | "active")
}

impl Resolver<'_> {
    /// `cluster` is [`Resolver::cluster`]'s answer for the draft.
    pub async fn resolve(&self, cluster: Cluster, draft: Draft) -> DomainResult<CreatePlan> {
        let inventory = self.store.inventory();
        let nodes = inventory.list_nodes(Some(cluster.id)).await?;
        let storages = inventory.list_storages(Some(cluster.id)).await?;
        let kind = match draft.source {
            DraftSource::LxcTemplate(_) => GuestType::Lxc,
            _ => GuestType::Qemu,
        };
        // A clone starts as a copy of the template's disk; a disk can only grow.
        let mut template_disk: Option<u64> = None;
        let (source, source_volume) = match &draft.source {
            DraftSource::LxcTemplate(volid) => (
                Source::LxcTemplate {
                    volid: volid.clone(),
                },
                Some(("template", volid, "vztmpl")),
            ),
            DraftSource::Iso(volid) => (
                Source::Iso {
                    volid: volid.clone(),
                },
                Some(("iso", volid, "iso")),
            ),
            DraftSource::VmTemplate(vmid) => {
                let template = self.store.guests().find_by_vmid(cluster.id, *vmid).await?;
                match template {
                    Some(guest)
                        if guest.observed.kind == GuestType::Qemu && guest.observed.template =>
                    {
                        template_disk = Some(guest.observed.maxdisk);
                        (
                            Source::VmTemplate {
                                vmid: *vmid,
                                node: guest.observed.node.clone(),
                            },
                            None,
                        )
                    }
                    Some(_) => {
                        return Err(invalid(
                            "clone_from",
                            format!("guest {vmid} is not a VM template"),
                        ));
                    }
                    None => {
                        return Err(invalid(
                            "clone_from",
                            format!("no VM template {vmid} in cluster '{}'", cluster.config.name),
                        ));
                    }
                }
            }
        };
        let content = disk_content(kind);
        // A node fits when it is online, large enough, has the disk storage and (for a
        // template or ISO) the storage holding that volume. Otherwise: which field and why.
        let fits = |node: &Node| -> Result<(), (&'static str, String)> {
            let name = &node.observed.name;
            let on_node = |sid: &str, content: &str| {
                storages.iter().any(|s| {
                    s.observed.node == *name && s.observed.storage == sid && offers(s, content)
                })
            };
            if node.observed.status != "online" {
                return Err(("node", format!("node '{name}' is {}", node.observed.status)));
            }
            match &draft.storage {
                Some(sid) if !on_node(sid, content) => {
                    return Err((
                        "storage",
                        format!("no available storage '{sid}' for {content} on node '{name}'"),
                    ));
                }
                None if !storages
                    .iter()
                    .any(|s| s.observed.node == *name && offers(s, content)) =>
                {
                    return Err((
                        "storage",
                        format!("node '{name}' has no available storage for {content}"),
                    ));
                }
                _ => {}
            }
            if let Some((field, volid, volume_content)) = source_volume
                && !on_node(volid_storage(volid), volume_content)
            {
                return Err((
                    field,
                    format!(
                        "storage '{}' is not available on node '{name}'",
                        volid_storage(volid)
                    ),
                ));
            }
            Ok(())
        };
        let chosen = |node: &Node| fits(node).map_err(|(field, why)| invalid(field, why));
        let node = match (&draft.node, &source) {
            (Some(wanted), _) => {
                let node = nodes
                    .iter()
                    .find(|n| &n.observed.name == wanted)
                    .ok_or_else(|| {
                        invalid(
                            "node",
                            format!("no node '{wanted}' in cluster '{}'", cluster.config.name),
                        )
                    })?;
                chosen(node)?;
                node
            }
            (
                None,
                Source::VmTemplate {
                    node: template_node,
                    ..
                },
            ) => {
                let node = nodes
                    .iter()
                    .find(|n| &n.observed.name == template_node)
                    .ok_or_else(|| {
                        invalid(
                            "clone_from",
                            format!("the template's node '{template_node}' is not known"),
                        )
                    })?;
                chosen(node)?;
                node
            }
            (None, _) => match nodes
                .iter()
                .filter(|n| fits(n).is_ok())
                .max_by_key(|n| n.observed.maxmem.saturating_sub(n.observed.mem))
            {
                Some(node) => node,
                None => {
                    let reasons: Vec<(&str, String)> =
                        nodes.iter().filter_map(|n| fits(n).err()).collect();
                    // When every node fails for the same field, that field is the problem.
                    let field = match reasons.first() {
                        Some((first, _)) if reasons.iter().all(|(field, _)| field == first) => {
                            first
                        }
                        _ => "node",
                    };
                    let why: Vec<String> = reasons.into_iter().map(|(_, why)| why).collect();
                    let why = if why.is_empty() {
                        "the cluster has no nodes yet".to_owned()
                    } else {
                        why.join("; ")
                    };
                    return Err(invalid(field, format!("no node fits this instance: {why}")));
                }
            },
        };
        let node_name = node.observed.name.clone();
        let mut errors = FieldErrors::new();
        if draft.cores > node.observed.maxcpu {
            errors.insert(
                "cores".into(),
                format!("node '{node_name}' has only {} cores", node.observed.maxcpu),
            );
        }
        if draft.memory_mib * MIB > node.observed.maxmem {
            errors.insert(
                "memory".into(),
                format!(
                    "node '{node_name}' has only {} MiB",
                    node.observed.maxmem / MIB
                ),
            );
        }
        if let Some(template_bytes) = template_disk
            && draft.disk_gib * GIB < template_bytes
        {
            errors.insert(
                "disk".into(),
                format!(
                    "a clone cannot shrink the template's {} GiB disk: choose {} GiB or more",
                    template_bytes.div_ceil(GIB),
                    template_bytes.div_ceil(GIB)
                ),
            );
        }
        let disk_storage = self.storage(&draft, &storages, &node_name, content, &mut errors);
        if !errors.is_empty() {
            return Err(DomainError::Validation(errors));
        }
        let pve = self.connector.pve(cluster.id).await?;
        let node_id =
            NodeName::new(node_name.clone()).map_err(|e| DomainError::Internal(e.to_string()))?;
        if let Some((field, volid, volume_content)) = source_volume {
            check_volume(pve.as_ref(), &node_id, field, volid, volume_content).await?;
        }
        check_bridge(pve.as_ref(), &node_id, &draft.bridge).await?;
        let name = match draft.name {
            Some(name) => name,
            None => self.fresh_name(cluster.id).await?,
        };
        Ok(CreatePlan {
            instance_id: Some(Uuid::now_v7()),
            cluster_id: cluster.id,
            node: node_name,
            name,
            source,
            cores: draft.cores,
            memory_mib: draft.memory_mib,
            disk_gib: draft.disk_gib,
            storage: disk_storage,
            bridge: draft.bridge,
            vlan: draft.vlan,
            ssh_public_keys: draft.ssh_public_keys,
            key_pairs: Vec::new(),
            root_password: draft.root_password,
            sealed: None,
            volumes: Vec::new(),
            secrets: Vec::new(),
            start: draft.start,
        })
    }

    /// By id or name; without one, the first cluster by name.
    pub async fn cluster(&self, wanted: Option<&str>) -> DomainResult<Cluster> {
        let clusters = self.store.clusters().list().await?;
        match wanted {
            Some(wanted) => clusters
                .into_iter()
                .find(|c| c.id.to_string() == wanted || c.config.name == wanted)
                .ok_or_else(|| invalid("cluster", format!("no cluster '{wanted}'"))),
            None => clusters
                .into_iter()
                .next()
                .ok_or_else(|| invalid("cluster", "no cluster is registered yet")),
        }
    }

    /// The requested storage (checked for room), or the fitting one with most room.
    fn storage(
        &self,
        draft: &Draft,
        storages: &[Storage],
        node: &str,
        content: &str,
        errors: &mut FieldErrors,
    ) -> String {
        let needed = draft.disk_gib * GIB;
        let candidates = storages
            .iter()
            .filter(|s| s.observed.node == node && offers(s, content));
        let chosen = match &draft.storage {
            Some(wanted) => candidates
                .filter(|s| &s.observed.storage == wanted)
                .max_by_key(|s| s.observed.avail),
            None => candidates.max_by_key(|s| s.observed.avail),
        };
        match chosen {
            Some(storage) if storage.observed.avail < needed => {
                let free = storage.observed.avail / GIB;
                errors.insert(
                    "disk".into(),
                    format!(
                        "storage '{}' has only {free} GiB free",
                        storage.observed.storage
                    ),
                );
                storage.observed.storage.clone()
            }
            Some(storage) => storage.observed.storage.clone(),
            None => {
                errors.insert(
                    "storage".into(),
                    format!("no storage for {content} on node '{node}'"),
                );
                String::new()
            }
        }
    }

    /// A generated name no live guest of the cluster has.
    async fn fresh_name(&self, cluster_id: Uuid) -> DomainResult<String> {
        let mut last = String::new();
        for _ in 0..8 {
            last = generate_name(&mut rand::rng(), |_| false);
            if guest_named(self.store, cluster_id, &last, None)
                .await?
                .is_none()
            {
                break;
            }
        }
        Ok(last)
    }
}

fn unreachable_cluster(error: PveError) -> DomainError {
    DomainError::conflict(
        "cluster_unavailable",
        format!("cannot check the request against Proxmox VE: {error}"),
    )
}

async fn check_volume(
    pve: &dyn Pve,
    node: &NodeName,
    field: &str,
    volid: &str,
    content: &str,
) -> DomainResult<()> {
    let filter = ContentFilter {
        content: Some(content.to_owned()),
        vmid: None,
    };
    let volumes = match pve
        .storage_content(node, volid_storage(volid), &filter)
        .await
    {
        Ok(volumes) => volumes,
        Err(PveError::NotFound { message } | PveError::ParameterVerification { message, .. }) => {
            return Err(invalid(
                field,
                format!("cannot list storage '{}': {message}", volid_storage(volid)),
            ));
        }
        Err(error) => return Err(unreachable_cluster(error)),
    };
    if volumes.iter().any(|v| v.volid == volid) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("'{volid}' does not exist on node '{node}'"),
        ))
    }
}

async fn check_bridge(pve: &dyn Pve, node: &NodeName, bridge: &str) -> DomainResult<()> {
    let interfaces = pve
        .network_interfaces(node, Some("any_bridge"))
        .await
        .map_err(unreachable_cluster)?;
    if interfaces.iter().any(|i| i.iface == bridge) {
        Ok(())
    } else {
        Err(invalid(
            "network.bridge",
            format!("no bridge '{bridge}' on node '{node}'"),
        ))
    }
}
