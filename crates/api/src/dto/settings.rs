//! Settings: the domain's document ↔ [`proxicloud_types::api::settings`] (the one
//! resource whose `PUT` takes what its `GET` returns).

use proxicloud_domain::settings::{
    DhcpRange, NetworkSettings, ResourceDefaults, Settings, SystemSettings,
};
use proxicloud_types::api::settings::{
    DhcpRangeDto, NetworkSettingsDto, ResourceDefaultsDto, SettingsDto, SystemSettingsDto,
};

use super::IntoDto;

impl IntoDto for Settings {
    type Dto = SettingsDto;
    fn into_dto(self) -> SettingsDto {
        SettingsDto {
            network: NetworkSettingsDto {
                appliance_subnet: self.network.appliance_subnet,
                dhcp_range: DhcpRangeDto {
                    start: self.network.dhcp_range.start,
                    end: self.network.dhcp_range.end,
                },
                dns_domain: self.network.dns_domain,
            },
            resources: ResourceDefaultsDto {
                cores: self.resources.cores,
                memory_mib: self.resources.memory_mib,
                disk_gib: self.resources.disk_gib,
            },
            system: SystemSettingsDto {
                log_level: self.system.log_level,
                poll_interval_secs: self.system.poll_interval_secs,
                metrics_retention_days: self.system.metrics_retention_days,
            },
        }
    }
}

/// A `PUT` body as the domain's document.
pub fn settings(dto: SettingsDto) -> Settings {
    Settings {
        network: NetworkSettings {
            appliance_subnet: dto.network.appliance_subnet,
            dhcp_range: DhcpRange {
                start: dto.network.dhcp_range.start,
                end: dto.network.dhcp_range.end,
            },
            dns_domain: dto.network.dns_domain,
        },
        resources: ResourceDefaults {
            cores: dto.resources.cores,
            memory_mib: dto.resources.memory_mib,
            disk_gib: dto.resources.disk_gib,
        },
        system: SystemSettings {
            log_level: dto.system.log_level,
            poll_interval_secs: dto.system.poll_interval_secs,
            metrics_retention_days: dto.system.metrics_retention_days,
        },
    }
}
