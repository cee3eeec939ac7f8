//! The three SDN object kinds and what PVE's plugins accept for each type.

use super::SdnConfig;
use super::Sections;
use crate::api::{ApiError, Req};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Zones,
    Vnets,
    Subnets,
}

impl Kind {
    pub fn of(req: &Req) -> Self {
        if req.template.contains("/subnets") {
            Kind::Subnets
        } else if req.template.starts_with("/cluster/sdn/vnets") {
            Kind::Vnets
        } else {
            Kind::Zones
        }
    }

    pub fn id_key(self) -> &'static str {
        match self {
            Kind::Zones => "zone",
            Kind::Vnets => "vnet",
            Kind::Subnets => "subnet",
        }
    }

    pub fn sections(self, config: &SdnConfig) -> &Sections {
        match self {
            Kind::Zones => &config.zones,
            Kind::Vnets => &config.vnets,
            Kind::Subnets => &config.subnets,
        }
    }

    pub fn sections_mut(self, config: &mut SdnConfig) -> &mut Sections {
        match self {
            Kind::Zones => &mut config.zones,
            Kind::Vnets => &mut config.vnets,
            Kind::Subnets => &mut config.subnets,
        }
    }

    /// `sdn_zones_config` & co. when the id is unknown.
    pub fn missing(self, id: &str) -> ApiError {
        ApiError::internal(match self {
            Kind::Zones => format!("sdn '{id}' does not exist"),
            Kind::Vnets => format!("sdn vnet '{id}' does not exist"),
            Kind::Subnets => format!("sdn subnet '{id}' does not exist"),
        })
    }

    pub fn object_name(self) -> &'static str {
        match self {
            Kind::Zones => "sdn zone object",
            Kind::Vnets => "sdn vnet object",
            Kind::Subnets => "sdn subnet object",
        }
    }

    /// The options a section of this type accepts: (name, required).
    pub fn options(self, section_type: &str) -> &'static [(&'static str, bool)] {
        const DNS: [(&str, bool); 4] = [
            ("dns", false),
            ("reversedns", false),
            ("dnszone", false),
            ("ipam", false),
        ];
        match (self, section_type) {
            (Kind::Vnets, _) => &[
                ("zone", true),
                ("tag", false),
                ("alias", false),
                ("vlanaware", false),
                ("isolate-ports", false),
            ],
            (Kind::Subnets, _) => &[
                ("vnet", true),
                ("gateway", false),
                ("snat", false),
                ("dnszoneprefix", false),
                ("dhcp-range", false),
                ("dhcp-dns-server", false),
            ],
            (Kind::Zones, "simple") => &[
                ("nodes", false),
                ("mtu", false),
                DNS[0],
                DNS[1],
                DNS[2],
                DNS[3],
                ("dhcp", false),
            ],
            (Kind::Zones, "vlan") => &[
                ("nodes", false),
                ("bridge", true),
                ("bridge-disable-mac-learning", false),
                ("mtu", false),
                DNS[0],
                DNS[1],
                DNS[2],
                DNS[3],
            ],
            (Kind::Zones, "qinq") => &[
                ("nodes", false),
                ("tag", true),
                ("bridge", true),
                ("bridge-disable-mac-learning", false),
                ("mtu", false),
                ("vlan-protocol", false),
                DNS[0],
                DNS[1],
                DNS[2],
                DNS[3],
            ],
            (Kind::Zones, "vxlan") => &[
                ("nodes", false),
                ("peers", false),
                ("vxlan-port", false),
                ("mtu", false),
                ("fabric", false),
                DNS[0],
                DNS[1],
                DNS[2],
                DNS[3],
            ],
            (Kind::Zones, "evpn") => &[
                ("nodes", false),
                ("vrf-vxlan", true),
                ("controller", true),
                ("exitnodes", false),
                ("exitnodes-local-routing", false),
                ("exitnodes-primary", false),
                ("advertise-subnets", false),
                ("disable-arp-nd-suppression", false),
                ("bridge-disable-mac-learning", false),
                ("rt-import", false),
                ("vxlan-port", false),
                ("mtu", false),
                ("mac", false),
                DNS[0],
                DNS[1],
                DNS[2],
                DNS[3],
            ],
            (Kind::Zones, "faucet") => &[
                ("nodes", false),
                ("dp-id", true),
                ("controller", true),
                DNS[0],
                DNS[1],
                DNS[2],
                DNS[3],
            ],
            _ => &[],
        }
    }
}
