//! `GET /api/v1/launch-options`: what the launch wizard can offer for a cluster —
//! nodes with their bridges and disk storages, container templates, ISOs, VM
//! templates, size presets and the defaults of Settings → Resources.
//!
//! Asked live of Proxmox VE and cached per cluster for 30 s; `503
//! cluster_unavailable` when Proxmox cannot be reached. Only callers who may create
//! instances (operators, admins) may ask.

use axum::Json;
use proxicloud_domain::launch::LaunchOptionsService;
use proxicloud_domain::launch::{
    LaunchDefaults, LaunchOptions, NodeOption, SizePreset, StorageOption, VmTemplateOption,
    VolumeOption,
};
use proxicloud_store::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::ApiQuery;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_launch_options))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LaunchOptionsQuery {
    /// The cluster (default: the first registered cluster by name).
    pub cluster_id: Option<Uuid>,
}

/// Everything the launch wizard offers for one cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchOptionsDto {
    /// Every registered cluster, by name (ask again with `cluster_id` for another).
    pub clusters: Vec<LaunchClusterDto>,
    pub cluster_id: Uuid,
    pub cluster_name: String,
    /// By name, offline nodes included (flagged).
    pub nodes: Vec<LaunchNodeDto>,
    /// Container templates (`vztmpl` volumes) for `template`.
    pub lxc_templates: Vec<LaunchVolumeDto>,
    /// Installer ISOs for `iso`.
    pub isos: Vec<LaunchVolumeDto>,
    /// VM templates for `clone_from`.
    pub vm_templates: Vec<LaunchVmTemplateDto>,
    /// Instance sizes, smallest first.
    pub presets: Vec<SizePresetDto>,
    /// What a request gets for a value it leaves out.
    pub defaults: LaunchDefaultsDto,
    /// When Proxmox VE was asked (answers are reused for up to 30 s).
    #[schema(value_type = String, format = DateTime)]
    pub fetched_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchClusterDto {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchNodeDto {
    pub name: String,
    pub online: bool,
    pub cores: u32,
    pub memory_total_bytes: u64,
    pub memory_free_bytes: u64,
    /// Bridges for `network.bridge`.
    pub bridges: Vec<String>,
    /// Enabled, active storages that can hold a root disk.
    pub storages: Vec<LaunchStorageDto>,
    /// Why this node's storages or bridges could not be listed.
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchStorageDto {
    pub storage: String,
    /// Proxmox's storage type: `dir`, `lvmthin`, `zfspool`, `nfs`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub shared: bool,
    /// Holds container root disks (`rootdir`).
    pub for_containers: bool,
    /// Holds VM disks (`images`).
    pub for_vms: bool,
    pub avail_bytes: u64,
    pub total_bytes: u64,
}

/// A container template or ISO volume.
#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchVolumeDto {
    /// e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    pub volid: String,
    /// The file name.
    pub name: String,
    pub size_bytes: u64,
    /// Nodes that have it.
    pub nodes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchVmTemplateDto {
    pub vmid: u32,
    pub name: String,
    pub node: String,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
}

/// An instance size, like a cloud's instance type.
#[derive(Debug, Serialize, ToSchema)]
pub struct SizePresetDto {
    /// `nano`, `small`, `medium`, `large`.
    pub name: String,
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaunchDefaultsDto {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
    pub bridge: String,
}

impl From<LaunchOptions> for LaunchOptionsDto {
    fn from(options: LaunchOptions) -> Self {
        let cluster = options.cluster;
        let convert = |list: Vec<VolumeOption>| list.into_iter().map(Into::into).collect();
        Self {
            clusters: options
                .clusters
                .into_iter()
                .map(|c| LaunchClusterDto {
                    id: c.id,
                    name: c.name,
                })
                .collect(),
            cluster_id: cluster.cluster_id,
            cluster_name: cluster.cluster_name,
            nodes: cluster.nodes.into_iter().map(Into::into).collect(),
            lxc_templates: convert(cluster.lxc_templates),
            isos: convert(cluster.isos),
            vm_templates: cluster.vm_templates.into_iter().map(Into::into).collect(),
            presets: options.presets.into_iter().map(Into::into).collect(),
            defaults: options.defaults.into(),
            fetched_at: cluster.fetched_at,
        }
    }
}

impl From<NodeOption> for LaunchNodeDto {
    fn from(node: NodeOption) -> Self {
        Self {
            name: node.name,
            online: node.online,
            cores: node.cores,
            memory_total_bytes: node.memory_total,
            memory_free_bytes: node.memory_free,
            bridges: node.bridges,
            storages: node.storages.into_iter().map(Into::into).collect(),
            problem: node.problem,
        }
    }
}

impl From<StorageOption> for LaunchStorageDto {
    fn from(storage: StorageOption) -> Self {
        Self {
            storage: storage.storage,
            kind: storage.kind,
            shared: storage.shared,
            for_containers: storage.containers,
            for_vms: storage.vms,
            avail_bytes: storage.avail,
            total_bytes: storage.total,
        }
    }
}

impl From<VolumeOption> for LaunchVolumeDto {
    fn from(volume: VolumeOption) -> Self {
        Self {
            volid: volume.volid,
            name: volume.name,
            size_bytes: volume.size,
            nodes: volume.nodes,
        }
    }
}

impl From<VmTemplateOption> for LaunchVmTemplateDto {
    fn from(template: VmTemplateOption) -> Self {
        Self {
            vmid: template.vmid,
            name: template.name,
            node: template.node,
            memory_bytes: template.memory,
            disk_bytes: template.disk,
        }
    }
}

impl From<SizePreset> for SizePresetDto {
    fn from(preset: SizePreset) -> Self {
        Self {
            name: preset.name,
            cores: preset.cores,
            memory_mib: preset.memory_mib,
            disk_gib: preset.disk_gib,
        }
    }
}

impl From<LaunchDefaults> for LaunchDefaultsDto {
    fn from(defaults: LaunchDefaults) -> Self {
        Self {
            cores: defaults.cores,
            memory_mib: defaults.memory_mib,
            disk_gib: defaults.disk_gib,
            bridge: defaults.bridge,
        }
    }
}

/// What the launch wizard can offer for a cluster.
#[utoipa::path(get, path = "/api/v1/launch-options", tag = "instances", params(LaunchOptionsQuery),
    responses((status = 200, body = LaunchOptionsDto), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 503, body = ErrorResponse)))]
async fn get_launch_options(
    auth: Auth,
    Domain(launch_options): Domain<LaunchOptionsService>,
    ApiQuery(query): ApiQuery<LaunchOptionsQuery>,
) -> ApiResult<Json<LaunchOptionsDto>> {
    let options = launch_options
        .options(&auth.principal, query.cluster_id)
        .await?;
    Ok(Json(options.into()))
}
