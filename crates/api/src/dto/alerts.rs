//! Alerts: rules, alerts and silences → [`proxicloud_types::api::alerts`], and the
//! request enums → the words the domain stores.

use proxicloud_store::{Alert, AlertResource, AlertRule, AlertState, Silence};
use proxicloud_types::api::alerts::{
    AlertComparisonDto, AlertDto, AlertMetricDto, AlertResourceDto, AlertRuleDto, AlertScopeDto,
    AlertScopeKindDto, AlertSeverityDto, AlertStateDto, SilenceDto,
};

use super::IntoDto;

pub fn metric(metric: AlertMetricDto) -> &'static str {
    match metric {
        AlertMetricDto::CpuPercent => "cpu_percent",
        AlertMetricDto::MemoryPercent => "memory_percent",
        AlertMetricDto::DiskPercent => "disk_percent",
        AlertMetricDto::NetInBps => "net_in_bps",
        AlertMetricDto::NetOutBps => "net_out_bps",
    }
}

pub fn comparison(comparison: AlertComparisonDto) -> &'static str {
    match comparison {
        AlertComparisonDto::Gt => "gt",
        AlertComparisonDto::Ge => "ge",
        AlertComparisonDto::Lt => "lt",
        AlertComparisonDto::Le => "le",
    }
}

pub fn severity(severity: AlertSeverityDto) -> &'static str {
    match severity {
        AlertSeverityDto::Info => "info",
        AlertSeverityDto::Warning => "warning",
        AlertSeverityDto::Critical => "critical",
    }
}

pub fn severity_dto(text: &str) -> AlertSeverityDto {
    match text {
        "info" => AlertSeverityDto::Info,
        "critical" => AlertSeverityDto::Critical,
        _ => AlertSeverityDto::Warning,
    }
}

pub fn scope_kind(kind: AlertScopeKindDto) -> &'static str {
    match kind {
        AlertScopeKindDto::Instance => "instance",
        AlertScopeKindDto::Tag => "tag",
        AlertScopeKindDto::Node => "node",
        AlertScopeKindDto::Cluster => "cluster",
        AlertScopeKindDto::All => "all",
    }
}

fn scope_kind_dto(text: &str) -> AlertScopeKindDto {
    match text {
        "instance" => AlertScopeKindDto::Instance,
        "tag" => AlertScopeKindDto::Tag,
        "node" => AlertScopeKindDto::Node,
        "cluster" => AlertScopeKindDto::Cluster,
        _ => AlertScopeKindDto::All,
    }
}

pub fn state(state: AlertStateDto) -> AlertState {
    match state {
        AlertStateDto::Pending => AlertState::Pending,
        AlertStateDto::Firing => AlertState::Firing,
        AlertStateDto::Resolved => AlertState::Resolved,
    }
}

fn state_dto(state: AlertState) -> AlertStateDto {
    match state {
        AlertState::Pending => AlertStateDto::Pending,
        AlertState::Firing => AlertStateDto::Firing,
        AlertState::Resolved => AlertStateDto::Resolved,
    }
}

pub fn resource(resource: AlertResourceDto) -> AlertResource {
    AlertResource {
        kind: resource.kind,
        id: resource.id,
    }
}

fn resource_dto(resource: AlertResource) -> AlertResourceDto {
    AlertResourceDto {
        kind: resource.kind,
        id: resource.id,
    }
}

impl IntoDto for AlertRule {
    type Dto = AlertRuleDto;
    fn into_dto(self) -> AlertRuleDto {
        AlertRuleDto {
            id: self.id,
            owner_id: self.owner_id,
            builtin: self.builtin,
            name: self.name,
            metric: self.metric,
            comparison: self.comparison,
            threshold: self.threshold,
            for_seconds: self.for_seconds,
            scope: AlertScopeDto {
                kind: scope_kind_dto(&self.scope_kind),
                value: self.scope_value,
            },
            severity: severity_dto(&self.severity),
            enabled: self.enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl IntoDto for Alert {
    type Dto = AlertDto;
    fn into_dto(self) -> AlertDto {
        AlertDto {
            id: self.id,
            rule_id: self.rule_id,
            rule_name: self.rule_name,
            severity: severity_dto(&self.severity),
            resource: resource_dto(self.resource),
            resource_name: self.resource_name,
            owner_id: self.owner_id,
            state: state_dto(self.state),
            value: self.value,
            message: self.message,
            silenced: self.silenced,
            started_at: self.started_at,
            fired_at: self.fired_at,
            resolved_at: self.resolved_at,
            updated_at: self.updated_at,
        }
    }
}

impl IntoDto for Silence {
    type Dto = SilenceDto;
    fn into_dto(self) -> SilenceDto {
        SilenceDto {
            id: self.id,
            owner_id: self.owner_id,
            rule_id: self.rule_id,
            resource: self.resource.map(resource_dto),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            comment: self.comment,
            created_at: self.created_at,
        }
    }
}
