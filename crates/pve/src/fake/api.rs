//! The `Pve` methods the fake implements, each delegating to its kin in `guests.rs`,
//! `inventory.rs` or `tasks.rs`. Add a method here when a test needs one.

use async_trait::async_trait;
use proxicloud_types::{GuestType, NodeName, VmId};

use super::FakePve;
use crate::addresses::GuestAddresses;
use crate::api::Pve;
use crate::backup::VzdumpRequest;
use crate::cluster::{ClusterResource, ResourceKind};
use crate::create::{Created, LxcCreate};
use crate::error::Result;
use crate::guests::{ConfigUpdate, DeleteOptions, GuestConfig, GuestStatus, PowerAction};
use crate::network::NetworkInterface;
use crate::nodes::NodeSummary;
use crate::storage::{ContentFilter, StorageFilter, StorageStatus, StorageVolume};
use crate::tasks::{TaskFilter, TaskLog, TaskStatus, TaskSummary};
use crate::upid::Upid;

#[async_trait]
impl Pve for FakePve {
    async fn cluster_resources(&self, kind: Option<ResourceKind>) -> Result<Vec<ClusterResource>> {
        self.fake_cluster_resources(kind)
    }

    async fn next_id(&self, hint: Option<VmId>) -> Result<VmId> {
        self.fake_next_id(hint)
    }

    async fn nodes(&self) -> Result<Vec<NodeSummary>> {
        self.fake_nodes()
    }

    async fn create_lxc(&self, node: &NodeName, request: &LxcCreate) -> Result<Created> {
        self.fake_create_lxc(node, request)
    }

    async fn guest_config(
        &self,
        node: &NodeName,
        ty: GuestType,
        vmid: VmId,
    ) -> Result<GuestConfig> {
        self.fake_guest_config(node, ty, vmid)
    }

    async fn update_guest_config(
        &self,
        node: &NodeName,
        ty: GuestType,
        vmid: VmId,
        update: &ConfigUpdate,
    ) -> Result<()> {
        self.fake_update_guest_config(node, ty, vmid, update)
    }

    async fn delete_guest(
        &self,
        node: &NodeName,
        ty: GuestType,
        vmid: VmId,
        options: DeleteOptions,
    ) -> Result<Upid> {
        self.fake_delete_guest(node, ty, vmid, options)
    }

    async fn guest_status(
        &self,
        node: &NodeName,
        ty: GuestType,
        vmid: VmId,
    ) -> Result<GuestStatus> {
        self.fake_guest_status(node, ty, vmid)
    }

    async fn power(
        &self,
        node: &NodeName,
        ty: GuestType,
        vmid: VmId,
        action: PowerAction,
    ) -> Result<Upid> {
        self.fake_power(node, ty, vmid, action)
    }

    async fn guest_addresses(
        &self,
        node: &NodeName,
        ty: GuestType,
        vmid: VmId,
    ) -> Result<GuestAddresses> {
        self.fake_guest_addresses(node, ty, vmid)
    }

    async fn storages(
        &self,
        node: &NodeName,
        filter: &StorageFilter,
    ) -> Result<Vec<StorageStatus>> {
        self.fake_storages(node, filter)
    }

    async fn storage_content(
        &self,
        node: &NodeName,
        storage: &str,
        filter: &ContentFilter,
    ) -> Result<Vec<StorageVolume>> {
        self.fake_storage_content(node, storage, filter)
    }

    async fn node_tasks(&self, node: &NodeName, filter: &TaskFilter) -> Result<Vec<TaskSummary>> {
        self.fake_node_tasks(node, filter)
    }

    async fn task_status(&self, upid: &Upid) -> Result<TaskStatus> {
        self.fake_task_status(upid)
    }

    async fn task_log(&self, upid: &Upid, start: u64, limit: u64) -> Result<TaskLog> {
        self.fake_task_log(upid, start, limit)
    }

    async fn vzdump(&self, node: &NodeName, request: &VzdumpRequest) -> Result<Upid> {
        self.fake_vzdump(node, request)
    }

    async fn extract_config(&self, node: &NodeName, volid: &str) -> Result<String> {
        self.fake_extract_config(node, volid)
    }

    async fn download_appliance(
        &self,
        node: &NodeName,
        storage: &str,
        template: &str,
    ) -> Result<Upid> {
        self.fake_download_appliance(node, storage, template)
    }

    async fn network_interfaces(
        &self,
        node: &NodeName,
        kind: Option<&str>,
    ) -> Result<Vec<NetworkInterface>> {
        self.fake_network_interfaces(node, kind)
    }
}
