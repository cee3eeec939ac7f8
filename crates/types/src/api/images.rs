//! `/api/v1/images`: what instances can be launched from, and the appliance
//! catalogue container templates are downloaded from.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImageKindDto {
    /// A container template (`vztmpl`): launch with `template`.
    LxcTemplate,
    /// An installer ISO: launch a VM with `iso`.
    Iso,
    /// A VM template: launch a VM with `clone_from`.
    VmTemplate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageDto {
    /// What `DELETE /api/v1/images/{id}` takes (URL-encoded): the volume id of a
    /// template or ISO (it has a `:`), or a VM template's vmid.
    pub id: String,
    pub kind: ImageKindDto,
    /// The file name, or the VM template's name.
    pub name: String,
    /// Templates and ISOs: the volume, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`.
    pub volid: Option<String>,
    /// VM templates: the vmid.
    pub vmid: Option<u32>,
    /// Templates and ISOs: the storage holding the volume.
    pub storage: Option<String>,
    /// The nodes that have it (several for a shared storage).
    pub nodes: Vec<String>,
    /// Bytes (VM templates: the root disk).
    pub size: u64,
    /// The distribution and version, read from the name (`debian 12`), when it says.
    pub os: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageListDto {
    pub cluster_id: Uuid,
    /// Container templates and ISOs by name, then VM templates by name.
    pub items: Vec<ImageDto>,
    /// The storages of the cluster's online nodes that hold container templates or
    /// ISOs: where a download or an upload can go.
    pub storages: Vec<ImageStorageDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageStorageDto {
    pub node: String,
    pub storage: String,
    /// Holds container templates (`vztmpl`): downloads from the catalogue go here.
    pub container_templates: bool,
    /// Holds installer ISOs (`iso`).
    pub isos: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ImageClusterQuery {
    /// The cluster (default: the first registered cluster by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<Uuid>,
}

/// A container template Proxmox VE can download (`pveam available`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplianceDto {
    /// The name to download, e.g. `debian-12-standard_12.7-1_amd64.tar.zst`.
    pub template: String,
    pub package: String,
    pub version: Option<String>,
    pub os: Option<String>,
    /// `system`, `turnkeylinux`, …
    pub section: Option<String>,
    pub headline: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplianceListDto {
    pub items: Vec<ApplianceDto>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DownloadImageRequest {
    /// The cluster (default: the first registered cluster by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<Uuid>,
    pub node: String,
    /// A storage of `node` that holds container templates (`vztmpl`).
    pub storage: String,
    /// From `GET /api/v1/images/catalog`.
    pub template: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DeleteImageQuery {
    /// The cluster (default: the first registered cluster by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<Uuid>,
    /// A template or ISO on a storage that is not shared: delete only this node's copy
    /// (default: every node's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// `POST /api/v1/images`: a stopped instance becomes a template.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateImageRequest {
    /// The instance (VM or container; it must be stopped). It then lists as a template.
    pub instance_id: Uuid,
}

/// What an uploaded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UploadContentDto {
    /// An installer ISO (`.iso`, `.img`).
    Iso,
    /// A container template (`.tar`, `.tar.gz`, `.tar.xz`, `.tar.zst`, `.tar.bz2`).
    LxcTemplate,
}

/// A checksum algorithm Proxmox VE verifies uploads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ChecksumAlgorithmDto {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl ChecksumAlgorithmDto {
    /// The name Proxmox VE uses (`sha256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

/// `POST /api/v1/images/upload`: where the body's file goes and how to check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UploadImageQuery {
    /// The cluster (default: the first registered cluster by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<Uuid>,
    pub node: String,
    /// A storage of `node` that holds this kind of file (see `storages` of the list).
    pub storage: String,
    #[cfg_attr(feature = "openapi", param(inline))]
    pub content: UploadContentDto,
    /// The file's name; characters other than letters, digits, `_`, `.` and `-` become
    /// `_` on the storage, as Proxmox VE stores it.
    pub filename: String,
    /// With `checksum`: Proxmox VE verifies the file before it is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub checksum_algorithm: Option<ChecksumAlgorithmDto>,
    /// The expected digest in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// Only check (everything but the bytes) and answer `204`, without a body: ask
    /// this first, since a refusal sent while a large file is still arriving often
    /// reaches a browser as a broken connection.
    #[serde(default)]
    pub dry_run: bool,
    /// With `dry_run`: the file's size in bytes (an upload takes `Content-Length`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// A file's bytes as a request body (`application/octet-stream`); only named in the
/// OpenAPI document, the server streams the body itself.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(pub Vec<u8>);
