//! What the cluster offers: nodes, storages and their content, network interfaces,
//! filtered as PVE filters them.

use proxicloud_types::NodeName;

use super::FakePve;
use crate::error::Result;
use crate::network::NetworkInterface;
use crate::nodes::NodeSummary;
use crate::storage::{ContentFilter, StorageFilter, StorageStatus, StorageVolume};

impl FakePve {
    pub(super) fn fake_nodes(&self) -> Result<Vec<NodeSummary>> {
        self.enter("nodes", None, String::new())?;
        Ok(self.state().nodes.clone())
    }

    pub(super) fn fake_storages(
        &self,
        node: &NodeName,
        filter: &StorageFilter,
    ) -> Result<Vec<StorageStatus>> {
        self.enter("storages", Some(node.as_str()), format!("{filter:?}"))?;
        let offers = |s: &StorageStatus, content: &str| {
            let list = s.content.as_deref().unwrap_or_default();
            list.split(',').any(|c| c == content)
        };
        let state = self.state();
        Ok(state
            .storages
            .iter()
            .filter(|(n, _)| n == node.as_str())
            .map(|(_, s)| s)
            .filter(|s| !filter.enabled || s.enabled != Some(false))
            .filter(|s| filter.content.as_deref().is_none_or(|c| offers(s, c)))
            .cloned()
            .collect())
    }

    pub(super) fn fake_storage_content(
        &self,
        node: &NodeName,
        storage: &str,
        filter: &ContentFilter,
    ) -> Result<Vec<StorageVolume>> {
        let args = format!("{storage} {filter:?}");
        self.enter("storage_content", Some(node.as_str()), args)?;
        let state = self.state();
        Ok(state
            .volumes
            .iter()
            .filter(|(n, s, _)| n == node.as_str() && s == storage)
            .map(|(_, _, v)| v)
            .filter(|v| filter.content.as_deref().is_none_or(|c| v.content == c))
            .filter(|v| filter.vmid.is_none_or(|id| v.vmid == Some(id)))
            .cloned()
            .collect())
    }

    /// `kind` as PVE takes it: an interface type, or `any_bridge` (Linux and OVS bridges).
    pub(super) fn fake_network_interfaces(
        &self,
        node: &NodeName,
        kind: Option<&str>,
    ) -> Result<Vec<NetworkInterface>> {
        self.enter(
            "network_interfaces",
            Some(node.as_str()),
            format!("{kind:?}"),
        )?;
        let matches = |i: &NetworkInterface| match kind {
            None => true,
            Some("any_bridge") => i.kind == "bridge" || i.kind == "OVSBridge",
            Some(kind) => i.kind == kind,
        };
        let state = self.state();
        Ok(state
            .interfaces
            .iter()
            .filter(|(n, i)| n == node.as_str() && matches(i))
            .map(|(_, i)| i.clone())
            .collect())
    }
}
