//! Guest snapshots.

use proxicloud_types::{GuestType, NodeName, VmId};
use serde::Deserialize;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, opt_i64, opt_string};
use crate::transport::Transport;
use crate::upid::Upid;

/// One entry of `GET …/snapshot`. PVE always lists a pseudo-snapshot `current`
/// (the live state), whose `parent` is the latest real snapshot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Snapshot {
    pub name: String,
    #[serde(default, deserialize_with = "opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub parent: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub snaptime: Option<i64>,
    /// VMs: whether RAM state was saved.
    #[serde(default, deserialize_with = "opt_bool")]
    pub vmstate: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub running: Option<bool>,
}

impl Snapshot {
    /// `false` for the `current` pseudo-entry.
    pub fn is_real(&self) -> bool {
        self.name != "current"
    }
}

/// `POST …/snapshot`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotRequest {
    /// Letters, digits, `-` and `_`, starting with a letter; at most 40 characters.
    pub name: String,
    pub description: Option<String>,
    /// VMs only: include RAM so a rollback resumes the running VM.
    pub vmstate: bool,
}

pub(crate) async fn list(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<Vec<Snapshot>> {
    t.get(
        &api_path!("nodes", node, ty, vmid, "snapshot"),
        Params::new(),
    )
    .await
}

pub(crate) async fn create(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    request: &SnapshotRequest,
) -> Result<Upid> {
    if request.vmstate && ty == GuestType::Lxc {
        return Err(crate::error::PveError::InvalidRequest(
            "vmstate applies to VMs only".to_string(),
        ));
    }
    let params = Params::new()
        .set("snapname", request.name.as_str())
        .opt("description", request.description.as_deref())
        .flag("vmstate", request.vmstate);
    t.post(&api_path!("nodes", node, ty, vmid, "snapshot"), params)
        .await
}

pub(crate) async fn rollback(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    name: &str,
    start: bool,
) -> Result<Upid> {
    let path = api_path!("nodes", node, ty, vmid, "snapshot", name, "rollback");
    t.post(&path, Params::new().flag("start", start)).await
}

pub(crate) async fn delete(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    name: &str,
    force: bool,
) -> Result<Upid> {
    let path = api_path!("nodes", node, ty, vmid, "snapshot", name);
    t.delete(&path, Params::new().flag("force", force)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_list_marks_the_current_pseudo_entry() {
        let json = r#"[{"name":"before-upgrade","snaptime":1700000000,"description":"x","vmstate":0},
                       {"name":"current","parent":"before-upgrade","running":1,"digest":"d"}]"#;
        let snapshots: Vec<Snapshot> = serde_json::from_str(json).unwrap();
        assert!(snapshots[0].is_real());
        assert!(!snapshots[1].is_real());
        assert_eq!(snapshots[1].parent.as_deref(), Some("before-upgrade"));
        assert_eq!(snapshots[1].running, Some(true));
    }
}
