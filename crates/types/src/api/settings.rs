//! `/api/v1/settings`: global settings. Every signed-in user reads them; only admins
//! write them. `PUT` takes the whole document as `GET` returns it.

use serde::{Deserialize, Serialize};

/// All settings. `PUT` takes the whole document (as `GET` returns it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettingsDto {
    pub network: NetworkSettingsDto,
    pub resources: ResourceDefaultsDto,
    pub system: SystemSettingsDto,
}

/// The network the appliance serves to instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NetworkSettingsDto {
    /// IPv4 network in CIDR notation, e.g. `10.77.0.0/24`.
    #[cfg_attr(feature = "openapi", schema(example = "10.77.0.0/24"))]
    pub appliance_subnet: String,
    pub dhcp_range: DhcpRangeDto,
    /// Instances are reachable as `<name>.<dns_domain>`.
    #[cfg_attr(feature = "openapi", schema(example = "prox.local"))]
    pub dns_domain: String,
}

/// First and last address DHCP hands out, both inside the appliance subnet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DhcpRangeDto {
    #[cfg_attr(feature = "openapi", schema(example = "10.77.0.100"))]
    pub start: String,
    #[cfg_attr(feature = "openapi", schema(example = "10.77.0.250"))]
    pub end: String,
}

/// What a new instance gets when its request does not say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResourceDefaultsDto {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SystemSettingsDto {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub log_level: String,
    /// Seconds between two inventory polls of each cluster.
    pub poll_interval_secs: u64,
    /// Days of metrics history kept.
    pub metrics_retention_days: u32,
}
