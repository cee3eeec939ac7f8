//! Validation of a whole [`Settings`] document, one message per invalid field.

use std::net::Ipv4Addr;

use super::Settings;
use crate::error::{DomainError, DomainResult, FieldErrors};

/// The levels the Settings page offers (the configuration file may hold a whole
/// tracing filter instead, which the setting does not express).
pub const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
/// Limits that keep obviously wrong numbers out (a typo of three zeros), not
/// Proxmox's own limits, which depend on the node.
const MAX_CORES: u32 = 512;
const MIN_MEMORY_MIB: u64 = 16;
const MAX_MEMORY_MIB: u64 = 16 * 1024 * 1024;
const MAX_DISK_GIB: u64 = 128 * 1024;
const MIN_POLL_SECS: u64 = 1;
const MAX_POLL_SECS: u64 = 3600;
const MAX_RETENTION_DAYS: u32 = 3650;
/// The subnet must leave room for the appliance, a DHCP pool and a broadcast address.
const MAX_PREFIX: u8 = 30;
const MIN_PREFIX: u8 = 8;

/// An IPv4 network: base address (host bits zero) and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ipv4Cidr {
    base: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    pub(super) fn parse(text: &str) -> Result<Self, String> {
        let shape = "must be an IPv4 network such as 10.77.0.0/24";
        let (address, prefix) = text.split_once('/').ok_or(shape)?;
        let address: Ipv4Addr = address.parse().map_err(|_| shape)?;
        let prefix: u8 = prefix.parse().map_err(|_| shape)?;
        if !(MIN_PREFIX..=MAX_PREFIX).contains(&prefix) {
            return Err(format!(
                "prefix length must be between /{MIN_PREFIX} and /{MAX_PREFIX}"
            ));
        }
        let mask = u32::MAX << (32 - prefix);
        let bits = u32::from(address);
        if bits & !mask != 0 {
            return Err(format!(
                "host bits are set; did you mean {}/{prefix}?",
                Ipv4Addr::from(bits & mask)
            ));
        }
        Ok(Self { base: bits, prefix })
    }

    fn broadcast(self) -> u32 {
        self.base | !(u32::MAX << (32 - self.prefix))
    }

    /// Inside the network and usable by a host (neither the network nor the
    /// broadcast address).
    fn holds_host(self, address: Ipv4Addr) -> bool {
        let bits = u32::from(address);
        bits > self.base && bits < self.broadcast()
    }
}

pub(super) fn validate(settings: Settings) -> DomainResult<Settings> {
    let mut errors = FieldErrors::new();
    let mut fail = |field: &str, message: String| {
        errors.insert(field.to_owned(), message);
    };
    let mut settings = settings;

    let network = &mut settings.network;
    network.appliance_subnet = network.appliance_subnet.trim().to_owned();
    network.dhcp_range.start = network.dhcp_range.start.trim().to_owned();
    network.dhcp_range.end = network.dhcp_range.end.trim().to_owned();
    network.dns_domain = network
        .dns_domain
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let subnet = Ipv4Cidr::parse(&network.appliance_subnet)
        .map_err(|e| fail("network.appliance_subnet", e))
        .ok();
    let start = parse_host(&network.dhcp_range.start, subnet)
        .map_err(|e| fail("network.dhcp_range.start", e))
        .ok();
    let end = parse_host(&network.dhcp_range.end, subnet)
        .map_err(|e| fail("network.dhcp_range.end", e))
        .ok();
    if let (Some(start), Some(end)) = (start, end)
        && u32::from(start) > u32::from(end)
    {
        fail(
            "network.dhcp_range.end",
            "must not come before the start of the range".to_owned(),
        );
    }
    if let Err(e) = check_domain(&network.dns_domain) {
        fail("network.dns_domain", e);
    }

    let resources = &settings.resources;
    if !(1..=MAX_CORES).contains(&resources.cores) {
        fail(
            "resources.cores",
            format!("must be between 1 and {MAX_CORES}"),
        );
    }
    if !(MIN_MEMORY_MIB..=MAX_MEMORY_MIB).contains(&resources.memory_mib) {
        fail(
            "resources.memory_mib",
            format!("must be between {MIN_MEMORY_MIB} and {MAX_MEMORY_MIB} MiB"),
        );
    }
    if !(1..=MAX_DISK_GIB).contains(&resources.disk_gib) {
        fail(
            "resources.disk_gib",
            format!("must be between 1 and {MAX_DISK_GIB} GiB"),
        );
    }

    let system = &mut settings.system;
    system.log_level = system.log_level.trim().to_ascii_lowercase();
    if !LOG_LEVELS.contains(&system.log_level.as_str()) {
        fail(
            "system.log_level",
            format!("must be one of {}", LOG_LEVELS.join(", ")),
        );
    }
    if !(MIN_POLL_SECS..=MAX_POLL_SECS).contains(&system.poll_interval_secs) {
        fail(
            "system.poll_interval_secs",
            format!("must be between {MIN_POLL_SECS} and {MAX_POLL_SECS} seconds"),
        );
    }
    if !(1..=MAX_RETENTION_DAYS).contains(&system.metrics_retention_days) {
        fail(
            "system.metrics_retention_days",
            format!("must be between 1 and {MAX_RETENTION_DAYS} days"),
        );
    }

    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// An IPv4 host address inside `subnet` (when the subnet itself is valid).
fn parse_host(text: &str, subnet: Option<Ipv4Cidr>) -> Result<Ipv4Addr, String> {
    let address: Ipv4Addr = text
        .parse()
        .map_err(|_| "must be an IPv4 address".to_owned())?;
    match subnet {
        Some(subnet) if !subnet.holds_host(address) => Err(
            "must be a host address inside the appliance subnet (not its network or broadcast address)"
                .to_owned(),
        ),
        _ => Ok(address),
    }
}

/// A DNS domain as RFC 1123 host names allow: dot-separated labels of letters,
/// digits and inner hyphens, 1–63 characters each, 253 in all.
fn check_domain(domain: &str) -> Result<(), String> {
    let shape = "must be a DNS domain such as prox.local (letters, digits and hyphens, labels separated by dots)";
    if domain.is_empty() || domain.len() > 253 {
        return Err(shape.to_owned());
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if domain.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(shape.to_owned())
    }
}
