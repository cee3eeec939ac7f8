//! `ImagesService`: the list (every signed-in user: it is what the launch wizard
//! offers), the appliance catalogue and downloads (admins: they fill shared storage).

use std::sync::Arc;

use proxicloud_pve::{Appliance, NodeName};
use proxicloud_store::{JobActor, JobStep, NewJob, Store, Uuid};

use super::download_job::{DOWNLOAD_KIND, DownloadParams, steps};
use crate::clusters::PveConnector;
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::jobs::{JobQueue, Submitted};
use crate::launch::{ClusterOptions, LaunchOptionsService};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    LxcTemplate,
    Iso,
    VmTemplate,
}

/// One thing to launch from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// What the API names it by: the volume (`local:iso/x.iso`, always with a `:`) or
    /// a VM template's vmid (digits only).
    pub id: String,
    pub kind: ImageKind,
    /// File name (templates, ISOs) or VM name.
    pub name: String,
    /// `local:vztmpl/…`, `local:iso/…`; `None` for VM templates.
    pub volid: Option<String>,
    /// VM templates: their vmid.
    pub vmid: Option<u32>,
    /// The storage holding it (VM templates: none, their disks may be on several).
    pub storage: Option<String>,
    /// Nodes that have it, sorted.
    pub nodes: Vec<String>,
    /// Bytes (VM templates: the root disk's size).
    pub size: u64,
    /// The distribution, read from the file name (`debian-12-standard_…` → `debian 12`).
    pub os: Option<String>,
}

/// A cluster's images and where new ones can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageList {
    pub cluster_id: Uuid,
    pub images: Vec<Image>,
    pub storages: Vec<ImageStorage>,
}

/// A storage of an online node that holds container templates or ISOs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStorage {
    pub node: String,
    pub storage: String,
    pub templates: bool,
    pub isos: bool,
}

/// `POST /images/download`: a template of the catalogue onto one node's storage.
#[derive(Debug, Clone, Default)]
pub struct DownloadImage {
    pub cluster_id: Option<Uuid>,
    pub node: String,
    pub storage: String,
    /// The catalogue's file name, e.g. `debian-12-standard_12.7-1_amd64.tar.zst`.
    pub template: String,
}

pub struct ImagesService {
    pub(super) store: Arc<dyn Store>,
    pub(super) connector: Arc<dyn PveConnector>,
    pub(super) queue: JobQueue,
    pub(super) launch: Arc<LaunchOptionsService>,
}

impl ImagesService {
    pub fn new(
        store: Arc<dyn Store>,
        connector: Arc<dyn PveConnector>,
        queue: JobQueue,
        launch: Arc<LaunchOptionsService>,
    ) -> Self {
        Self {
            store,
            connector,
            queue,
            launch,
        }
    }

    /// Everything `cluster_id` (default: the first cluster) can launch from: its
    /// templates and ISOs by name, then its VM templates by name; and the storages of
    /// its online nodes images can be put on.
    pub async fn list(
        &self,
        caller: &Principal,
        cluster_id: Option<Uuid>,
    ) -> DomainResult<ImageList> {
        let options = self.launch.cluster(caller, cluster_id).await?;
        let storages = options
            .nodes
            .iter()
            .filter(|n| n.online && n.problem.is_none())
            .flat_map(|n| {
                n.image_storages.iter().map(|s| ImageStorage {
                    node: n.name.clone(),
                    storage: s.storage.clone(),
                    templates: s.templates,
                    isos: s.isos,
                })
            })
            .collect();
        Ok(ImageList {
            cluster_id: options.cluster_id,
            images: images_of(&options.for_caller(caller)),
            storages,
        })
    }

    /// The appliance catalogue as `node` (default: the first online node) has it.
    pub async fn catalog(
        &self,
        caller: &Principal,
        cluster_id: Option<Uuid>,
    ) -> DomainResult<Vec<Appliance>> {
        caller.require_admin()?;
        let options = self.launch.cluster(caller, cluster_id).await?;
        let node = options
            .nodes
            .iter()
            .find(|n| n.online && n.problem.is_none())
            .ok_or_else(|| unavailable("no node of the cluster is online"))?;
        let node =
            NodeName::new(node.name.clone()).map_err(|e| DomainError::Internal(e.to_string()))?;
        let pve = self.connector.pve(options.cluster_id).await?;
        let mut appliances = pve
            .appliances(&node)
            .await
            .map_err(|e| unavailable(&format!("cannot read the appliance catalogue: {e}")))?;
        appliances.sort_by(|a, b| a.template.cmp(&b.template));
        Ok(appliances)
    }

