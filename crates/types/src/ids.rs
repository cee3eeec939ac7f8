use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} '{value}': {reason}")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
    pub reason: &'static str,
}

/// A Proxmox guest id. PVE accepts 100..=999_999_999 for new guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct VmId(u32);

impl VmId {
    pub const MIN: u32 = 100;
    pub const MAX: u32 = 999_999_999;

    pub fn new(id: u32) -> Result<Self, InvalidId> {
        if (Self::MIN..=Self::MAX).contains(&id) {
            Ok(Self(id))
        } else {
            Err(InvalidId {
                kind: "vmid",
                value: id.to_string(),
                reason: "must be between 100 and 999999999",
            })
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for VmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for VmId {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim().parse::<u32>().map_err(|_| InvalidId {
            kind: "vmid",
            value: s.to_string(),
            reason: "not an integer",
        })?;
        Self::new(id)
    }
}

/// PVE sends vmids as numbers in most places and as strings in a few
/// (task ids, some list endpoints); accept both.
impl<'de> Deserialize<'de> for VmId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(u64),
            Text(String),
        }
        let id = match Raw::deserialize(d)? {
            Raw::Num(n) => u32::try_from(n)
                .map_err(|_| serde::de::Error::custom("vmid out of range"))
                .and_then(|n| VmId::new(n).map_err(serde::de::Error::custom))?,
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom)?,
        };
        Ok(id)
    }
}

/// A Proxmox node name (a hostname label: letters, digits and inner hyphens).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NodeName(String);

impl NodeName {
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidId> {
        let name = name.into();
        let bad = |reason| InvalidId {
            kind: "node name",
            value: name.clone(),
            reason,
        };
        if name.is_empty() || name.len() > 63 {
            return Err(bad("must be 1 to 63 characters"));
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(bad("only letters, digits and '-' are allowed"));
        }
        if name.starts_with('-') || name.ends_with('-') {
            return Err(bad("must not start or end with '-'"));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for NodeName {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl<'de> Deserialize<'de> for NodeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The two kinds of guest Proxmox runs. The serialised names are PVE's path segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestType {
    Lxc,
    Qemu,
}

impl GuestType {
    pub fn as_str(self) -> &'static str {
        match self {
            GuestType::Lxc => "lxc",
            GuestType::Qemu => "qemu",
        }
    }
}

impl fmt::Display for GuestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GuestType {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lxc" => Ok(GuestType::Lxc),
            "qemu" => Ok(GuestType::Qemu),
            _ => Err(InvalidId {
                kind: "guest type",
                value: s.to_string(),
                reason: "expected 'lxc' or 'qemu'",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmid_accepts_numbers_and_strings_within_pve_range() {
        let a: VmId = serde_json::from_str("101").unwrap();
        let b: VmId = serde_json::from_str("\"101\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.get(), 101);
        assert!(serde_json::from_str::<VmId>("99").is_err());
        assert!(serde_json::from_str::<VmId>("\"abc\"").is_err());
        assert!(VmId::new(1_000_000_000).is_err());
    }

    #[test]
    fn node_names_follow_hostname_rules() {
        assert!(NodeName::new("pve-1").is_ok());
        assert!(NodeName::new("").is_err());
        assert!(NodeName::new("-pve").is_err());
        assert!(NodeName::new("pve_1").is_err());
        assert!(NodeName::new("a".repeat(64)).is_err());
    }

    #[test]
    fn guest_type_round_trips_through_its_path_segment() {
        for t in [GuestType::Lxc, GuestType::Qemu] {
            assert_eq!(t.as_str().parse::<GuestType>().unwrap(), t);
        }
        assert!("vm".parse::<GuestType>().is_err());
    }
}
