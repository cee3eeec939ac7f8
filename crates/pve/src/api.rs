//! The `Pve` trait: everything ProxiCloud asks of a Proxmox VE cluster.
//!
//! Every method has a default body returning `PveError::NotImplemented`, so a test
//! fake implements only what its test uses. `HttpPve` implements all of them (the
//! list below names the endpoint function behind each). The trait is object safe
//! and meant to be shared as `Arc<dyn Pve>`.

use async_trait::async_trait;
use proxicloud_types::{GuestType, NodeName, VmId};
use url::Url;

use crate::access::{self, AclEntry, ApiToken, User};
use crate::addresses::{self, GuestAddresses};
use crate::backup::{self, RestoreRequest, VzdumpRequest};
use crate::cluster::{self, ClusterResource, ClusterStatusEntry, ResourceKind, Version};
use crate::console::{self, ConsoleTicket, VncProxyOptions};
use crate::console_socket::{ConsoleProtocol, OpenConsole};
use crate::create::{self, Created, LxcCreate, QemuCreate};
use crate::error::{PveError, Result};
use crate::firewall::{
    self, FirewallGroup, FirewallOptions, FirewallRule, FirewallRuleSpec, FirewallScope,
};
use crate::guest_ops::{self, CloneRequest, MigrateRequest, MoveVolumeRequest, ResizeRequest};
use crate::guests::{self, ConfigUpdate, DeleteOptions, GuestConfig, GuestStatus, PowerAction};
use crate::http::HttpPve;
use crate::metrics::{
    self, Consolidation, MetricSample, MetricsExportOptions, RrdPoint, Timeframe,
};
use crate::network::{self, NetworkConfig, NetworkInterface, NetworkInterfaceSpec};
use crate::nodes::{self, NodeStatus, NodeSummary};
use crate::pending::{self, PendingEntry};
use crate::sdn::{self, SdnSubnet, SdnSubnetSpec, SdnVnet, SdnVnetSpec, SdnZone, SdnZoneSpec};
use crate::snapshots::{self, Snapshot, SnapshotRequest};
use crate::storage::{
    self, AllocateVolume, Appliance, ContentFilter, StorageFilter, StorageStatus, StorageVolume,
    VolumeAttributes,
};
use crate::tasks::{self, TaskFilter, TaskLog, TaskStatus, TaskSuccess, TaskSummary, WaitOptions};
use crate::upid::Upid;
use crate::upload::{self, UploadFile};

/// Declares the trait, giving every listed method a "not implemented" default body,
/// and implements it for `HttpPve` by calling the listed endpoint function with the
/// transport. The list below therefore reads as "method → HTTP implementation".
macro_rules! pve_trait {
    ($(
        $(#[$meta:meta])*
        fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty => $endpoint:path;
    )*) => {
        #[async_trait]
        pub trait Pve: Send + Sync {
            $(
                $(#[$meta])*
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                    let _ = ($(&$arg,)*);
                    Err(PveError::NotImplemented { operation: stringify!($name) })
                }
            )*

            /// Polls the task until it stops: `OK`/`WARNINGS: n` succeed, anything else
            /// is `PveError::TaskFailed` with the end of the log. Built on `task_status`
            /// and `task_log`, so fakes get it by implementing those two.
            async fn wait_task(&self, upid: &Upid, options: &WaitOptions) -> Result<TaskSuccess> {
                tasks::wait_for_task(self, upid, options).await
            }

            /// The `wss://` URL of `vncwebsocket` for a `termproxy`/`vncproxy` ticket.
            fn vnc_websocket_url(
                &self,
                node: &NodeName,
                ty: GuestType,
                vmid: VmId,
                ticket: &ConsoleTicket,
            ) -> Result<Url> {
                let _ = (node, ty, vmid, ticket);
                Err(PveError::NotImplemented { operation: "vnc_websocket_url" })
            }

            /// Opens the console a `termproxy`/`vncproxy` ticket is for (its
            /// `vncwebsocket`, over the cluster's TLS and credentials) and completes
            /// termproxy's ticket handshake; see `console_socket`.
            async fn open_console(
                &self,
                node: &NodeName,
                ty: GuestType,
                vmid: VmId,
                ticket: &ConsoleTicket,
                protocol: ConsoleProtocol,
            ) -> Result<OpenConsole> {
                let _ = (node, ty, vmid, ticket, protocol);
                Err(PveError::NotImplemented { operation: "open_console" })
            }
        }

        #[async_trait]
        impl Pve for HttpPve {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                    $endpoint(self.transport() $(, $arg)*).await
                }
            )*

            fn vnc_websocket_url(
                &self,
                node: &NodeName,
                ty: GuestType,
                vmid: VmId,
                ticket: &ConsoleTicket,
            ) -> Result<Url> {
                console::vnc_websocket_url(self.current_address(), node, ty, vmid, ticket)
            }

            async fn open_console(
                &self,
                node: &NodeName,
                ty: GuestType,
                vmid: VmId,
                ticket: &ConsoleTicket,
                protocol: ConsoleProtocol,
            ) -> Result<OpenConsole> {
                let url = console::vnc_websocket_url(self.current_address(), node, ty, vmid, ticket)?;
                self.transport().open_console(&url, ticket, protocol).await
            }
        }
    };
}