    /// Queues `image.download` once the node, the storage (it must hold container
    /// templates) and the template (it must be in the catalogue) are checked.
    pub async fn download(
        &self,
        caller: &Principal,
        request: DownloadImage,
    ) -> DomainResult<Submitted> {
        caller.require_admin()?;
        let options = self.launch.cluster(caller, request.cluster_id).await?;
        let (node, node_name) = online_node(&options, &request.node)?;
        let pve = self.connector.pve(options.cluster_id).await?;
        let storages = pve
            .storages(
                &node_name,
                &proxicloud_pve::StorageFilter {
                    content: Some("vztmpl".into()),
                    enabled: true,
                },
            )
            .await
            .map_err(|e| {
                unavailable(&format!("cannot list the storages of '{}': {e}", node.name))
            })?;
        if !storages.iter().any(|s| s.storage == request.storage) {
            return Err(DomainError::invalid(
                "storage",
                format!(
                    "'{}' on '{}' does not hold container templates",
                    request.storage, node.name
                ),
            ));
        }
        let catalogue = pve
            .appliances(&node_name)
            .await
            .map_err(|e| unavailable(&format!("cannot read the appliance catalogue: {e}")))?;
        if !catalogue.iter().any(|a| a.template == request.template) {
            return Err(DomainError::invalid(
                "template",
                format!("'{}' is not in the appliance catalogue", request.template),
            ));
        }
        let params = DownloadParams {
            cluster_id: options.cluster_id,
            node: node.name.clone(),
            storage: request.storage.clone(),
            template: request.template.clone(),
        };
        self.queue
            .submit(download_job(caller.user_id, &params))
            .await
    }
}

/// The `image.download` job for `params`, acting for `user`.
pub(super) fn download_job(user: Uuid, params: &DownloadParams) -> NewJob {
    NewJob {
        kind: DOWNLOAD_KIND.to_owned(),
        actor: JobActor::User(user),
        resource_kind: Some("image".to_owned()),
        resource_id: Some(format!("{}:vztmpl/{}", params.storage, params.template)),
        params: serde_json::to_value(params).expect("download params serialise"),
        steps: steps::ALL.iter().map(|s| JobStep::pending(*s)).collect(),
        idempotency_key: None,
        run_after: None,
        parent: None,
    }
}

/// The cluster's node `name`, which must be online (else a 422 on `node`).
pub(super) fn online_node<'a>(
    options: &'a ClusterOptions,
    name: &str,
) -> DomainResult<(&'a crate::launch::NodeOption, NodeName)> {
    let node = options
        .nodes
        .iter()
        .find(|n| n.name == name)
        .ok_or_else(|| DomainError::invalid("node", format!("no node '{name}' in the cluster")))?;
    if !node.online {
        return Err(DomainError::invalid(
            "node",
            format!("node '{}' is offline", node.name),
        ));
    }
    let node_name =
        NodeName::new(node.name.clone()).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok((node, node_name))
}

pub(super) fn unavailable(message: &str) -> DomainError {
    DomainError::Unavailable {
        code: "cluster_unavailable",
        message: message.to_owned(),
    }
}

pub(super) fn images_of(options: &ClusterOptions) -> Vec<Image> {
    let volume = |kind: ImageKind, v: &crate::launch::VolumeOption| Image {
        id: v.volid.clone(),
        kind,
        name: v.name.clone(),
        volid: Some(v.volid.clone()),
        vmid: None,
        storage: v
            .volid
            .split_once(':')
            .map(|(storage, _)| storage.to_owned()),
        nodes: v.nodes.clone(),
        size: v.size,
        os: os_of(&v.name),
    };
    let mut images: Vec<Image> = options
        .lxc_templates
        .iter()
        .map(|v| volume(ImageKind::LxcTemplate, v))
        .chain(options.isos.iter().map(|v| volume(ImageKind::Iso, v)))
        .collect();
    images.extend(options.vm_templates.iter().map(|t| Image {
        id: t.vmid.to_string(),
        kind: ImageKind::VmTemplate,
        name: t.name.clone(),
        volid: None,
        vmid: Some(t.vmid),
        storage: None,
        nodes: vec![t.node.clone()],
        size: t.disk,
        os: os_of(&t.name),
    }));
    images
}

/// `debian-12-standard_12.7-1_amd64.tar.zst` → `debian 12`; `ubuntu-24.04-…` →
/// `ubuntu 24.04`; `alpine-3.20-default_…` → `alpine 3.20`. `None` when the name does
/// not start with a distribution and a version.
pub(super) fn os_of(name: &str) -> Option<String> {
    let mut parts = name.split(['-', '_']);
    let distro = parts
        .next()
        .filter(|d| d.chars().all(|c| c.is_ascii_alphabetic()) && !d.is_empty())?;
    let version = parts
        .next()
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))?;
    Some(format!("{} {}", distro.to_ascii_lowercase(), version))
}

#[cfg(test)]
mod tests {
    use super::os_of;

    #[test]
    fn the_os_is_read_from_the_file_name() {
        assert_eq!(
            os_of("debian-12-standard_12.7-1_amd64.tar.zst").as_deref(),
            Some("debian 12")
        );
        assert_eq!(
            os_of("ubuntu-24.04-standard_24.04-2_amd64.tar.zst").as_deref(),
            Some("ubuntu 24.04")
        );
        assert_eq!(
            os_of("alpine-3.20-default_20240908_amd64.tar.xz").as_deref(),
            Some("alpine 3.20")
        );
        assert_eq!(
            os_of("debian-12.8.0-amd64-netinst.iso").as_deref(),
            Some("debian 12.8.0")
        );
        assert_eq!(os_of("cloud-template"), None);
        assert_eq!(os_of("my.iso"), None);
    }
}
