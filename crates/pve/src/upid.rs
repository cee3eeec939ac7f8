//! PVE task identifiers: `UPID:node:pid:pstart:starttime:type:id:user:` with the
//! numbers in hex. The original string is kept verbatim because PVE names the task
//! log file after it, so it must be sent back exactly as received.

use std::fmt;
use std::str::FromStr;

use proxicloud_types::NodeName;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Upid {
    raw: String,
    node: NodeName,
    pid: u64,
    pstart: u64,
    starttime: i64,
    task_type: String,
    id: String,
    user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid UPID '{upid}': {reason}")]
pub struct InvalidUpid {
    pub upid: String,
    pub reason: &'static str,
}

impl Upid {
    /// The node that runs the task (its status and log live there).
    pub fn node(&self) -> &NodeName {
        &self.node
    }

    pub fn pid(&self) -> u64 {
        self.pid
    }

    /// Process start time in clock ticks since boot.
    pub fn pstart(&self) -> u64 {
        self.pstart
    }

    /// Task start, seconds since the Unix epoch.
    pub fn starttime(&self) -> i64 {
        self.starttime
    }

    /// `qmstart`, `vzcreate`, `vzdump`, `srvreload`, …
    pub fn task_type(&self) -> &str {
        &self.task_type
    }

    /// The object the task works on, usually a vmid; empty for node-wide tasks.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Who started it: `root@pam`, or `user@realm!token` for API tokens.
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// Hex fields are at least 8 digits (PVE pads with `%08X`); pstart grows to 9 after
/// 497 days of uptime and a pid may exceed 8 on hosts with a raised pid_max, so
/// longer values are accepted up to what fits in 64 bits.
/// `malformed` is the reason given when `value` is not 8 to 16 hex digits.
fn hex_field(upid: &str, value: &str, malformed: &'static str) -> Result<u64, InvalidUpid> {
    let bad = |reason| InvalidUpid {
        upid: upid.to_string(),
        reason,
    };
    if value.len() < 8 || value.len() > 16 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(malformed));
    }
    u64::from_str_radix(value, 16).map_err(|_| bad("number out of range"))
}

/// PVE forbids ':' (the separator), whitespace and '/' (the UPID is a file name).
fn text_field_ok(value: &str) -> bool {
    !value
        .chars()
        .any(|c| c == ':' || c == '/' || c.is_whitespace())
}

impl FromStr for Upid {
    type Err = InvalidUpid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason| InvalidUpid {
            upid: s.to_string(),
            reason,
        };
        let body = s
            .strip_prefix("UPID:")
            .ok_or_else(|| bad("must start with 'UPID:'"))?;
        let body = body
            .strip_suffix(':')
            .ok_or_else(|| bad("must end with ':'"))?;
        let parts: Vec<&str> = body.split(':').collect();
        let [node, pid, pstart, starttime, task_type, id, user] = parts[..] else {
            return Err(bad("must have 7 fields"));
        };
        let node = NodeName::new(node).map_err(|_| bad("invalid node name"))?;
        let pid = hex_field(s, pid, "pid must be 8 to 16 hex digits")?;
        let pstart = hex_field(s, pstart, "pstart must be 8 to 16 hex digits")?;
        let starttime = i64::try_from(hex_field(
            s,
            starttime,
            "starttime must be 8 to 16 hex digits",
        )?)
        .map_err(|_| bad("starttime out of range"))?;
        if task_type.is_empty() || !text_field_ok(task_type) {
            return Err(bad("invalid task type"));
        }
        if !text_field_ok(id) {
            return Err(bad("invalid task id"));
        }
        if user.is_empty() || !text_field_ok(user) {
            return Err(bad("invalid user"));
        }
        Ok(Self {
            raw: s.to_string(),
            node,
            pid,
            pstart,
            starttime,
            task_type: task_type.to_string(),
            id: id.to_string(),
            user: user.to_string(),
        })
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Upid({})", self.raw)
    }
}

