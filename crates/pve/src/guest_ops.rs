//! Guest operations whose parameters differ between containers and VMs: clone,
//! migrate, disk resize and volume moves. Type-specific options are checked here so
//! PVE never sees a parameter its schema rejects.

use proxicloud_types::{GuestType, NodeName, VmId};

use crate::create::{Created, post_with_free_vmid};
use crate::error::{PveError, Result};
use crate::guests::name_key;
use crate::params::{Params, api_path};
use crate::transport::Transport;
use crate::upid::Upid;

/// `POST …/clone`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloneRequest {
    /// `None`: take `/cluster/nextid`, retrying if that id gets taken meanwhile.
    pub newid: Option<VmId>,
    /// Sent as `name` (VM) or `hostname` (container).
    pub name: Option<String>,
    pub description: Option<String>,
    /// Node to create the clone on.
    pub target: Option<NodeName>,
    /// Full copy instead of a linked clone (linked clones need a template).
    pub full: Option<bool>,
    /// Target storage for a full clone.
    pub storage: Option<String>,
    pub pool: Option<String>,
    /// Clone from this snapshot.
    pub snapname: Option<String>,
}

/// `POST …/migrate`.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrateRequest {
    pub target: NodeName,
    /// Live migration (VMs) or restart migration (containers, with `restart`).
    pub online: Option<bool>,
    /// Containers only: shut down, move, start again.
    pub restart: Option<bool>,
    /// VMs only: also migrate local disks.
    pub with_local_disks: Option<bool>,
    /// Storage mapping on the target, e.g. `local-lvm` or `src:dst`.
    pub target_storage: Option<String>,
}

impl MigrateRequest {
    pub fn to(target: NodeName) -> Self {
        Self {
            target,
            online: None,
            restart: None,
            with_local_disks: None,
            target_storage: None,
        }
    }
}

/// `PUT …/resize`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResizeRequest {
    /// `rootfs`/`mp0` (containers) or `scsi0`/`virtio1`/… (VMs).
    pub disk: String,
    /// Absolute (`20G`) or relative growth (`+4G`). PVE never shrinks.
    pub size: String,
}

/// `POST …/move_volume` (containers) or `…/move_disk` (VMs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MoveVolumeRequest {
    /// `rootfs`/`mp0` (containers) or `scsi0`/… (VMs).
    pub volume: String,
    /// Target storage.
    pub storage: Option<String>,
    /// Remove the source volume afterwards (otherwise it stays as `unusedN`).
    pub delete_source: bool,
    /// Reassign to another guest instead of another storage.
    pub target_vmid: Option<VmId>,
    pub target_volume: Option<String>,
    /// VMs only: `raw`, `qcow2` or `vmdk`.
    pub format: Option<String>,
}

fn only_for(ty: GuestType, wanted: GuestType, option: &str) -> Result<()> {
    if ty == wanted {
        Ok(())
    } else {
        Err(PveError::InvalidRequest(format!(
            "'{option}' applies to {wanted} guests only, not {ty}"
        )))
    }
}

pub(crate) async fn clone(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    request: &CloneRequest,
) -> Result<Created> {
    let path = api_path!("nodes", node, ty, vmid, "clone");
    let params = |newid: VmId| {
        Params::new()
            .set("newid", newid)
            .opt(name_key(ty), request.name.as_deref())
            .opt("description", request.description.as_deref())
            .opt("target", request.target.as_ref())
            .opt("full", request.full)
            .opt("storage", request.storage.as_deref())
            .opt("pool", request.pool.as_deref())
            .opt("snapname", request.snapname.as_deref())
    };
    post_with_free_vmid(t, &path, request.newid, params).await
}

pub(crate) fn migrate_params(ty: GuestType, request: &MigrateRequest) -> Result<Params> {
    if request.restart.is_some() {
        only_for(ty, GuestType::Lxc, "restart")?;
    }
    if request.with_local_disks.is_some() {
        only_for(ty, GuestType::Qemu, "with_local_disks")?;
    }
    let storage_key = match ty {
        GuestType::Lxc => "target-storage",
        GuestType::Qemu => "targetstorage",
    };
    Ok(Params::new()
        .set("target", &request.target)
        .opt("online", request.online)
        .opt("restart", request.restart)
        .opt("with-local-disks", request.with_local_disks)
        .opt(storage_key, request.target_storage.as_deref()))
}

