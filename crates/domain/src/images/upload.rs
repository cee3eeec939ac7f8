//! Uploads: an ISO or container template streamed from the caller to a node's storage
//! (`Pve::upload_file`), then an `image.upload` job that waits for Proxmox's `imgcopy`
//! task, which verifies a given checksum before it keeps the file. Admins only: the
//! file lands on shared storage.
//!
//! Everything that can be checked is checked before the first byte is read: the node
//! is online, the storage holds this content and accepts uploads (file-based storage
//! types only, as pve-storage's `upload` allows), the name has the right extension,
//! the file fits, a checksum is well-formed hex of its algorithm's length. A stream
//! that breaks off aborts the request at Proxmox, which then keeps nothing.

use std::sync::Arc;

use proxicloud_pve::{ByteStream, NodeName, Pve, PveError, StorageFilter, UploadFile};
use proxicloud_store::{JobActor, JobStep, NewJob, Uuid};

use super::service::{ImagesService, online_node, unavailable};
use super::upload_job::{UPLOAD_KIND, UploadParams, steps};
use crate::error::{DomainError, DomainResult};
use crate::iam::Principal;
use crate::jobs::Submitted;

/// Storage types pve-storage accepts uploads on (`PVE::API2::Storage::Status::upload`:
/// only storages with a path).
const UPLOADABLE_TYPES: [&str; 5] = ["dir", "nfs", "cifs", "cephfs", "btrfs"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadContent {
    Iso,
    LxcTemplate,
}

impl UploadContent {
    /// PVE's content type.
    fn pve(self) -> &'static str {
        match self {
            Self::Iso => "iso",
            Self::LxcTemplate => "vztmpl",
        }
    }

    /// The extensions pve-storage accepts for this content.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Iso => &[".iso", ".img"],
            Self::LxcTemplate => &[".tar", ".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2"],
        }
    }
}

/// `POST /images/upload`'s parameters; the file is the request body.
#[derive(Debug, Clone)]
pub struct UploadImage {
    pub cluster_id: Option<Uuid>,
    pub node: String,
    pub storage: String,
    pub content: UploadContent,
    pub filename: String,
    /// The body's exact length.
    pub size: u64,
    /// `(algorithm, hex digest)`; the algorithm is one of PVE's (`md5` … `sha512`).
    pub checksum: Option<(String, String)>,
}

/// An upload that passed every check that needs no bytes.
pub struct CheckedUpload {
    cluster_id: Uuid,
    node: NodeName,
    pve: Arc<dyn Pve>,
    /// The name Proxmox will store it under.
    filename: String,
    volid: String,
}

impl ImagesService {
    /// Everything about an upload that can be checked before its first byte: a client
    /// asks this first (`dry_run`), since a refusal sent while a large body is still
    /// arriving often reaches a browser only as a broken connection.
    pub async fn check_upload(
        &self,
        caller: &Principal,
        request: &UploadImage,
    ) -> DomainResult<CheckedUpload> {
        caller.require_admin()?;
        let filename = safe_file_name(&request.filename);
        check_file_name(&filename, request.content)?;
        if let Some((algorithm, digest)) = &request.checksum {
            check_checksum(algorithm, digest)?;
        }
        if request.size == 0 {
            return Err(DomainError::invalid("body", "the file is empty"));
        }
        let options = self.launch.cluster(caller, request.cluster_id).await?;
        let (node, node_name) = online_node(&options, &request.node)?;
        let pve = self.connector.pve(options.cluster_id).await?;
        let storages = pve
            .storages(&node_name, &StorageFilter::default())
            .await
            .map_err(|e| {
                unavailable(&format!("cannot list the storages of '{}': {e}", node.name))
            })?;
        let status = storages
            .into_iter()
            .find(|s| s.storage == request.storage)
            .ok_or_else(|| {
                DomainError::invalid(
                    "storage",
                    format!("no storage '{}' on '{}'", request.storage, node.name),
                )
            })?;
        let content = request.content.pve();
        let holds = status
            .content
            .as_deref()
            .is_some_and(|c| c.split(',').any(|c| c == content));
        if !holds || !UPLOADABLE_TYPES.contains(&status.kind.as_str()) {
            return Err(DomainError::invalid(
                "storage",
                format!(
                    "'{}' on '{}' does not take uploads of {}",
                    request.storage,
                    node.name,
                    match request.content {
                        UploadContent::Iso => "ISOs",
                        UploadContent::LxcTemplate => "container templates",
                    }
                ),
            ));
        }
        if let Some(avail) = status.avail
            && request.size > avail
        {
            return Err(DomainError::invalid(
                "body",
                format!(
                    "the file ({} bytes) does not fit: '{}' has {avail} bytes free",
                    request.size, request.storage
                ),
            ));
        }
        Ok(CheckedUpload {
            cluster_id: options.cluster_id,
            volid: format!("{}:{content}/{filename}", request.storage),
            node: node_name,
            pve,
            filename,
        })
    }

