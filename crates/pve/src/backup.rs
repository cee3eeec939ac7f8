//! Backups (`vzdump`) and restores. A restore is a guest creation from a backup
//! archive: containers take `ostemplate=<archive>&restore=1`, VMs `archive=<archive>`.

use proxicloud_types::{GuestType, NodeName, VmId};

use crate::error::{PveError, Result};
use crate::params::{Params, api_path};
use crate::transport::Transport;
use crate::upid::Upid;

/// vzdump modes, from least to most disruptive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupMode {
    Snapshot,
    Suspend,
    Stop,
}

impl BackupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupMode::Snapshot => "snapshot",
            BackupMode::Suspend => "suspend",
            BackupMode::Stop => "stop",
        }
    }
}

/// `POST /nodes/{node}/vzdump`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VzdumpRequest {
    /// Guests to back up (on this node). Empty with `all` backs up every guest.
    pub vmids: Vec<VmId>,
    pub all: bool,
    /// Target storage (with `backup` content).
    pub storage: Option<String>,
    pub mode: Option<BackupMode>,
    /// `0`, `1`, `gzip`, `lzo` or `zstd`.
    pub compress: Option<String>,
    /// Notes on the backup; `{{guestname}}`, `{{vmid}}`, … are expanded by PVE.
    pub notes_template: Option<String>,
    /// Protect the backup from pruning and deletion.
    pub protected: Option<bool>,
    /// `remove=0`: prune nothing (the storage's retention is not applied).
    pub remove: Option<bool>,
}

/// Restore a backup archive into a (new or, with `force`, existing) guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreRequest {
    pub vmid: VmId,
    /// Backup volume id, e.g. `local:backup/vzdump-qemu-100-2026_11_22-10_00_00.vma.zst`.
    pub archive: String,
    /// Storage for the restored disks (defaults to the original ones).
    pub storage: Option<String>,
    /// Overwrite an existing guest with this id.
    pub force: bool,
    /// Give the restored guest new MAC addresses.
    pub unique: bool,
    pub start: bool,
}

impl RestoreRequest {
    pub fn new(vmid: VmId, archive: impl Into<String>) -> Self {
        Self {
            vmid,
            archive: archive.into(),
            storage: None,
            force: false,
            unique: false,
            start: false,
        }
    }
}

pub(crate) fn vzdump_params(request: &VzdumpRequest) -> Result<Params> {
    if request.vmids.is_empty() && !request.all {
        return Err(PveError::InvalidRequest(
            "vzdump needs guest ids or `all`".to_string(),
        ));
    }
    Ok(Params::new()
        .joined("vmid", &request.vmids)
        .flag("all", request.all)
        .opt("storage", request.storage.as_deref())
        .opt("mode", request.mode.map(BackupMode::as_str))
        .opt("compress", request.compress.as_deref())
        .opt("notes-template", request.notes_template.as_deref())
        .opt("protected", request.protected)
        .opt("remove", request.remove))
}

pub(crate) async fn vzdump(
    t: &Transport,
    node: &NodeName,
    request: &VzdumpRequest,
) -> Result<Upid> {
    t.post(&api_path!("nodes", node, "vzdump"), vzdump_params(request)?)
        .await
}

/// `GET /nodes/{node}/vzdump/extractconfig`: the guest configuration stored in a backup
/// archive, as the text of its config file (`key: value` lines, snapshot sections after).
pub(crate) async fn extract_config(t: &Transport, node: &NodeName, volid: &str) -> Result<String> {
    t.get(
        &api_path!("nodes", node, "vzdump", "extractconfig"),
        Params::new().set("volume", volid),
    )
    .await
}

/// The current section of an extracted config (up to the first `[snapshot]` header)
/// as key/value pairs; comment lines (`#description`) are left out.
pub fn parse_extracted_config(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .take_while(|line| !line.starts_with('['))
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

pub(crate) fn restore_params(ty: GuestType, request: &RestoreRequest) -> Params {
    let params = Params::new().set("vmid", request.vmid);
    let params = match ty {
        GuestType::Lxc => params
            .set("ostemplate", request.archive.as_str())
            .set("restore", true),
        GuestType::Qemu => params.set("archive", request.archive.as_str()),
    };
    params
        .opt("storage", request.storage.as_deref())
        .flag("force", request.force)
        .flag("unique", request.unique)
        .flag("start", request.start)
}

pub(crate) async fn restore(
    t: &Transport,
    node: &NodeName,
    ty: GuestType,
    request: &RestoreRequest,
) -> Result<Upid> {
    t.post(&api_path!("nodes", node, ty), restore_params(ty, request))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vzdump_sends_a_vmid_list() {
        let request = VzdumpRequest {
            vmids: vec![VmId::new(100).unwrap(), VmId::new(101).unwrap()],
            storage: Some("local".to_string()),
            mode: Some(BackupMode::Snapshot),
            ..VzdumpRequest::default()
        };
        let form = vzdump_params(&request).unwrap().to_form();
        assert_eq!(form, "vmid=100%2C101&storage=local&mode=snapshot");
        assert!(vzdump_params(&VzdumpRequest::default()).is_err());
    }

    #[test]
    fn an_extracted_config_stops_at_the_first_snapshot_section() {
        let text = "#my notes\narch: amd64\nhostname: web\nrootfs: local-lvm:vm-101-disk-0,size=8G\n\n[before]\nhostname: old\n";
        let config = parse_extracted_config(text);
        assert_eq!(config.len(), 3, "{config:?}");
        assert_eq!(config["hostname"], "web");
        assert_eq!(config["rootfs"], "local-lvm:vm-101-disk-0,size=8G");
    }

    #[test]
    fn restore_uses_each_types_archive_parameter() {
        let request = RestoreRequest::new(
            VmId::new(120).unwrap(),
            "local:backup/vzdump-lxc-101.tar.zst",
        );
        let lxc = restore_params(GuestType::Lxc, &request).to_form();
        assert_eq!(
            lxc,
            "vmid=120&ostemplate=local%3Abackup%2Fvzdump-lxc-101.tar.zst&restore=1"
        );
        let qemu = restore_params(GuestType::Qemu, &request).to_form();
        assert_eq!(
            qemu,
            "vmid=120&archive=local%3Abackup%2Fvzdump-lxc-101.tar.zst"
        );
    }
}
