//! `GET /nodes/{node}/{lxc|qemu}/{vmid}/pending`: every config key with its current
//! value and the change waiting for the next start (PVE writes what it cannot apply
//! to a running guest into the config's `[PENDING]` section: a VM's `cores` always,
//! its `memory` without memory hot-plug, …).

use proxicloud_types::{GuestType, NodeName, VmId};
use serde::Deserialize;
use serde_json::Value;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, value_as_string};
use crate::transport::Transport;

/// One key of `…/pending`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PendingEntry {
    pub key: String,
    /// The value in effect now (absent for a key only being added).
    #[serde(default)]
    pub value: Option<Value>,
    /// The value it will have after the next start.
    #[serde(default)]
    pub pending: Option<Value>,
    /// The key is to be removed at the next start.
    #[serde(default, deserialize_with = "opt_bool")]
    pub delete: Option<bool>,
}

impl PendingEntry {
    /// A change waits for the next start: a new value, or the removal.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some() || self.delete == Some(true)
    }

    pub fn value_text(&self) -> Option<String> {
        self.value.as_ref().and_then(value_as_string)
    }

    pub fn pending_text(&self) -> Option<String> {
        self.pending.as_ref().and_then(value_as_string)
    }
}

pub(crate) async fn pending(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<Vec<PendingEntry>> {
    let path = api_path!("nodes", node, ty, vmid, "pending");
    t.get(&path, Params::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape `PVE::GuestHelpers::config_with_pending_array` answers with.
    #[test]
    fn entries_say_what_waits_for_the_next_start() {
        let entries: Vec<PendingEntry> = serde_json::from_value(serde_json::json!([
            {"key": "cores", "value": 2, "pending": 4},
            {"key": "memory", "value": "2048"},
            {"key": "mp0", "value": "local:vm-1-disk-1,mp=/data", "delete": 1},
            {"key": "digest", "value": "abc"}
        ]))
        .unwrap();
        let pending: Vec<&str> = entries
            .iter()
            .filter(|e| e.is_pending())
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(pending, ["cores", "mp0"]);
        assert_eq!(entries[0].pending_text().as_deref(), Some("4"));
        assert_eq!(entries[1].value_text().as_deref(), Some("2048"));
    }
}