pve_trait! {
    // ---- cluster ----
    /// `GET /version`.
    fn version(&self) -> Version => cluster::version;
    /// `GET /cluster/status`: the cluster and its member nodes.
    fn cluster_status(&self) -> Vec<ClusterStatusEntry> => cluster::status;
    /// `GET /cluster/resources`, optionally filtered by kind.
    fn cluster_resources(&self, kind: Option<ResourceKind>) -> Vec<ClusterResource> => cluster::resources;
    /// `GET /cluster/nextid`: a free vmid now (not reserved), or checks `hint` is free.
    fn next_id(&self, hint: Option<VmId>) -> VmId => cluster::next_id;
    /// `GET /cluster/tasks`: recent tasks cluster-wide.
    fn cluster_tasks(&self) -> Vec<TaskSummary> => cluster::tasks;
    /// `GET /cluster/metrics/export`.
    fn metrics_export(&self, options: &MetricsExportOptions) -> Vec<MetricSample> => metrics::export;

    // ---- nodes ----
    /// `GET /nodes`.
    fn nodes(&self) -> Vec<NodeSummary> => nodes::list;
    /// `GET /nodes/{node}/status`.
    fn node_status(&self, node: &NodeName) -> NodeStatus => nodes::status;
    /// `GET /nodes/{node}/rrddata`.
    fn node_rrddata(&self, node: &NodeName, timeframe: Timeframe, cf: Consolidation) -> Vec<RrdPoint> => metrics::node_rrddata;

    // ---- guests ----
    /// `GET /nodes/{node}/{lxc|qemu}`.
    fn guests(&self, node: &NodeName, ty: GuestType) -> Vec<GuestStatus> => guests::list;
    /// `POST /nodes/{node}/lxc`; without a vmid, picks one via nextid and retries if taken.
    fn create_lxc(&self, node: &NodeName, request: &LxcCreate) -> Created => create::create_lxc;
    /// `POST /nodes/{node}/qemu`; without a vmid, picks one via nextid and retries if taken.
    fn create_qemu(&self, node: &NodeName, request: &QemuCreate) -> Created => create::create_qemu;
    /// `GET …/config`.
    fn guest_config(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> GuestConfig => guests::config;
    /// `GET …/pending`: each key's current value and the change waiting for the next start.
    fn guest_pending(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> Vec<PendingEntry> => pending::pending;
    /// `PUT …/config` (applied synchronously).
    fn update_guest_config(&self, node: &NodeName, ty: GuestType, vmid: VmId, update: &ConfigUpdate) -> () => guests::update_config;
    /// `DELETE /nodes/{node}/{lxc|qemu}/{vmid}`.
    fn delete_guest(&self, node: &NodeName, ty: GuestType, vmid: VmId, options: DeleteOptions) -> Upid => guests::delete;
    /// `GET …/status/current`.
    fn guest_status(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> GuestStatus => guests::status;
    /// `POST …/status/{start|stop|shutdown|reboot|suspend|resume}`.
    fn power(&self, node: &NodeName, ty: GuestType, vmid: VmId, action: PowerAction) -> Upid => guests::power;
    /// `POST …/clone`; without `newid`, picks one via nextid and retries if taken.
    fn clone_guest(&self, node: &NodeName, ty: GuestType, vmid: VmId, request: &CloneRequest) -> Created => guest_ops::clone;
    /// `POST …/migrate`.
    fn migrate_guest(&self, node: &NodeName, ty: GuestType, vmid: VmId, request: &MigrateRequest) -> Upid => guest_ops::migrate;
    /// `PUT …/resize`; `None` when PVE resized synchronously.
    fn resize_disk(&self, node: &NodeName, ty: GuestType, vmid: VmId, request: &ResizeRequest) -> Option<Upid> => guest_ops::resize;
    /// `POST …/move_volume` (containers) or `…/move_disk` (VMs).
    fn move_volume(&self, node: &NodeName, ty: GuestType, vmid: VmId, request: &MoveVolumeRequest) -> Upid => guest_ops::move_volume;
    /// `POST …/template`: a stopped guest becomes a template (a container answers
    /// `None`; see `guest_ops::template`).
    fn make_template(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> Option<Upid> => guest_ops::template;
    /// `GET …/rrddata`.
    fn guest_rrddata(&self, node: &NodeName, ty: GuestType, vmid: VmId, timeframe: Timeframe, cf: Consolidation) -> Vec<RrdPoint> => metrics::guest_rrddata;
    /// The guest's own view of its IP addresses: `GET …/lxc/{vmid}/interfaces` or the VM
    /// guest agent's `network-get-interfaces`. Stopped guests and VMs without a working
    /// agent are `GuestAddresses::Unavailable`, not errors.
    fn guest_addresses(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> GuestAddresses => addresses::guest_addresses;
    /// `POST …/termproxy`: a text console ticket.
    fn termproxy(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> ConsoleTicket => console::termproxy;
    /// `POST …/vncproxy`: a VNC console ticket.
    fn vncproxy(&self, node: &NodeName, ty: GuestType, vmid: VmId, options: VncProxyOptions) -> ConsoleTicket => console::vncproxy;

    // ---- snapshots ----
    /// `GET …/snapshot` (includes the `current` pseudo-entry).
    fn snapshots(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> Vec<Snapshot> => snapshots::list;
    /// `POST …/snapshot`.
    fn create_snapshot(&self, node: &NodeName, ty: GuestType, vmid: VmId, request: &SnapshotRequest) -> Upid => snapshots::create;
    /// `POST …/snapshot/{name}/rollback`.
    fn rollback_snapshot(&self, node: &NodeName, ty: GuestType, vmid: VmId, name: &str, start: bool) -> Upid => snapshots::rollback;
    /// `DELETE …/snapshot/{name}`.
    fn delete_snapshot(&self, node: &NodeName, ty: GuestType, vmid: VmId, name: &str, force: bool) -> Upid => snapshots::delete;

    // ---- storage ----
    /// `GET /nodes/{node}/storage`.
    fn storages(&self, node: &NodeName, filter: &StorageFilter) -> Vec<StorageStatus> => storage::list;
    /// `GET /nodes/{node}/storage/{storage}/status`.
    fn storage_status(&self, node: &NodeName, storage: &str) -> StorageStatus => storage::status;
    /// `GET /nodes/{node}/storage/{storage}/content`.
    fn storage_content(&self, node: &NodeName, storage: &str, filter: &ContentFilter) -> Vec<StorageVolume> => storage::content;
    /// `POST /nodes/{node}/storage/{storage}/content`; returns the new volume id.
    fn allocate_volume(&self, node: &NodeName, storage: &str, request: &AllocateVolume) -> String => storage::allocate;
    /// `DELETE /nodes/{node}/storage/{storage}/content/{volid}`.
    fn delete_volume(&self, node: &NodeName, storage: &str, volid: &str) -> Option<Upid> => storage::delete_volume;
    /// `PUT /nodes/{node}/storage/{storage}/content/{volid}`: notes and protection.
    fn update_volume_attributes(&self, node: &NodeName, storage: &str, volid: &str, attributes: &VolumeAttributes) -> () => storage::update_volume_attributes;
    /// `GET /nodes/{node}/aplinfo`: downloadable container templates.
    fn appliances(&self, node: &NodeName) -> Vec<Appliance> => storage::appliances;
    /// `POST /nodes/{node}/aplinfo`: download a template into `storage`.
    fn download_appliance(&self, node: &NodeName, storage: &str, template: &str) -> Upid => storage::download_appliance;
    /// `POST /nodes/{node}/storage/{storage}/upload`: stream a file in (an `imgcopy` task).
    fn upload_file(&self, node: &NodeName, storage: &str, file: UploadFile) -> Upid => upload::upload;

    // ---- backup ----
    /// `POST /nodes/{node}/vzdump`.
    fn vzdump(&self, node: &NodeName, request: &VzdumpRequest) -> Upid => backup::vzdump;
    /// Restore a backup: `POST /nodes/{node}/lxc` with `restore=1`, or `…/qemu` with `archive`.
    fn restore_guest(&self, node: &NodeName, ty: GuestType, request: &RestoreRequest) -> Upid => backup::restore;
    /// `GET /nodes/{node}/vzdump/extractconfig`: the config file inside a backup archive.
    fn extract_config(&self, node: &NodeName, volid: &str) -> String => backup::extract_config;

    // ---- tasks ----
    /// `GET /nodes/{node}/tasks`.
    fn node_tasks(&self, node: &NodeName, filter: &TaskFilter) -> Vec<TaskSummary> => tasks::node_tasks;
    /// `GET /nodes/{node}/tasks/{upid}/status` (the node comes from the UPID).
    fn task_status(&self, upid: &Upid) -> TaskStatus => tasks::status;
    /// `GET /nodes/{node}/tasks/{upid}/log` from line `start` (0-based), at most `limit`
    /// lines (`0`: to the end).
    fn task_log(&self, upid: &Upid, start: u64, limit: u64) -> TaskLog => tasks::log;
    /// `DELETE /nodes/{node}/tasks/{upid}`: stop a running task.
    fn stop_task(&self, upid: &Upid) -> () => tasks::stop;

    // ---- node network ----
    /// `GET /nodes/{node}/network`, optionally by type (`bridge`, `any_bridge`, …).
    fn network_interfaces(&self, node: &NodeName, kind: Option<&str>) -> Vec<NetworkInterface> => network::list;
    /// `POST /nodes/{node}/network` (staged until `apply_network`).
    fn create_network_interface(&self, node: &NodeName, spec: &NetworkInterfaceSpec) -> () => network::create;
    /// `PUT /nodes/{node}/network/{iface}` (staged until `apply_network`).
    fn update_network_interface(&self, node: &NodeName, spec: &NetworkInterfaceSpec) -> () => network::update;
    /// `DELETE /nodes/{node}/network/{iface}` (staged until `apply_network`).
    fn delete_network_interface(&self, node: &NodeName, iface: &str) -> () => network::delete;
    /// `PUT /nodes/{node}/network`: apply staged changes.
    fn apply_network(&self, node: &NodeName) -> Upid => network::apply;
    /// `GET /nodes/{node}/network` with the staged changes as a diff.
    fn network_config(&self, node: &NodeName) -> NetworkConfig => network::config;
    /// `DELETE /nodes/{node}/network`: discard staged changes.
    fn revert_network(&self, node: &NodeName) -> () => network::revert;

    // ---- firewall ----
    /// Rules of the cluster, a security group or a guest.
    fn firewall_rules(&self, scope: &FirewallScope) -> Vec<FirewallRule> => firewall::rules;
    fn create_firewall_rule(&self, scope: &FirewallScope, rule: &FirewallRuleSpec) -> () => firewall::create_rule;
    fn update_firewall_rule(&self, scope: &FirewallScope, pos: u32, rule: &FirewallRuleSpec) -> () => firewall::update_rule;
    fn delete_firewall_rule(&self, scope: &FirewallScope, pos: u32) -> () => firewall::delete_rule;
    /// `GET /cluster/firewall/groups`.
    fn firewall_groups(&self) -> Vec<FirewallGroup> => firewall::groups;
    fn create_firewall_group(&self, group: &str, comment: Option<&str>) -> () => firewall::create_group;
    fn delete_firewall_group(&self, group: &str) -> () => firewall::delete_group;
    /// `GET /cluster/firewall/options`.
    fn cluster_firewall_options(&self) -> FirewallOptions => firewall::cluster_options;
    fn set_cluster_firewall_options(&self, options: &FirewallOptions) -> () => firewall::set_cluster_options;
    /// `GET …/firewall/options` of a guest.
    fn guest_firewall_options(&self, node: &NodeName, ty: GuestType, vmid: VmId) -> FirewallOptions => firewall::guest_options;
    fn set_guest_firewall_options(&self, node: &NodeName, ty: GuestType, vmid: VmId, options: &FirewallOptions) -> () => firewall::set_guest_options;

    // ---- SDN (changes pending until apply_sdn) ----
    fn sdn_zones(&self, pending: bool) -> Vec<SdnZone> => sdn::zones;
    fn create_sdn_zone(&self, spec: &SdnZoneSpec) -> () => sdn::create_zone;
    fn delete_sdn_zone(&self, zone: &str) -> () => sdn::delete_zone;
    fn sdn_vnets(&self, pending: bool) -> Vec<SdnVnet> => sdn::vnets;
    fn create_sdn_vnet(&self, spec: &SdnVnetSpec) -> () => sdn::create_vnet;
    fn delete_sdn_vnet(&self, vnet: &str) -> () => sdn::delete_vnet;
    fn sdn_subnets(&self, vnet: &str, pending: bool) -> Vec<SdnSubnet> => sdn::subnets;
    fn create_sdn_subnet(&self, vnet: &str, spec: &SdnSubnetSpec) -> () => sdn::create_subnet;
    /// `subnet` is PVE's subnet id, see [`crate::sdn::subnet_id`].
    fn delete_sdn_subnet(&self, vnet: &str, subnet: &str) -> () => sdn::delete_subnet;
    /// `PUT /cluster/sdn`: apply pending SDN changes on all nodes.
    fn apply_sdn(&self) -> Upid => sdn::apply;

    // ---- access (read-only) ----
    fn users(&self) -> Vec<User> => access::users;
    fn user_tokens(&self, userid: &str) -> Vec<ApiToken> => access::tokens;
    fn acl(&self) -> Vec<AclEntry> => access::acl;
}
