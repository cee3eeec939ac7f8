//! Storage pools, their content, and the appliance (container template) catalogue.

use proxicloud_types::{NodeName, VmId};
use serde::Deserialize;

use crate::error::Result;
use crate::params::{Params, api_path};
use crate::serde_util::{opt_bool, opt_f64, opt_i64, opt_string, opt_u64};
use crate::transport::Transport;
use crate::upid::Upid;

/// A storage as seen from one node (`GET /nodes/{node}/storage`) or its status.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StorageStatus {
    pub storage: String,
    /// Plugin type: `dir`, `lvmthin`, `zfspool`, `nfs`, `pbs`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Content types, comma separated: `images,rootdir,vztmpl,iso,backup,snippets`.
    #[serde(deserialize_with = "opt_string")]
    pub content: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub active: Option<bool>,
    #[serde(deserialize_with = "opt_bool")]
    pub enabled: Option<bool>,
    #[serde(deserialize_with = "opt_bool")]
    pub shared: Option<bool>,
    #[serde(deserialize_with = "opt_u64")]
    pub total: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub used: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub avail: Option<u64>,
    #[serde(deserialize_with = "opt_f64")]
    pub used_fraction: Option<f64>,
}

/// Filters of `GET /nodes/{node}/storage`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageFilter {
    /// Only storages offering this content type, e.g. `images` or `backup`.
    pub content: Option<String>,
    /// Only enabled storages.
    pub enabled: bool,
}

/// One volume in `GET /nodes/{node}/storage/{storage}/content`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StorageVolume {
    /// e.g. `local:backup/vzdump-lxc-101-2026_11_22-10_00_00.tar.zst`.
    pub volid: String,
    /// `images`, `rootdir`, `vztmpl`, `iso`, `backup`, …
    pub content: String,
    #[serde(deserialize_with = "opt_string")]
    pub format: Option<String>,
    #[serde(deserialize_with = "opt_u64")]
    pub size: Option<u64>,
    #[serde(deserialize_with = "opt_u64")]
    pub used: Option<u64>,
    pub vmid: Option<VmId>,
    #[serde(deserialize_with = "opt_i64")]
    pub ctime: Option<i64>,
    #[serde(deserialize_with = "opt_string")]
    pub notes: Option<String>,
    #[serde(deserialize_with = "opt_bool")]
    pub protected: Option<bool>,
    #[serde(deserialize_with = "opt_string")]
    pub parent: Option<String>,
}

/// Filters of the content listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentFilter {
    pub content: Option<String>,
    pub vmid: Option<VmId>,
}

/// `POST /nodes/{node}/storage/{storage}/content`: a new disk image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocateVolume {
    /// Owner guest.
    pub vmid: VmId,
    /// e.g. `vm-100-disk-1` (or `vm-100-disk-1.qcow2` on file storages).
    pub filename: String,
    /// e.g. `4G`, `512M`, or kibibytes as a plain number.
    pub size: String,
    /// `raw`, `qcow2`, `subvol` or `vmdk`.
    pub format: Option<String>,
}

/// One appliance of `GET /nodes/{node}/aplinfo`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Appliance {
    /// The name to download, e.g. `debian-12-standard_12.7-1_amd64.tar.zst`.
    pub template: String,
    pub package: String,
    #[serde(deserialize_with = "opt_string")]
    pub version: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub os: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub section: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub headline: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub description: Option<String>,
    #[serde(rename = "type", deserialize_with = "opt_string")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub architecture: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub sha512sum: Option<String>,
    #[serde(deserialize_with = "opt_string")]
    pub location: Option<String>,
}

pub(crate) async fn list(
    t: &Transport,
    node: &NodeName,
    filter: &StorageFilter,
) -> Result<Vec<StorageStatus>> {
    let params = Params::new()
        .opt("content", filter.content.as_deref())
        .flag("enabled", filter.enabled);
    t.get(&api_path!("nodes", node, "storage"), params).await
}