impl Serialize for Upid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Upid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Upid {
        s.parse()
            .unwrap_or_else(|e| panic!("{s} should parse: {e}"))
    }

    #[test]
    fn backup_task_without_object_id() {
        // A vzdump job over several guests has no object id.
        let upid = parse("UPID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump::root@pam:");
        assert_eq!(upid.node().as_str(), "pve");
        assert_eq!(upid.pid(), 0x0025_3F2B);
        assert_eq!(upid.pstart(), 0x0B51_A6B6);
        assert_eq!(upid.starttime(), 0x6568_A1C2);
        assert_eq!(upid.task_type(), "vzdump");
        assert_eq!(upid.id(), "");
        assert_eq!(upid.user(), "root@pam");
    }

    #[test]
    fn api_token_users_keep_their_bang() {
        let upid = parse("UPID:node1:000ABCDE:01234567:65A1B2C3:qmstart:100:root@pam!mytoken:");
        assert_eq!(upid.user(), "root@pam!mytoken");
        assert_eq!(upid.id(), "100");
        // Seen in API captures of a container reboot started with a token.
        let upid = parse("UPID:pve:0008380E:0131F1BF:6A84EA54:vzreboot:101:root@pam!pruebalucas:");
        assert_eq!(upid.task_type(), "vzreboot");
        assert_eq!(upid.user(), "root@pam!pruebalucas");
        // Token names may contain '-'.
        let upid =
            parse("UPID:host02-yta:00204D5F:14754853:69D4D6A4:qmcreate:106:root@pam!cloud-ui:");
        assert_eq!(upid.node().as_str(), "host02-yta");
        assert_eq!(upid.user(), "root@pam!cloud-ui");
    }

    #[test]
    fn real_world_examples_from_proxmoxer_docs_and_journals() {
        let upid = parse("UPID:example-node:002E096A:0E10F08E:6382D261:vzcreate:123:root@pam:");
        assert_eq!(upid.pid(), 3_017_066);
        assert_eq!(upid.pstart(), 235_991_182);
        assert_eq!(upid.starttime(), 1_669_517_921);
        let upid = parse("UPID:mini-pve-0:000CFC5C:03E8D0C3:6194806C:aptupdate::root@pam:");
        assert_eq!(upid.task_type(), "aptupdate");
        assert_eq!(upid.starttime(), 1_637_122_156);
        let upid = parse("UPID:pve-node1:0021B19E:02328820:67CC7B42:sdnapply::root@pam!api:");
        assert_eq!(upid.task_type(), "sdnapply");
    }

    #[test]
    fn long_uptime_and_large_pids_are_accepted() {
        // pstart passes 8 hex digits after ~497 days of uptime (PVE allows 9).
        let upid = parse("UPID:pve:00253F2B:1A2B3C4D5:6568A1C2:qmstart:100:root@pam:");
        assert_eq!(upid.pstart(), 0x1_A2B3_C4D5);
        let upid = parse("UPID:pve:1003FFFFF:0B51A6B6:6568A1C2:qmstart:100:root@pam:");
        assert_eq!(upid.pid(), 0x1_003F_FFFF);
    }

    #[test]
    fn display_returns_the_exact_original_string() {
        for s in [
            "UPID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump::root@pam:",
            "UPID:pve:00253f2b:0b51a6b6:6568a1c2:vzdump:101:root@pam!x:",
        ] {
            assert_eq!(parse(s).to_string(), s);
        }
    }

    #[test]
    fn serde_round_trips_as_a_plain_string() {
        let s = "UPID:pve:00253F2B:0B51A6B6:6568A1C2:qmstart:100:root@pam:";
        let upid: Upid = serde_json::from_str(&format!("\"{s}\"")).expect("valid");
        assert_eq!(
            serde_json::to_string(&upid).expect("serialise"),
            format!("\"{s}\"")
        );
    }

    #[test]
    fn malformed_upids_are_rejected() {
        for bad in [
            "",
            "UPID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump::root@pam",
            "PID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump::root@pam:",
            "UPID:pve:253F2B:0B51A6B6:6568A1C2:vzdump::root@pam:",
            "UPID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump::root@pam:extra:",
            "UPID:-pve:00253F2B:0B51A6B6:6568A1C2:vzdump::root@pam:",
            "UPID:pve:0025XF2B:0B51A6B6:6568A1C2:vzdump::root@pam:",
            "UPID:pve:00253F2B:0B51A6B6:6568A1C2::100:root@pam:",
            "UPID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump:1/0:root@pam:",
            "UPID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump:100::",
        ] {
            assert!(bad.parse::<Upid>().is_err(), "{bad:?} should be rejected");
        }
    }
}
