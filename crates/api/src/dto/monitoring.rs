//! The health map and the hosts view as the API sends them.

use proxicloud_domain::monitoring::{
    ClusterTile, GuestTile, Health, HealthMap, HostCluster, HostNode, HostStorage, Hosts, NodeTile,
};
use proxicloud_types::api::monitoring::{
    HealthClusterDto, HealthDto, HealthGuestDto, HealthMapDto, HealthNodeDto, HealthNodeLoadDto,
    HostClusterDto, HostNodeDto, HostStorageDto, HostsDto,
};

use super::IntoDto;

fn health(health: Health) -> HealthDto {
    match health {
        Health::Ok => HealthDto::Ok,
        Health::Stopped => HealthDto::Stopped,
        Health::Warning => HealthDto::Warning,
        Health::Critical => HealthDto::Critical,
    }
}

impl IntoDto for HealthMap {
    type Dto = HealthMapDto;
    fn into_dto(self) -> HealthMapDto {
        HealthMapDto {
            clusters: self.clusters.into_dto(),
            generated_at: self.generated_at,
        }
    }
}

impl IntoDto for ClusterTile {
    type Dto = HealthClusterDto;
    fn into_dto(self) -> HealthClusterDto {
        HealthClusterDto {
            id: self.id,
            name: self.name,
            stale_since: self.stale_since,
            health: health(self.health),
            nodes: self.nodes.into_dto(),
        }
    }
}

impl IntoDto for NodeTile {
    type Dto = HealthNodeDto;
    fn into_dto(self) -> HealthNodeDto {
        HealthNodeDto {
            name: self.name,
            status: self.status,
            load: self.load.map(|load| HealthNodeLoadDto {
                cpu_usage: load.cpu_usage,
                cpus: load.cpus,
                memory_bytes: load.memory_bytes,
                memory_used_bytes: load.memory_used_bytes,
            }),
            health: health(self.health),
            reason: self.reason,
            guests: self.guests.into_dto(),
        }
    }
}

impl IntoDto for GuestTile {
    type Dto = HealthGuestDto;
    fn into_dto(self) -> HealthGuestDto {
        HealthGuestDto {
            id: self.id,
            vmid: self.vmid,
            name: self.name,
            kind: self.kind.into(),
            status: self.status,
            cpus: self.cpus,
            memory_bytes: self.memory_bytes,
            cpu_usage: self.cpu_usage,
            memory_used_bytes: self.memory_used_bytes,
            health: health(self.health),
            reason: self.reason,
        }
    }
}

impl IntoDto for Hosts {
    type Dto = HostsDto;
    fn into_dto(self) -> HostsDto {
        HostsDto {
            clusters: self.clusters.into_dto(),
            generated_at: self.generated_at,
        }
    }
}

impl IntoDto for HostCluster {
    type Dto = HostClusterDto;
    fn into_dto(self) -> HostClusterDto {
        HostClusterDto {
            id: self.id,
            name: self.name,
            stale_since: self.stale_since,
            nodes: self.nodes.into_dto(),
        }
    }
}

impl IntoDto for HostNode {
    type Dto = HostNodeDto;
    fn into_dto(self) -> HostNodeDto {
        HostNodeDto {
            name: self.name,
            status: self.status,
            cpu_usage: self.cpu_usage,
            cpus: self.cpus,
            memory_bytes: self.memory_bytes,
            memory_used_bytes: self.memory_used_bytes,
            uptime_secs: self.uptime_secs,
            seen_at: self.seen_at,
            guests: self.guests,
            guests_running: self.guests_running,
            storages: self.storages.into_dto(),
        }
    }
}

impl IntoDto for HostStorage {
    type Dto = HostStorageDto;
    fn into_dto(self) -> HostStorageDto {
        HostStorageDto {
            name: self.name,
            storage_type: self.storage_type,
            shared: self.shared,
            status: self.status,
            used_bytes: self.used_bytes,
            total_bytes: self.total_bytes,
        }
    }
}
