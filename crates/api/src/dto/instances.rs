//! Instances: mirrored guests, the summary and the live configuration →
//! [`proxicloud_types::api::instances`], and the list and create requests → the
//! domain's queries.

use proxicloud_domain::FieldErrors;
use proxicloud_domain::instances::{ConfigEntry, CreateInstance, InstanceConfig, NetworkRequest};
use proxicloud_domain::inventory::{
    ClusterUsage, Freshness, InstanceListQuery, InstanceSummary, OwnerSelector, tag_list,
};
use proxicloud_store::{Cursor, Guest, GuestSort};
use proxicloud_types::GuestType;
use proxicloud_types::api::common::DEFAULT_PAGE_LIMIT;
use proxicloud_types::api::instances::{
    ClusterUsageDto, ConfigEntryDto, CreateInstanceRequest, InstanceConfigDto, InstanceDto,
    InstanceListParams, InstanceSort, InstanceSummaryDto, InstanceType,
};

use proxicloud_domain::volumes::launch::LaunchVolume;

use super::IntoDto;
use crate::error::ApiError;

/// How the API shows a mirrored guest.
pub fn instance_dto(guest: &Guest, freshness: Freshness) -> InstanceDto {
    let observed = &guest.observed;
    InstanceDto {
        id: guest.id,
        cluster_id: guest.cluster_id,
        vmid: observed.vmid.get(),
        node: observed.node.clone(),
        kind: observed.kind.into(),
        name: observed.name.clone(),
        status: observed.status.clone(),
        cpus: observed.cpus,
        memory_bytes: observed.maxmem,
        memory_used_bytes: observed.mem,
        disk_bytes: observed.maxdisk,
        disk_used_bytes: observed.disk,
        uptime_secs: observed.uptime,
        template: observed.template,
        lock: observed.lock.clone(),
        tags: tag_list(observed.tags.as_deref())
            .map(str::to_owned)
            .collect(),
        owner_id: guest.owner_id,
        managed: guest.managed,
        created_at: guest.created_at,
        seen_at: guest.seen_at,
        addresses: guest.addresses.clone().unwrap_or_default(),
        addresses_known: guest.addresses.is_some(),
        cpu_usage: observed.activity.cpu,
        net_in_bytes_per_sec: observed.activity.rates.netin,
        net_out_bytes_per_sec: observed.activity.rates.netout,
        disk_read_bytes_per_sec: observed.activity.rates.diskread,
        disk_write_bytes_per_sec: observed.activity.rates.diskwrite,
        stale_since: freshness.stale_since(),
    }
}

/// `GET /api/v1/instances` query as the domain's; `422` for an unreadable `owner`.
pub fn list_query(params: InstanceListParams) -> Result<InstanceListQuery, ApiError> {
    let owner = match params.owner.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("none") => Some(OwnerSelector::Unowned),
        Some(text) => Some(OwnerSelector::User(text.parse().map_err(|_| {
            ApiError::validation(FieldErrors::from([(
                "owner".to_owned(),
                "must be a user id or `none`".to_owned(),
            )]))
        })?)),
    };
    let (sort, descending) = sort_key(params.sort.unwrap_or(InstanceSort::Name));
    Ok(InstanceListQuery {
        status: params.status.filter(|s| !s.is_empty()),
        kind: params.kind.map(GuestType::from),
        cluster_id: params.cluster,
        node: params.node.filter(|n| !n.is_empty()),
        owner,
        name_contains: params.q,
        tag: params.tag,
        sort,
        descending,
        cursor: params.cursor.map(Cursor::new),
        limit: params.limit.unwrap_or(DEFAULT_PAGE_LIMIT),
    })
}

/// A `?sort=` as the store's sort key and whether it descends.
fn sort_key(sort: InstanceSort) -> (GuestSort, bool) {
    use InstanceSort as S;
    match sort {
        S::Name => (GuestSort::Name, false),
        S::NameDesc => (GuestSort::Name, true),
        S::Created => (GuestSort::Created, false),
        S::CreatedDesc => (GuestSort::Created, true),
        S::Status => (GuestSort::Status, false),
        S::StatusDesc => (GuestSort::Status, true),
        S::Node => (GuestSort::Node, false),
        S::NodeDesc => (GuestSort::Node, true),
        S::VmId => (GuestSort::VmId, false),
        S::VmIdDesc => (GuestSort::VmId, true),
        S::Cpu => (GuestSort::Cpu, false),
        S::CpuDesc => (GuestSort::Cpu, true),
    }
}

/// A create request as the domain's.
pub fn create_request(request: CreateInstanceRequest) -> CreateInstance {
    CreateInstance {
        kind: request.kind.map(|kind| match kind {
            InstanceType::Lxc => "lxc".to_owned(),
            InstanceType::Vm => "vm".to_owned(),
        }),
        name: request.name,
        cluster: request.cluster,
        node: request.node,
        template: request.template,
        iso: request.iso,
        clone_from: request.clone_from,
        cores: request.cores,
        memory: request.memory,
        disk: request.disk,
        storage: request.storage,
        network: NetworkRequest {
            bridge: request.network.bridge,
            vlan: request.network.vlan,
        },
        ssh_public_keys: request.ssh_public_keys,
        key_pair_ids: request.key_pair_ids,
        generate_root_password: request.generate_root_password,
        start: request.start,
        volumes: request
            .volumes
            .into_iter()
            .map(|v| LaunchVolume {
                volume_id: v.volume_id,
                name: v.name,
                size_gib: v.size_gib,
                class: v.class,
                storage: v.storage,
                mount_path: v.mount_path,
                bus: v.bus,
            })
            .collect(),
        secret_ids: Vec::new(),
    }
}

impl IntoDto for InstanceSummary {
    type Dto = InstanceSummaryDto;
    fn into_dto(self) -> InstanceSummaryDto {
        InstanceSummaryDto {
            total: self.total,
            by_status: self.by_status,
            templates: self.templates,
            clusters: self.clusters.into_dto(),
            stale_since: self.freshness.stale_since(),
        }
    }
}

impl IntoDto for ClusterUsage {
    type Dto = ClusterUsageDto;
    fn into_dto(self) -> ClusterUsageDto {
        ClusterUsageDto {
            cluster_id: self.cluster_id,
            cluster_name: self.cluster_name,
            stale_since: self.freshness.stale_since(),
            instances: self.instances,
            running: self.running,
            cpus: self.cpus,
            memory_bytes: self.memory_bytes,
            memory_used_bytes: self.memory_used_bytes,
            disk_bytes: self.disk_bytes,
        }
    }
}

impl IntoDto for InstanceConfig {
    type Dto = InstanceConfigDto;
    fn into_dto(self) -> InstanceConfigDto {
        InstanceConfigDto {
            entries: self.entries.into_dto(),
            addresses: self.addresses.unwrap_or_default(),
        }
    }
}

impl IntoDto for ConfigEntry {
    type Dto = ConfigEntryDto;
    fn into_dto(self) -> ConfigEntryDto {
        ConfigEntryDto {
            key: self.key,
            value: self.value,
            masked: self.masked,
            pending: self.pending,
            pending_delete: self.pending_delete,
        }
    }
}