pub(crate) async fn migrate(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    request: &MigrateRequest,
) -> Result<Upid> {
    let path = api_path!("nodes", node, ty, vmid, "migrate");
    t.post(&path, migrate_params(ty, request)?).await
}

/// Older PVE releases resized VM disks synchronously and answered `null`.
pub(crate) async fn resize(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    request: &ResizeRequest,
) -> Result<Option<Upid>> {
    let path = api_path!("nodes", node, ty, vmid, "resize");
    let params = Params::new()
        .set("disk", request.disk.as_str())
        .set("size", request.size.as_str());
    t.put(&path, params).await
}

/// `POST …/template`. A VM answers with its `qmtemplate` task; a container runs a
/// `vztemplate` task too but answers `null` (pve-container `PVE::API2::LXC`,
/// `template`: the worker's UPID is dropped by `return undef`), so its caller looks
/// the task up in the node's task list.
pub(crate) async fn template(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
) -> Result<Option<Upid>> {
    t.post(
        &api_path!("nodes", node, ty, vmid, "template"),
        Params::new(),
    )
    .await
}

pub(crate) fn move_params(
    ty: GuestType,
    request: &MoveVolumeRequest,
) -> Result<(&'static str, Params)> {
    if request.format.is_some() {
        only_for(ty, GuestType::Qemu, "format")?;
    }
    let (endpoint, volume_key, target_key) = match ty {
        GuestType::Lxc => ("move_volume", "volume", "target-volume"),
        GuestType::Qemu => ("move_disk", "disk", "target-disk"),
    };
    let params = Params::new()
        .set(volume_key, request.volume.as_str())
        .opt("storage", request.storage.as_deref())
        .flag("delete", request.delete_source)
        .opt("target-vmid", request.target_vmid)
        .opt(target_key, request.target_volume.as_deref())
        .opt("format", request.format.as_deref());
    Ok((endpoint, params))
}

pub(crate) async fn move_volume(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    vmid: VmId,
    request: &MoveVolumeRequest,
) -> Result<Upid> {
    let (endpoint, params) = move_params(ty, request)?;
    t.post(&api_path!("nodes", node, ty, vmid, endpoint), params)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> NodeName {
        NodeName::new(name).unwrap()
    }

    #[test]
    fn migrate_maps_storage_key_per_type_and_rejects_foreign_options() {
        let mut request = MigrateRequest::to(node("pve2"));
        request.target_storage = Some("local-lvm".to_string());
        request.online = Some(true);
        let lxc = migrate_params(GuestType::Lxc, &request).unwrap().to_form();
        assert_eq!(lxc, "target=pve2&online=1&target-storage=local-lvm");
        let qemu = migrate_params(GuestType::Qemu, &request).unwrap().to_form();
        assert_eq!(qemu, "target=pve2&online=1&targetstorage=local-lvm");
        request.restart = Some(true);
        assert!(migrate_params(GuestType::Qemu, &request).is_err());
    }

    #[test]
    fn volume_moves_pick_endpoint_and_key_names_per_type() {
        let request = MoveVolumeRequest {
            volume: "rootfs".to_string(),
            storage: Some("local".to_string()),
            delete_source: true,
            ..MoveVolumeRequest::default()
        };
        let (endpoint, params) = move_params(GuestType::Lxc, &request).unwrap();
        assert_eq!(endpoint, "move_volume");
        assert_eq!(params.to_form(), "volume=rootfs&storage=local&delete=1");
        let (endpoint, params) = move_params(GuestType::Qemu, &request).unwrap();
        assert_eq!(endpoint, "move_disk");
        assert!(params.to_form().starts_with("disk=rootfs"));
        let with_format = MoveVolumeRequest {
            format: Some("qcow2".to_string()),
            ..request
        };
        assert!(move_params(GuestType::Lxc, &with_format).is_err());
    }
}