    /// Streams `body` to the storage and queues `image.upload` for Proxmox's copy task.
    pub async fn upload(
        &self,
        caller: &Principal,
        request: UploadImage,
        body: ByteStream,
    ) -> DomainResult<Submitted> {
        let checked = self.check_upload(caller, &request).await?;
        let file = UploadFile {
            content: request.content.pve().to_owned(),
            filename: checked.filename,
            size: request.size,
            checksum: request.checksum,
            body,
        };
        let upid = checked
            .pve
            .upload_file(&checked.node, &request.storage, file)
            .await
            .map_err(|e| match e {
                PveError::ParameterVerification { .. }
                | PveError::Server { .. }
                | PveError::Conflict { .. } => {
                    DomainError::invalid("body", format!("Proxmox refused the upload: {e}"))
                }
                other => unavailable(&format!("the upload did not reach Proxmox: {other}")),
            })?;
        let volid = checked.volid;
        let params = UploadParams {
            cluster_id: checked.cluster_id,
            node: checked.node.to_string(),
            volid: volid.clone(),
            upid,
        };
        self.queue
            .submit(NewJob {
                kind: UPLOAD_KIND.to_owned(),
                actor: JobActor::User(caller.user_id),
                resource_kind: Some("image".to_owned()),
                resource_id: Some(volid),
                params: serde_json::to_value(&params).expect("upload params serialise"),
                steps: steps::ALL.iter().map(|s| JobStep::pending(*s)).collect(),
                idempotency_key: None,
                run_after: None,
                parent: None,
            })
            .await
    }
}

/// `PVE::Storage::normalize_content_filename`: the base name, unsafe characters as `_`
/// — so the job and the list name the file as Proxmox stores it.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn check_file_name(name: &str, content: UploadContent) -> DomainResult<()> {
    let lower = name.to_ascii_lowercase();
    let stem_ok = !name.is_empty() && !name.starts_with('.') && name.len() <= 255;
    let extension = content.extensions().iter().find(|e| lower.ends_with(*e));
    match extension {
        Some(ext) if stem_ok && lower.len() > ext.len() => Ok(()),
        _ => Err(DomainError::invalid(
            "filename",
            format!(
                "'{name}' is not a file name for this content: it must end in {}",
                content.extensions().join(", ")
            ),
        )),
    }
}

fn check_checksum(algorithm: &str, digest: &str) -> DomainResult<()> {
    let hex_len = match algorithm {
        "md5" => 32,
        "sha1" => 40,
        "sha224" => 56,
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        other => {
            return Err(DomainError::invalid(
                "checksum_algorithm",
                format!("unknown checksum algorithm '{other}'"),
            ));
        }
    };
    if digest.len() != hex_len || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(DomainError::invalid(
            "checksum",
            format!("a {algorithm} checksum is {hex_len} hexadecimal digits"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_safe_like_pve_and_need_their_extension() {
        assert_eq!(
            safe_file_name("C:\\isos\\my disk (1).iso"),
            "my_disk__1_.iso"
        );
        assert_eq!(safe_file_name("../../etc/x.iso"), "x.iso");
        assert!(check_file_name("debian.iso", UploadContent::Iso).is_ok());
        assert!(check_file_name("DEBIAN.IMG", UploadContent::Iso).is_ok());
        assert!(check_file_name("alpine.tar.zst", UploadContent::LxcTemplate).is_ok());
        assert!(check_file_name("alpine.iso", UploadContent::LxcTemplate).is_err());
        assert!(check_file_name("x.tar.zst", UploadContent::Iso).is_err());
        assert!(check_file_name(".iso", UploadContent::Iso).is_err());
        assert!(check_file_name("", UploadContent::Iso).is_err());
    }

    #[test]
    fn checksums_must_be_hex_of_their_algorithms_length() {
        assert!(check_checksum("sha256", &"ab".repeat(32)).is_ok());
        assert!(check_checksum("md5", &"AB".repeat(16)).is_ok());
        assert!(check_checksum("sha256", &"ab".repeat(16)).is_err());
        assert!(check_checksum("sha1", &"zz".repeat(20)).is_err());
        assert!(check_checksum("crc32", "00000000").is_err());
    }
}
