//! `/api/v1/settings`: global settings. Every signed-in user reads them (the console
//! shows defaults in forms); only admins write them, and every write is audited.

use axum::Json;
use proxicloud_domain::settings::SettingsService;
use proxicloud_domain::settings::{
    DhcpRange, NetworkSettings, ResourceDefaults, Settings, SystemSettings,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorResponse};
use crate::extract::ApiJson;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

/// All settings. `PUT` takes the whole document (as `GET` returns it).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsDto {
    pub network: NetworkSettingsDto,
    pub resources: ResourceDefaultsDto,
    pub system: SystemSettingsDto,
}

/// The network the appliance serves to instances.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSettingsDto {
    /// IPv4 network in CIDR notation, e.g. `10.77.0.0/24`.
    #[schema(example = "10.77.0.0/24")]
    pub appliance_subnet: String,
    pub dhcp_range: DhcpRangeDto,
    /// Instances are reachable as `<name>.<dns_domain>`.
    #[schema(example = "prox.local")]
    pub dns_domain: String,
}

/// First and last address DHCP hands out, both inside the appliance subnet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DhcpRangeDto {
    #[schema(example = "10.77.0.100")]
    pub start: String,
    #[schema(example = "10.77.0.250")]
    pub end: String,
}

/// What a new instance gets when its request does not say.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceDefaultsDto {
    pub cores: u32,
    pub memory_mib: u64,
    pub disk_gib: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemSettingsDto {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub log_level: String,
    /// Seconds between two inventory polls of each cluster.
    pub poll_interval_secs: u64,
    /// Days of metrics history kept.
    pub metrics_retention_days: u32,
}

impl From<Settings> for SettingsDto {
    fn from(s: Settings) -> Self {
        Self {
            network: NetworkSettingsDto {
                appliance_subnet: s.network.appliance_subnet,
                dhcp_range: DhcpRangeDto {
                    start: s.network.dhcp_range.start,
                    end: s.network.dhcp_range.end,
                },
                dns_domain: s.network.dns_domain,
            },
            resources: ResourceDefaultsDto {
                cores: s.resources.cores,
                memory_mib: s.resources.memory_mib,
                disk_gib: s.resources.disk_gib,
            },
            system: SystemSettingsDto {
                log_level: s.system.log_level,
                poll_interval_secs: s.system.poll_interval_secs,
                metrics_retention_days: s.system.metrics_retention_days,
            },
        }
    }
}

impl From<SettingsDto> for Settings {
    fn from(s: SettingsDto) -> Self {
        Self {
            network: NetworkSettings {
                appliance_subnet: s.network.appliance_subnet,
                dhcp_range: DhcpRange {
                    start: s.network.dhcp_range.start,
                    end: s.network.dhcp_range.end,
                },
                dns_domain: s.network.dns_domain,
            },
            resources: ResourceDefaults {
                cores: s.resources.cores,
                memory_mib: s.resources.memory_mib,
                disk_gib: s.resources.disk_gib,
            },
            system: SystemSettings {
                log_level: s.system.log_level,
                poll_interval_secs: s.system.poll_interval_secs,
                metrics_retention_days: s.system.metrics_retention_days,
            },
        }
    }
}

/// Read the settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = SettingsDto), (status = 401, body = ErrorResponse)))]
async fn get_settings(
    _auth: Auth,
    Domain(settings): Domain<SettingsService>,
) -> ApiResult<Json<SettingsDto>> {
    Ok(Json(settings.get().await?.into()))
}

/// Replace the settings (admin). Invalid fields are listed in the 422 response.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = SettingsDto,
    responses((status = 200, body = SettingsDto), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
async fn update_settings(
    auth: Auth,
    Domain(settings): Domain<SettingsService>,
    ApiJson(request): ApiJson<SettingsDto>,
) -> ApiResult<Json<SettingsDto>> {
    Ok(Json(
        settings
            .update(&auth.principal, request.into())
            .await?
            .into(),
    ))
}