pub(crate) async fn status(t: &Transport, node: &NodeName, storage: &str) -> Result<StorageStatus> {
    let path = api_path!("nodes", node, "storage", storage, "status");
    let mut status: StorageStatus = t.get(&path, Params::new()).await?;
    // The status endpoint does not repeat the storage id.
    if status.storage.is_empty() {
        status.storage = storage.to_string();
    }
    Ok(status)
}

pub(crate) async fn content(
    t: &Transport,
    node: &NodeName,
    storage: &str,
    filter: &ContentFilter,
) -> Result<Vec<StorageVolume>> {
    let params = Params::new()
        .opt("content", filter.content.as_deref())
        .opt("vmid", filter.vmid);
    let path = api_path!("nodes", node, "storage", storage, "content");
    t.get(&path, params).await
}

/// Returns the new volume id.
pub(crate) async fn allocate(
    t: &Transport,
    node: &NodeName,
    storage: &str,
    request: &AllocateVolume,
) -> Result<String> {
    let params = Params::new()
        .set("vmid", request.vmid)
        .set("filename", request.filename.as_str())
        .set("size", request.size.as_str())
        .opt("format", request.format.as_deref());
    let path = api_path!("nodes", node, "storage", storage, "content");
    t.post(&path, params).await
}

/// `PUT /nodes/{node}/storage/{storage}/content/{volume}`: the attributes to change
/// (PVE sets `notes` first, then `protected`; both are for backups only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeAttributes {
    pub notes: Option<String>,
    pub protected: Option<bool>,
}

pub(crate) async fn update_volume_attributes(
    t: &Transport,
    node: &NodeName,
    storage: &str,
    volid: &str,
    attributes: &VolumeAttributes,
) -> Result<()> {
    let path = api_path!("nodes", node, "storage", storage, "content", volid);
    let params = Params::new()
        .opt("notes", attributes.notes.as_deref())
        .opt("protected", attributes.protected);
    t.put(&path, params).await
}

/// Some storages delete synchronously (`null`), others start a task.
pub(crate) async fn delete_volume(
    t: &Transport,
    node: &NodeName,
    storage: &str,
    volid: &str,
) -> Result<Option<Upid>> {
    let path = api_path!("nodes", node, "storage", storage, "content", volid);
    t.delete(&path, Params::new()).await
}

pub(crate) async fn appliances(t: &Transport, node: &NodeName) -> Result<Vec<Appliance>> {
    t.get(&api_path!("nodes", node, "aplinfo"), Params::new())
        .await
}

pub(crate) async fn download_appliance(
    t: &Transport,
    node: &NodeName,
    storage: &str,
    template: &str,
) -> Result<Upid> {
    let params = Params::new()
        .set("storage", storage)
        .set("template", template);
    t.post(&api_path!("nodes", node, "aplinfo"), params).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_and_content_decode_perl_typed_values() {
        let storages: Vec<StorageStatus> = serde_json::from_str(
            r#"[{"storage":"local","type":"dir","content":"vztmpl,iso,backup","active":1,"enabled":"1",
                 "shared":0,"total":100,"used":"40","avail":60,"used_fraction":0.4}]"#,
        )
        .unwrap();
        assert_eq!(storages[0].used, Some(40));
        assert_eq!(storages[0].enabled, Some(true));
        let volumes: Vec<StorageVolume> = serde_json::from_str(
            r#"[{"volid":"local:backup/vzdump-lxc-101-2026_11_22-10_00_00.tar.zst","content":"backup",
                 "format":"tar.zst","size":123456,"vmid":"101","ctime":1700000000,"protected":0}]"#,
        )
        .unwrap();
        assert_eq!(volumes[0].vmid, Some(VmId::new(101).unwrap()));
        assert_eq!(volumes[0].protected, Some(false));
    }
}
