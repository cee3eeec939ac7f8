//! Launch options: the domain's view → [`proxicloud_types::api::launch`].

use proxicloud_domain::launch::{
    LaunchDefaults, LaunchOptions, NodeOption, SizePreset, StorageOption, VmTemplateOption,
    VolumeOption,
};
use proxicloud_types::api::launch::{
    LaunchClusterDto, LaunchDefaultsDto, LaunchNodeDto, LaunchOptionsDto, LaunchStorageDto,
    LaunchVmTemplateDto, LaunchVolumeDto, SizePresetDto,
};

use super::IntoDto;

impl IntoDto for LaunchOptions {
    type Dto = LaunchOptionsDto;
    fn into_dto(self) -> LaunchOptionsDto {
        let cluster = self.cluster;
        LaunchOptionsDto {
            clusters: self
                .clusters
                .into_iter()
                .map(|c| LaunchClusterDto {
                    id: c.id,
                    name: c.name,
                })
                .collect(),
            cluster_id: cluster.cluster_id,
            cluster_name: cluster.cluster_name,
            nodes: cluster.nodes.into_dto(),
            lxc_templates: cluster.lxc_templates.into_dto(),
            isos: cluster.isos.into_dto(),
            vm_templates: cluster.vm_templates.into_dto(),
            presets: self.presets.into_dto(),
            defaults: self.defaults.into_dto(),
            fetched_at: cluster.fetched_at,
        }
    }
}

impl IntoDto for NodeOption {
    type Dto = LaunchNodeDto;
    fn into_dto(self) -> LaunchNodeDto {
        LaunchNodeDto {
            name: self.name,
            online: self.online,
            cores: self.cores,
            memory_total_bytes: self.memory_total,
            memory_free_bytes: self.memory_free,
            bridges: self.bridges,
            storages: self.storages.into_dto(),
            problem: self.problem,
        }
    }
}

impl IntoDto for StorageOption {
    type Dto = LaunchStorageDto;
    fn into_dto(self) -> LaunchStorageDto {
        LaunchStorageDto {
            storage: self.storage,
            kind: self.kind,
            shared: self.shared,
            for_containers: self.containers,
            for_vms: self.vms,
            avail_bytes: self.avail,
            total_bytes: self.total,
        }
    }
}

impl IntoDto for VolumeOption {
    type Dto = LaunchVolumeDto;
    fn into_dto(self) -> LaunchVolumeDto {
        LaunchVolumeDto {
            volid: self.volid,
            name: self.name,
            size_bytes: self.size,
            nodes: self.nodes,
        }
    }
}

impl IntoDto for VmTemplateOption {
    type Dto = LaunchVmTemplateDto;
    fn into_dto(self) -> LaunchVmTemplateDto {
        LaunchVmTemplateDto {
            vmid: self.vmid,
            name: self.name,
            node: self.node,
            memory_bytes: self.memory,
            disk_bytes: self.disk,
        }
    }
}

impl IntoDto for SizePreset {
    type Dto = SizePresetDto;
    fn into_dto(self) -> SizePresetDto {
        SizePresetDto {
            name: self.name,
            cores: self.cores,
            memory_mib: self.memory_mib,
            disk_gib: self.disk_gib,
        }
    }
}

impl IntoDto for LaunchDefaults {
    type Dto = LaunchDefaultsDto;
    fn into_dto(self) -> LaunchDefaultsDto {
        LaunchDefaultsDto {
            cores: self.cores,
            memory_mib: self.memory_mib,
            disk_gib: self.disk_gib,
            bridge: self.bridge,
        }
    }
}
